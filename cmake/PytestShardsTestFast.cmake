# Run by the test-fast target: ctest on every logical core of this machine.
# CTest's own `test` target stays serial; this one does not.
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
message(STATUS "ctest -j ${cores} (logical cores of this machine)")
execute_process(
  COMMAND "${CTEST_COMMAND}" --test-dir "${TEST_DIR}" -j ${cores} --output-on-failure
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "ctest failed (${result})")
endif()
