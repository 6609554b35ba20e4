# INTERFACE target carrying the project's warning flags; link it PRIVATE.
add_library(lift_warnings INTERFACE)
target_compile_options(lift_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wnon-virtual-dtor
  -Woverloaded-virtual -Wimplicit-fallthrough
  # GCC 12 reports false -Wrestrict positives inside libstdc++'s std::string at -O2/-O3
  # (GCC bug 105329); they point into char_traits.h, never at our code.
  -Wno-restrict)
if(LIFT_WERROR)
  target_compile_options(lift_warnings INTERFACE -Werror)
endif()
