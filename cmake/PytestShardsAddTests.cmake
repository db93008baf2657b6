# Distributed under the MIT License. See README.md.

# The ctest-start half of PytestShards.cmake, as GoogleTestAddTests.cmake is
# GoogleTest.cmake's: the files that pytest_shard_tests() generates are each
# an include() of this script and one call with bracket arguments.
#
# - ${CMAKE_BINARY_DIR}/pytest-shards/cores.cmake, which the top-level
#   directory includes before any add_test(), calls _pytest_shards_count_cores.
# - <suite dir>/include.cmake calls _pytest_shards_plan: the cores (again, a
#   no-op by then, for ctest --test-dir <subdirectory>), the memory pool of
#   MEMORY_BUDGET, then `pytest-shards plan`, whose add_test() calls it
#   includes.
#
# What one ctest run counts once (the cores, the cap, the memory pool) lives
# in global properties. CTest reads CTEST_RESOURCE_SPEC_FILE from the scope of
# the CTestTestfile.cmake files, so the two calls set it there.
#
# PytestShards.cmake includes this file at configure time too, for
# _pytest_shards_argument, the one quoting of generated CMake code.

include_guard(GLOBAL)
cmake_policy(VERSION 3.25)

# Sets <out> to a CMake argument that reads back as `text` exactly, in
# generated code (a file or cmake_language(EVAL)): a bracket argument whose
# closing bracket first occurs where `text` ends (not inside it, nor
# straddling its end, as "a]=" would with "]=]"). CMake drops one newline
# right after an opening bracket, so a leading one is doubled; a file read
# folds CR LF into LF, so text holding CR LF is a quoted argument instead,
# with escapes. The same rules as BracketArgument in src/emit/emit.cc.
function(_pytest_shards_argument out text)
  if(text MATCHES "\r\n")
    string(REPLACE "\\" "\\\\" text "${text}")
    string(REPLACE "\"" "\\\"" text "${text}")
    string(REPLACE "$" "\\$" text "${text}")
    string(REPLACE "\r" "\\r" text "${text}")
    string(REPLACE "\n" "\\n" text "${text}")
    set(${out} "\"${text}\"" PARENT_SCOPE)
    return()
  endif()
  set(guard "=")
  while("${text}]${guard}" MATCHES "]${guard}]")
    string(APPEND guard "=")
  endwhile()
  set(lead "")
  if(text MATCHES "^\n")
    set(lead "\n")
  endif()
  set(${out} "[${guard}[${lead}${text}]${guard}]" PARENT_SCOPE)
endfunction()

# (Re)writes the run's resource spec file: `cores` under the preset, and
# `memory` once a suite with MEMORY_BUDGET sized the pool. CTest reads
# CTEST_RESOURCE_SPEC_FILE after every include file, so the last write holds
# both. A spec file the project set itself is left alone (and one given to
# ctest, --resource-spec-file or resourceSpecFile, wins anyway). Written under
# a temporary name and renamed: a ctest starting beside this one may be
# reading it. Sets CTEST_RESOURCE_SPEC_FILE in the caller's scope.
function(_pytest_shards_write_spec)
  get_property(spec GLOBAL PROPERTY _PYTEST_SHARDS_SPEC)
  if(DEFINED CTEST_RESOURCE_SPEC_FILE AND NOT CTEST_RESOURCE_SPEC_FILE STREQUAL spec)
    return()
  endif()
  get_property(cap GLOBAL PROPERTY _PYTEST_SHARDS_CAP)
  get_property(cores GLOBAL PROPERTY _PYTEST_SHARDS_CORES)
  get_property(pool GLOBAL PROPERTY _PYTEST_SHARDS_MEMORY_POOL)
  set(pools)
  if(cap)
    list(APPEND pools "\"cores\": [{\"id\": \"0\", \"slots\": ${cores}}]")
  endif()
  if(NOT "${pool}" STREQUAL "")
    list(APPEND pools "\"memory\": [{\"id\": \"0\", \"slots\": ${pool}}]")
  endif()
  list(JOIN pools ", " pools)
  string(RANDOM LENGTH 12 tmp)
  set(tmp "${spec}.${tmp}")
  file(WRITE "${tmp}" "{\"version\": {\"major\": 1, \"minor\": 0}, \"local\": [{${pools}}]}\n")
  file(RENAME "${tmp}" "${spec}")
  set(CTEST_RESOURCE_SPEC_FILE "${spec}" PARENT_SCOPE)
