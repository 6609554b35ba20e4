# lift_add_test(NAME <target> SOURCES <files...> LABELS <label> [LIBS <targets...>])
# Builds one GoogleTest binary and registers each test case with CTest.
include(GoogleTest)
find_package(GTest REQUIRED)
function(lift_add_test)
  cmake_parse_arguments(arg "" "NAME;LABELS" "SOURCES;LIBS" ${ARGN})
  add_executable(${arg_NAME} ${arg_SOURCES})
  target_link_libraries(${arg_NAME} PRIVATE ${arg_LIBS} GTest::gtest GTest::gtest_main GTest::gmock
                                            lift_warnings)
  target_include_directories(${arg_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  # A GTEST_SKIP is reported by CTest as skipped, never counted as passed.
  gtest_discover_tests(${arg_NAME} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS ${arg_LABELS} TIMEOUT 120 SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
endfunction()
