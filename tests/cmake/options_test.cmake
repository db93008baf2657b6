# Test of the options of pytest_shard_tests() as cmake/options.json drives
# them: each call runs pytest_shard_tests() in a child cmake, with a stand-in
# interpreter and a stand-in pytest-shards that records its arguments and
# stops configure. A value the table refuses fails with the same one line as
# before the table; defaults and flags reach `collect` as before.
#
#   cmake -DMODULE_DIR=<cmake/> -DWORK_DIR=<scratch dir> -P options_test.cmake

set(failures 0)
file(MAKE_DIRECTORY "${WORK_DIR}/wd")
file(WRITE "${WORK_DIR}/python" "#!/bin/sh\necho 8.0.0\n")
file(WRITE "${WORK_DIR}/tool"
  "#!/bin/sh\nprintf '%s\\n' \"$@\" > '${WORK_DIR}/args.txt'\necho 'the stand-in stops' >&2\nexit 1\n")
file(CHMOD "${WORK_DIR}/python" "${WORK_DIR}/tool" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

# Sets <out> to the one line of `pytest_shard_tests(s <words>)`'s error.
function(error_of out words)
  file(REMOVE "${WORK_DIR}/args.txt")
  file(WRITE "${WORK_DIR}/call.cmake"
    "include(\"${MODULE_DIR}/PytestShards.cmake\")
set(PytestShards_EXECUTABLE \"${WORK_DIR}/tool\")
set(PytestShards_PLUGIN_DIR /plugin)
pytest_shard_tests(s PYTHON \"${WORK_DIR}/python\" WORKING_DIRECTORY wd ${words})
")
  execute_process(COMMAND "${CMAKE_COMMAND}" -P call.cmake WORKING_DIRECTORY "${WORK_DIR}"
    ERROR_VARIABLE error OUTPUT_QUIET)
  string(REGEX MATCH "pytest_shard_tests\\(s\\): [^\n]*(\n  [^\n]+)*" line "${error}")
  string(REGEX REPLACE "\n  " " " line "${line}")
  set(${out} "${line}" PARENT_SCOPE)
endfunction()

function(expect_error words expected)
  error_of(line "${words}")
  if(NOT line STREQUAL "pytest_shard_tests(s): ${expected}")
    message(SEND_ERROR "pytest_shard_tests(s ${words}): '${line}', expected '${expected}'")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
  endif()
endfunction()

# Refused values: the messages users saw before the table.
expect_error("GRANULARITY module" "GRANULARITY 'module' is not valid; use shard, file or test")
expect_error("DISTRIBUTION each"
  "DISTRIBUTION 'each' is not valid; use load, file, scope or group")
expect_error("IMPORTS all" "IMPORTS 'all' is not valid; use suite or own")
expect_error("WARM auto" "WARM 'auto' is not valid; use AUTO, ON or OFF")
expect_error("WARM_REUSE off" "WARM_REUSE 'off' is not valid; use ON or OFF")
expect_error("DISCOVERY_MODE LATER"
  "DISCOVERY_MODE 'LATER' is not valid; use CONFIGURE or PRE_TEST")
expect_error("SHARDS 0" "SHARDS '0' is not valid; use auto or a positive whole number")
expect_error("SERIAL_MARKER 1x" "SERIAL_MARKER '1x' is not valid; use a Python identifier")
expect_error("TIMEOUT soon" "TIMEOUT 'soon' is not valid; use a number")
expect_error("MEMORY_BUDGET 0" "MEMORY_BUDGET '0' is not valid; use auto or a whole number of MiB")
expect_error("SHRADS 2"
  "unknown argument 'SHRADS'; see the options in ${MODULE_DIR}/PytestShards.cmake")
expect_error("PROPERTIES P1" "PROPERTIES needs <name> <value> pairs")

# Accepted values reach collect as flags, defaults for what was left out,
# WARM and WARM_REUSE in lower case; then the stand-in stops configure.
expect_error("ARGS tests -k x RUN_ARGS -x LABELS a b PROPERTIES P1 v1 P2 v2 WARM OFF \
DURATIONS_FILE d.json ENVIRONMENT A=1" "the stand-in stops")
file(STRINGS "${WORK_DIR}/args.txt" args)
foreach(expected IN ITEMS --python=${WORK_DIR}/python --workdir=${WORK_DIR}/wd
    --plugin-dir;/plugin --run-arg=-x --shards=auto --granularity=shard --distribution=load
    --imports=suite --warm=off --warm-reuse=on --serial-marker=serial
    --durations-file=${WORK_DIR}/d.json --port-base=20000 --ports-per-shard=10 --env=A=1
    --timeout=0 --test-timeout=0 --label=a --label=b --property=P1=v1 --property=P2=v2
    --discovery-mode=CONFIGURE --discovery-timeout=300 --;tests;-k;x)
  string(FIND "${args}" "${expected}" at)
  if(at EQUAL -1)
    message(SEND_ERROR "collect got no ${expected}: ${args}")
    math(EXPR failures "${failures} + 1")
  endif()
endforeach()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} checks failed")
endif()
message(STATUS "every option was refused or passed on as before")