endfunction()

# Counts the cores once per ctest run: those this process may use (CPU
# affinity, then a cgroup quota; PYTEST_SHARDS_CORES=<n> stands in for them),
# which only `pytest-shards cores` sees, and until the executable is built
# CMake's count of the machine's cores. It also reads the parallel preset's PYTEST_SHARDS_PRESET_JOBS, the one
# place that does (presets/pytest-shards.json). Under the preset: writes the
# resource spec file and wraps add_test() and set_tests_properties(), so that
# every test of the run asks for a slot of the CTest resource `cores`.
#
#   _pytest_shards_count_cores(TOOL <pytest-shards> SPEC_FILE <file>)
function(_pytest_shards_count_cores)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TOOL;SPEC_FILE" "")
  get_property(counted GLOBAL PROPERTY _PYTEST_SHARDS_CORES SET)
  if(counted)
    return()
  endif()
  set(cores "")
  if(EXISTS "${arg_TOOL}")
    execute_process(COMMAND "${arg_TOOL}" cores
      OUTPUT_VARIABLE cores OUTPUT_STRIP_TRAILING_WHITESPACE
      ERROR_VARIABLE error ERROR_STRIP_TRAILING_WHITESPACE)
    if(NOT error STREQUAL "")
      message(WARNING "${error}")
    endif()
  endif()
  if(NOT cores MATCHES "^[1-9][0-9]*$")
    cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
    if("$ENV{PYTEST_SHARDS_CORES}" MATCHES "^[1-9][0-9]*$")
      set(cores "$ENV{PYTEST_SHARDS_CORES}")
    elseif(NOT "$ENV{PYTEST_SHARDS_CORES}" STREQUAL "")
      message(WARNING "pytest-shards: PYTEST_SHARDS_CORES='$ENV{PYTEST_SHARDS_CORES}' is not a "
        "positive whole number; using the ${cores} cores of this machine")
    endif()
  endif()
  set(cap FALSE)
  if("$ENV{PYTEST_SHARDS_PRESET_JOBS}" MATCHES "^[0-9]+$")
    set(cap TRUE)
  endif()
  set_property(GLOBAL PROPERTY _PYTEST_SHARDS_CORES "${cores}")
  set_property(GLOBAL PROPERTY _PYTEST_SHARDS_CAP "${cap}")
  set_property(GLOBAL PROPERTY _PYTEST_SHARDS_SPEC "${arg_SPEC_FILE}")
  if(cap)
    _pytest_shards_write_spec()
    _pytest_shards_wrap_tests()
    if(DEFINED CTEST_RESOURCE_SPEC_FILE)
      set(CTEST_RESOURCE_SPEC_FILE "${CTEST_RESOURCE_SPEC_FILE}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

# Plans the suite's entries for this ctest run and adds them; if the planner
# cannot run (not built yet?), one failing entry <suite>/plan-error says why.
#
#   _pytest_shards_plan(SUITE <name> TOOL <pytest-shards> SUITE_DIR <dir>
#                       CMAKE_COMMAND <cmake> SPEC_FILE <file> TIMEOUT <seconds>
#                       [MEMORY_BUDGET <MiB>|auto])
function(_pytest_shards_plan)
  set(one_value
    SUITE
    TOOL
    SUITE_DIR
    CMAKE_COMMAND
    SPEC_FILE
    TIMEOUT
    MEMORY_BUDGET)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "${one_value}" "")
  _pytest_shards_count_cores(SPEC_FILE "${arg_SPEC_FILE}")
  get_property(cores GLOBAL PROPERTY _PYTEST_SHARDS_CORES)
  get_property(cap GLOBAL PROPERTY _PYTEST_SHARDS_CAP)
  set(resource)
  if(cap)
    set(resource --cores-resource)
  endif()
  set(memory)
  if(DEFINED arg_MEMORY_BUDGET)
    # One memory pool per ctest run, sized by the first suite with a budget.
    get_property(sized GLOBAL PROPERTY _PYTEST_SHARDS_MEMORY_POOL SET)
    if(NOT sized)
      set(pool "${arg_MEMORY_BUDGET}")
      if(pool STREQUAL "auto")
        cmake_host_system_information(RESULT pool QUERY AVAILABLE_PHYSICAL_MEMORY)
      endif()
      set_property(GLOBAL PROPERTY _PYTEST_SHARDS_MEMORY_POOL "${pool}")
      _pytest_shards_write_spec()
    endif()
    get_property(pool GLOBAL PROPERTY _PYTEST_SHARDS_MEMORY_POOL)
    set(memory --memory-budget "${pool}")
  endif()
  if(DEFINED CTEST_RESOURCE_SPEC_FILE)
    set(CTEST_RESOURCE_SPEC_FILE "${CTEST_RESOURCE_SPEC_FILE}" PARENT_SCOPE)
  endif()
  if(NOT EXISTS "${arg_TOOL}")
    # pytest-shards is built by this project, and was not yet.
    set(why "${arg_TOOL} is not built yet; build first (cmake --build <build dir>)")
    message("pytest-shards: ${arg_SUITE}: ${why}")
    add_test("${arg_SUITE}/build-first" "${arg_CMAKE_COMMAND}" -E echo "${why}")
    set_tests_properties("${arg_SUITE}/build-first" PROPERTIES
      WILL_FAIL TRUE
      LABELS "pytest;${arg_SUITE}")
    return()
  endif()
  execute_process(
    COMMAND "${arg_TOOL}" plan --suite-dir "${arg_SUITE_DIR}" ${memory}
      --cores "${cores}" ${resource} --slice "$ENV{PYTEST_SHARDS_SLICE}"
      --ctest-version "${CMAKE_VERSION}"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE tests OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_VARIABLE output
    TIMEOUT "${arg_TIMEOUT}")
  if(result EQUAL 0)
    # This ctest's own run: a ctest starting beside it plans another.
    include("${tests}")
  else()
    add_test("${arg_SUITE}/plan-error" "${arg_CMAKE_COMMAND}" -E echo
      "pytest-shards plan failed (${result}): ${output}")
    set_tests_properties("${arg_SUITE}/plan-error" PROPERTIES
      WILL_FAIL TRUE
      LABELS "pytest;${arg_SUITE}")
  endif()
