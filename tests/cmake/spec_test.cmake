# Test of the resource spec file that cmake/PytestShardsAddTests.cmake writes
# at ctest start under the parallel preset: the cores alone, then with the
# memory pool of a MEMORY_BUDGET; valid JSON either way.
#
#   cmake -DMODULE_DIR=<cmake/> -DWORK_DIR=<scratch dir> -P spec_test.cmake

include("${MODULE_DIR}/PytestShardsAddTests.cmake")
set(ENV{PYTEST_SHARDS_PRESET_JOBS} 4096)
set(ENV{PYTEST_SHARDS_CORES} 3)
set(spec "${WORK_DIR}/resource-spec.json")
file(REMOVE "${spec}")

function(expect what got want)
  if(NOT "${got}" STREQUAL "${want}")
    message(FATAL_ERROR "${what}: got '${got}', want '${want}'")
  endif()
endfunction()

_pytest_shards_count_cores(SPEC_FILE "${spec}")
expect("CTEST_RESOURCE_SPEC_FILE under the preset" "${CTEST_RESOURCE_SPEC_FILE}" "${spec}")
file(READ "${spec}" text)
string(JSON cores GET "${text}" local 0 cores 0 slots)
expect("cores slots (PYTEST_SHARDS_CORES=3)" "${cores}" 3)
string(JSON memory ERROR_VARIABLE no_memory GET "${text}" local 0 memory)
if(NOT no_memory)
  message(FATAL_ERROR "a memory pool without MEMORY_BUDGET: ${text}")
endif()

# The pool of the first suite with MEMORY_BUDGET 1000.
set_property(GLOBAL PROPERTY _PYTEST_SHARDS_MEMORY_POOL 1000)
_pytest_shards_write_spec()
file(READ "${spec}" text)
string(JSON cores GET "${text}" local 0 cores 0 slots)
string(JSON memory GET "${text}" local 0 memory 0 slots)
expect("cores and memory in one file" "${cores} ${memory}" "3 1000")
message(STATUS "the resource spec file holds the cores, then the cores and the memory")
