# The project's warning flags: an INTERFACE target `lift_warnings` for executables and tests
# (link it PRIVATE), and lift_enable_warnings(target) for the exported libraries, whose link
# interface must not name a build-only target.
set(LIFT_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wnon-virtual-dtor
  -Woverloaded-virtual -Wimplicit-fallthrough
  # GCC 12 reports false -Wrestrict positives inside libstdc++'s std::string at -O2/-O3
  # (GCC bug 105329); they point into char_traits.h, never at our code.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  # Designated initializers that leave members at their defaults are the intended way to fill
  # Lift's request and option structs ({.table = t, .key = k}); GCC 12's -Wextra flags every one.
  -Wno-missing-field-initializers)
if(LIFT_WERROR)
  list(APPEND LIFT_WARNING_FLAGS -Werror)
endif()
add_library(lift_warnings INTERFACE)
target_compile_options(lift_warnings INTERFACE ${LIFT_WARNING_FLAGS})

function(lift_enable_warnings target)
  target_compile_options(${target} PRIVATE ${LIFT_WARNING_FLAGS})
endfunction()