endfunction()

# Calls `command` with the arguments of the calling function, exactly: an
# element may hold ';' or be empty, which ${ARGV} would lose. A macro, so
# that ARGV<i> are the caller's (and _argv its "${ARGV}", which a macro
# cannot name). Each ';' is escaped in a list that the call splits again. An
# argument that such a list cannot carry (empty, or holding '[', ']' or '\')
# makes them arguments of generated code instead (_pytest_shards_argument).
# Only then: CMake keeps every piece of evaluated code (about 5 KB) to the end
# of the run, and ctest starts each test slower the bigger it is.
macro(_pytest_shards_forward command count)
  math(EXPR _last "${count} - 1")
  set(_args)
  set(_listed TRUE)
  if(_argv MATCHES "[][\\]")
    set(_listed FALSE)
  else()
    foreach(_i RANGE ${_last})
      if("${ARGV${_i}}" STREQUAL "")
        set(_listed FALSE)
        break()
      endif()
      string(REPLACE ";" "\\;" _arg "${ARGV${_i}}")
      list(APPEND _args "${_arg}")
    endforeach()
  endif()
  if(_listed)
    cmake_language(CALL ${command} ${_args} ${ARGN})
  else()
    set(_code "${command}(")
    foreach(_i RANGE ${_last})
      _pytest_shards_argument(_arg "${ARGV${_i}}")
      string(APPEND _code " ${_arg}")
    endforeach()
    cmake_language(EVAL CODE "${_code} ${ARGN})")
  endif()
