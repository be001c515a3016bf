# fs_add_check_test(NAME SOURCES a.c b.c LIBS x y [UNIT] [TIMEOUT s])
# Builds a Check test binary into build/tests and registers it with ctest.
# UNIT tests need no EAL and also run in the ASan+UBSan build (label "unit");
# the others are integration tests (label "integration") run only in the normal build.
function(fs_add_check_test name)
  cmake_parse_arguments(T "UNIT" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CHECK)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  if(T_UNIT)
    set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT ${T_TIMEOUT}
                         ENVIRONMENT "CK_DEFAULT_TIMEOUT=${T_TIMEOUT}")
  else()
    set_tests_properties(${name} PROPERTIES LABELS integration TIMEOUT ${T_TIMEOUT} RUN_SERIAL TRUE
                         ENVIRONMENT "CK_DEFAULT_TIMEOUT=${T_TIMEOUT};FS_BUILD_DIR=${CMAKE_BINARY_DIR}")
  endif()
endfunction()
