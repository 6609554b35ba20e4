# INTERFACE target carrying the project's warning flags; link it PRIVATE.
add_library(lift_warnings INTERFACE)
target_compile_options(lift_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wnon-virtual-dtor
  -Woverloaded-virtual -Wimplicit-fallthrough)
if(LIFT_WERROR)
  target_compile_options(lift_warnings INTERFACE -Werror)
endif()