endmacro()

# From here on, every test asks for RESOURCE_GROUPS cores:<its PROCESSORS, at
# most the cores>, so that ctest runs at most `cores` at once whatever -j
# says, and each test's time counts once in the time summaries. Tests whose
# RESOURCE_GROUPS name `cores` ask themselves, and the pytest entries call
# _add_test() and _set_tests_properties() directly. CTest appends every
# RESOURCE_GROUPS value to a test's groups, so the slot is added once the
# test's own properties are known: in its set_tests_properties() (CMake
# writes one after every add_test()), else at the next add_test(). Called
# once per ctest run: a second wrapping would call itself as _add_test().
function(_pytest_shards_wrap_tests)
  function(add_test name)
    get_property(pending GLOBAL PROPERTY _pytest_shards_pending)
    if(NOT pending STREQUAL "")
      _set_tests_properties("${pending}" PROPERTIES RESOURCE_GROUPS cores:1)
    endif()
    set(_argv "${ARGV}")
    _pytest_shards_forward(_add_test ${ARGC})
    set_property(GLOBAL PROPERTY _pytest_shards_pending "${name}")
  endfunction()

  function(set_tests_properties)
    get_property(pending GLOBAL PROPERTY _pytest_shards_pending)
    set(_argv "${ARGV}")
    set(names 0)
    set(named FALSE)
    math(EXPR last "${ARGC} - 1")
    foreach(i RANGE ${last})
      if("${ARGV${i}}" STREQUAL "PROPERTIES")
        break()
      elseif("${ARGV${i}}" STREQUAL "${pending}")
        set(named TRUE)
      endif()
      math(EXPR names "${names} + 1")
    endforeach()
    if(NOT named)
      _pytest_shards_forward(_set_tests_properties ${ARGC})
      return()
    endif()
    set_property(GLOBAL PROPERTY _pytest_shards_pending "")
    # Its own needs: PROCESSORS <n> and RESOURCE_GROUPS naming `cores`.
    set(slots 1)
    if(names LESS last AND "${ARGV}" MATCHES "PROCESSORS|RESOURCE_GROUPS")
      get_property(cores GLOBAL PROPERTY _PYTEST_SHARDS_CORES)
      math(EXPR first "${names} + 1")
      foreach(i RANGE ${first} ${last} 2)
        math(EXPR next "${i} + 1")
        if("${ARGV${i}}" STREQUAL "PROCESSORS" AND "${ARGV${next}}" MATCHES "^[0-9]+$")
          set(slots "${ARGV${next}}")
        elseif("${ARGV${i}}" STREQUAL "RESOURCE_GROUPS" AND "${ARGV${next}}" MATCHES "(^|[,;])cores:")
          _pytest_shards_forward(_set_tests_properties ${ARGC})
          return()
        endif()
      endforeach()
      if(slots GREATER cores)
        set(slots ${cores})
      elseif(slots LESS 1)
        set(slots 1)
      endif()
    endif()
    if(names EQUAL 1)
      # One more pair in the same call: ctest looks up each call's tests.
      _pytest_shards_forward(_set_tests_properties ${ARGC} RESOURCE_GROUPS cores:${slots})
    else()
      _pytest_shards_forward(_set_tests_properties ${ARGC})
      _set_tests_properties("${pending}" PROPERTIES RESOURCE_GROUPS "cores:${slots}")
    endif()
  endfunction()
endfunction()
