# lift_add_lambda(<target>)
#
# Adds `<target>-bootstrap`: the executable <target> rebuilt as an AWS Lambda `provided.al2023`
# bootstrap, written to ${PROJECT_BINARY_DIR}/lambda/<target>/bootstrap, and
# `package-<target>`, which checks it and zips it to ${PROJECT_BINARY_DIR}/dist/<target>.zip
# with `lift package` (tools/lift/package_command.cpp). <target> itself is left as it is.
#
# The bootstrap is one file whose only shared libraries are glibc's (libc.so.6, ld-linux):
#   - libstdc++ and libgcc are linked statically (-static-libstdc++ -static-libgcc);
#   - Boost.JSON/URL/container and OpenSSL (libssl.a, libcrypto.a from libboost*-dev and
#     libssl-dev) replace the shared libraries on the link line, through CMake link features;
#   - fmt, which Debian ships only as libfmt.so, comes from src/lambda/fmt_static.cpp;
#   - the glibc 2.35/2.36 symbols Debian 12's libstdc++.a (arc4random) and libgcc_eh.a
#     (_dl_find_object) reference are defined in src/lambda/glibc_compat.cpp, so the result
#     needs nothing newer than GLIBC_2.34 (Amazon Linux 2023).
# glibc itself stays dynamic: getaddrinfo (DNS, /etc/hosts through NSS) and OpenSSL's dlopen
# then behave exactly as on any Amazon Linux program. The binary is stripped (-s).
#
# Call it in the directory that defines <target> (generated sources belong to that directory).
# Linux with GNU ld only; cross builds (arm64) follow docs/lambda.md.

set(LIFT_LAMBDA_DIR ${PROJECT_BINARY_DIR}/lambda)

# Link features: `lift_static_<name>` puts the static archive where the shared library was and
# keeps the shared library only if still needed (--as-needed); it never is, and `lift package`
# rejects the binary if it were.
set(lift_lambda_static_swaps "")
function(_lift_lambda_swap imported)
  if(NOT TARGET ${imported})
    return()
  endif()
  get_target_property(type ${imported} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  set(location "")
  foreach(prop IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_NOCONFIG IMPORTED_LOCATION
               IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_DEBUG)
    get_target_property(location ${imported} ${prop})
    if(location)
      break()
    endif()
  endforeach()
  if(NOT location)
    message(WARNING "lift_add_lambda: no location for ${imported}; bootstraps keep it as is")
    return()
  endif()
  if(location MATCHES "\\.a$")
    return()  # already static
  endif()
  string(REGEX REPLACE "\\.so(\\.[0-9]+)*$" ".a" archive "${location}")
  if(NOT EXISTS "${archive}")
    message(WARNING "lift_add_lambda: ${archive} (static ${imported}) is missing; "
                    "bootstraps would need ${location} at run time")
    return()
  endif()
  string(MAKE_C_IDENTIFIER "${imported}" id)
  set(feature lift_static_${id})
  set(CMAKE_LINK_LIBRARY_USING_${feature}
      "${archive} -Wl,--push-state,--as-needed <LIBRARY> -Wl,--pop-state" PARENT_SCOPE)
  set(CMAKE_LINK_LIBRARY_USING_${feature}_SUPPORTED TRUE PARENT_SCOPE)
  set(lift_lambda_static_swaps ${lift_lambda_static_swaps} "${imported}=${feature}" PARENT_SCOPE)
endfunction()

foreach(imported Boost::json Boost::url Boost::container Boost::system OpenSSL::SSL
                 OpenSSL::Crypto)
  _lift_lambda_swap(${imported})
endforeach()
# fmt's code is in lift_lambda_support's objects, linked first; libfmt.so is then unused.
set(CMAKE_LINK_LIBRARY_USING_lift_drop_if_unused
    "-Wl,--push-state,--as-needed <LIBRARY> -Wl,--pop-state")
set(CMAKE_LINK_LIBRARY_USING_lift_drop_if_unused_SUPPORTED TRUE)
if(TARGET fmt::fmt)
  list(APPEND lift_lambda_static_swaps "fmt::fmt=lift_drop_if_unused")
endif()

function(lift_add_lambda target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "lift_add_lambda: no target '${target}'")
  endif()
  get_target_property(type ${target} TYPE)
  get_target_property(source_dir ${target} SOURCE_DIR)
  if(NOT type STREQUAL "EXECUTABLE")
    message(FATAL_ERROR "lift_add_lambda: '${target}' is a ${type}, not an executable")
  endif()
  if(NOT source_dir STREQUAL CMAKE_CURRENT_SOURCE_DIR)
    message(FATAL_ERROR "lift_add_lambda(${target}) must be called in ${source_dir}")
  endif()

  set(bootstrap ${target}-bootstrap)
  get_target_property(sources ${target} SOURCES)
  add_executable(${bootstrap} ${sources})
  foreach(prop INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS COMPILE_FEATURES
               CXX_STANDARD LINK_LIBRARIES)
    get_target_property(value ${target} ${prop})
    if(value)
      set_property(TARGET ${bootstrap} PROPERTY ${prop} "${value}")
    endif()
  endforeach()
  target_link_libraries(${bootstrap} PRIVATE lift_lambda_support)
  target_link_options(${bootstrap} PRIVATE -static-libstdc++ -static-libgcc -Wl,--as-needed
                      -Wl,-O1 -Wl,--gc-sections -s)
  set_target_properties(${bootstrap} PROPERTIES
    OUTPUT_NAME bootstrap
    RUNTIME_OUTPUT_DIRECTORY ${LIFT_LAMBDA_DIR}/${target})
  # One LINK_LIBRARY_OVERRIDE_<lib> per library: CMake 3.25 misapplies the list form
  # (LINK_LIBRARY_OVERRIDE) when it names several libraries.
  foreach(swap IN LISTS lift_lambda_static_swaps)
    string(REPLACE "=" ";" pair "${swap}")
    list(GET pair 0 lib)
    list(GET pair 1 feature)
    set_property(TARGET ${bootstrap} PROPERTY LINK_LIBRARY_OVERRIDE_${lib} ${feature})
  endforeach()

  if(TARGET lift)
    add_custom_target(package-${target}
      COMMAND $<TARGET_FILE:lift> package --binary $<TARGET_FILE:${bootstrap}>
              --name ${target} --out ${PROJECT_BINARY_DIR}/dist
      DEPENDS ${bootstrap} lift
      COMMENT "Packaging ${target} for AWS Lambda (provided.al2023)"
      VERBATIM)
  endif()
endfunction()
