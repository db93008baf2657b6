# Distributed under the MIT License. See README.md.

#[=======================================================================[.rst:
PytestShards
------------

Runs a pytest suite as parallel CTest entries.

.. command:: pytest_shard_tests

  Collects the node IDs of a pytest suite once and registers CTest entries
  that run them in shards::

    pytest_shard_tests(<name>
      [PYTHON <exe>]
      [WORKING_DIRECTORY <dir>]
      [ARGS <arg>...]
      [RUN_ARGS <arg>...]
      [SHARDS <n>|auto]
      [GRANULARITY shard|file|test]
      [DISTRIBUTION load|file|scope|group]
      [IMPORTS suite|own]
      [WARM AUTO|ON|OFF]
      [SERIAL_MARKER <marker>]
      [PORT_BASE <n>] [PORTS_PER_SHARD <n>]
      [ENVIRONMENT <VAR=value>...]
      [TIMEOUT <seconds>] [TEST_TIMEOUT <seconds>]
      [LABELS <label>...] [PROPERTIES <prop> <value>...]
      [FIXTURES_REQUIRED <fixture>...]
      [MEMORY_BUDGET <MiB>|auto]
      [DISCOVERY_MODE CONFIGURE|PRE_TEST] [DISCOVERY_TIMEOUT <seconds>]
      [DEPENDS <target>...])

  Configure time: finds an interpreter that can import pytest (``PYTHON``, else
  an active virtualenv, ``Python3_EXECUTABLE``, ``python3`` on ``PATH``,
  ``/usr/bin/python3``) and runs ``pytest-shards collect``, which stores the
  suite's settings and collects its node IDs. When the ``pytest-shards``
  executable is a target of this build (``add_subdirectory`` or
  ``FetchContent``), collection runs at build time instead, once the
  executable exists. ``DISCOVERY_MODE PRE_TEST`` collects at every ctest
  start (cached by content hashes).

  ctest time: a generated include file asks the machine for its logical
  cores (``PYTEST_SHARDS_CORES=<n>`` in ctest's environment stands in for
  them) and runs ``pytest-shards plan``, which plans the shards from the
  collection and the durations of earlier runs and writes ``add_test()``
  calls, one per entry: ``<name>/shard-NN``, ``<name>/<file>`` or
  ``<name>/<node ID>``.

  The parallel preset (``presets/pytest-shards.json``: ``-j 4096`` and
  ``PYTEST_SHARDS_PRESET_JOBS``) caps the run at the cores with a CTest
  resource: the include file writes a resource spec file with one ``cores``
  slot per core and sets ``CTEST_RESOURCE_SPEC_FILE``, and every test of the
  build tree asks for ``RESOURCE_GROUPS cores:1`` (``cores:<PROCESSORS>``,
  at most the cores, for a test with ``PROCESSORS``). ``add_test()`` and
  ``set_tests_properties()`` are wrapped for that, in a file that the
  top-level directory includes before any test, so tests need not be listed
  anywhere; a test whose ``RESOURCE_GROUPS`` name ``cores`` keeps its own,
  and one with other groups gets one more, ``cores:<n>``, after them.
  ``PROCESSORS`` stays 1 (or the test's own), so time summaries are real
  seconds, and ``-j N`` on the command line gives min(N, cores) at once.
  Without ``PYTEST_SHARDS_PRESET_JOBS`` nothing of this happens.

  CI slices: with ``PYTEST_SHARDS_SLICE=k/n`` (1 <= k <= n) in ctest's
  environment, the run holds only the k-th of n duration-balanced parts of
  the entries, so the n jobs of a CI matrix split one suite; every entry is
  in exactly one part when all jobs plan from the same collection, durations
  and core count. A malformed value is one failing ``<name>/plan-error``.

  ``MEMORY_BUDGET``: ctest never runs entries together whose memory would
  exceed the budget (MiB; ``auto``: the memory available when ctest starts).
  Each entry asks for ``RESOURCE_GROUPS memory:<MiB>``, its peak RSS in the
  last run (never measured: the suite's largest, else 256), and the include
  file writes a resource spec file with that many ``memory`` slots and sets
  ``CTEST_RESOURCE_SPEC_FILE``. All suites of one ctest run share one pool,
  sized by the first suite with a budget. Under the parallel preset the
  entry's core and memory are one group (``cores:1,memory:<MiB>``) and the
  one spec file (``${CMAKE_BINARY_DIR}/pytest-shards/resource-spec.json``)
  holds both resources.

  A spec file given to ctest (``--resource-spec-file``, preset
  ``resourceSpecFile``) or set as ``CTEST_RESOURCE_SPEC_FILE`` in the project
  wins: it must then define ``memory`` (with a budget) and, under the
  parallel preset, ``cores`` with as many slots as tests may run at once,
  else ctest does not run the tests that ask for them ("Insufficient
  resources").

  ``WARM AUTO`` (the default): ``GRANULARITY file`` and ``test`` entries
  fork their pytest from one warm interpreter per suite and ctest run (it
  has imported and collected the suite once) instead of starting pytest;
  ``ON`` does so for shard entries too, ``OFF`` never (for suites whose
  imports start threads, or that need ``pytest_configure`` per entry).
  ``PYTEST_SHARDS_WARM=0`` or ``1`` in ctest's environment overrides it.

  ``IMPORTS suite`` (the default): every shard's pytest imports what plain
  pytest's collection imports, every conftest and test module that ``ARGS``
  name, in pytest's order, and builds and runs items only for its own
  tests, so import-time side effects (registrations, submodule attributes,
  global state) are the same as under plain pytest. ``IMPORTS own``: a
  shard collects only its own modules; faster start-up, for suites whose
  modules are known not to affect each other when imported.

  Every entry carries the labels ``pytest`` and ``<name>`` plus ``LABELS``;
  entries of serial tests also carry ``serial`` and their ``RESOURCE_LOCK``.
  ``GRANULARITY test`` entries also carry their pytest markers as labels and
  ``DEF_SOURCE_LINE`` (``<file>:<line>`` of the ``def``) for IDEs.
  Tests that failed in the last run go first: into entries of their own
  labelled ``last-failed`` with the highest ``COST`` (``GRANULARITY test``:
  their own entries get the label), so ``ctest -L last-failed`` re-runs them
  as ``pytest --lf`` would.
  The suite's files live in ``${CMAKE_CURRENT_BINARY_DIR}/pytest-shards/<name>``.

.. command:: pytest_shards_share_cores

  ``pytest_shards_share_cores(TESTS <test>...)`` is kept for projects that
  call it and changes nothing: under the parallel preset every test of the
  build tree shares the cores, listed or not.
#]=======================================================================]

include_guard(GLOBAL)

# A bracket argument holding `text` exactly, for generated CMake code.
function(_pytest_shards_bracket out text)
  set(guard "=")
  while(text MATCHES "]${guard}]")
    string(APPEND guard "=")
  endwhile()
  set(${out} "[${guard}[${text}]${guard}]" PARENT_SCOPE)
endfunction()

# Sets <out> to an interpreter that can import pytest and <out>_VERSION to its
# pytest version, or stops with one line naming what was tried.
function(_pytest_shards_find_python out name explicit)
  if(explicit AND IS_ABSOLUTE "${explicit}" AND NOT EXISTS "${explicit}")
    message(FATAL_ERROR "pytest_shard_tests(${name}): PYTHON ${explicit} does not exist; "
      "pass an interpreter that can import pytest as PYTHON <exe>")
  endif()
  if(explicit)
    set(candidates "${explicit}")
  else()
    set(candidates)
    if(DEFINED ENV{VIRTUAL_ENV})
      list(APPEND candidates "$ENV{VIRTUAL_ENV}/bin/python" "$ENV{VIRTUAL_ENV}/Scripts/python.exe")
    endif()
    if(Python3_EXECUTABLE)
      list(APPEND candidates "${Python3_EXECUTABLE}")
    endif()
    find_program(_pytest_shards_path_python NAMES python3 python NO_CACHE)
    if(_pytest_shards_path_python)
      list(APPEND candidates "${_pytest_shards_path_python}")
    endif()
    list(APPEND candidates /usr/bin/python3 /usr/local/bin/python3)
    list(REMOVE_DUPLICATES candidates)
  endif()
  set(tried)
  foreach(python IN LISTS candidates)
    if(NOT explicit AND NOT EXISTS "${python}")
      continue()
    endif()
    get_property(version GLOBAL PROPERTY "_PYTEST_SHARDS_PYTEST_OF_${python}")
    if(NOT version)
      execute_process(
        COMMAND "${python}" -c "import pytest; print(pytest.__version__)"
        RESULT_VARIABLE result OUTPUT_VARIABLE version ERROR_VARIABLE error
        OUTPUT_STRIP_TRAILING_WHITESPACE TIMEOUT 60)
      if(NOT result EQUAL 0)
        set(version "")
      endif()
      set_property(GLOBAL PROPERTY "_PYTEST_SHARDS_PYTEST_OF_${python}" "${version}")
    endif()
    if(version)
      if(tried)
        list(JOIN tried ", " tried)
        message(STATUS "pytest-shards: ${name}: ${tried} cannot import pytest; using ${python}")
      endif()
      set(${out} "${python}" PARENT_SCOPE)
      set(${out}_VERSION "${version}" PARENT_SCOPE)
      return()
    endif()
    list(APPEND tried "${python}")
  endforeach()
  if(explicit)
    message(FATAL_ERROR "pytest_shard_tests(${name}): PYTHON ${explicit} cannot import pytest "
      "or does not run; install pytest for it or pass another interpreter as PYTHON <exe>")
  endif()
  list(JOIN tried ", " tried)
  if(NOT tried)
    set(tried "no interpreter found")
  endif()
  message(FATAL_ERROR "pytest_shard_tests(${name}): no Python interpreter can import pytest "
    "(tried: ${tried}); install pytest (Debian: apt-get install python3-pytest) or pass "
    "PYTHON <exe> / -DPython3_EXECUTABLE=<exe>")
endfunction()

function(_pytest_shards_check name what value pattern hint)
  if(NOT "${value}" MATCHES "${pattern}")
    message(FATAL_ERROR "pytest_shard_tests(${name}): ${what} '${value}' is not valid; ${hint}")
  endif()
endfunction()

# The include-file code of MEMORY_BUDGET: sizes the run's memory pool (once
# per ctest run, whichever suite comes first) for the resource spec file (see
# _pytest_shards_cores_file) and the planner's --memory-budget.
function(_pytest_shards_memory_code out_code out_arg budget)
  if("${budget}" STREQUAL "")
    set(${out_code} "" PARENT_SCOPE)
    set(${out_arg} "" PARENT_SCOPE)
    return()
  endif()
  if(budget STREQUAL "auto")
    set(size "cmake_host_system_information(RESULT _pytest_shards_memory_pool QUERY AVAILABLE_PHYSICAL_MEMORY)")
  else()
    set(size "set(_pytest_shards_memory_pool ${budget})")
  endif()
  set(${out_code} "# MEMORY_BUDGET ${budget}: one memory pool per ctest run, sized by the first suite.
if(NOT DEFINED _pytest_shards_memory_pool)
  ${size}
  _pytest_shards_write_spec()
endif()
" PARENT_SCOPE)
  set(${out_arg} "\n    --memory-budget \${_pytest_shards_memory_pool}" PARENT_SCOPE)
endfunction()

# The ctest-time code of the parallel preset's cap: under it, every test of
# the run asks for a slot of the CTest resource `cores`. Written once per
# configure as ${CMAKE_BINARY_DIR}/pytest-shards/cores.cmake and included
# first by the top-level directory's tests (before its own add_test() calls;
# CTest reads the subdirectories after them), and again (a no-op then) by
# every suite's include.cmake, for ctest --test-dir <subdirectory>. Sets
# <out> to its path.
function(_pytest_shards_cores_file out)
  set(file "${CMAKE_BINARY_DIR}/pytest-shards/cores.cmake")
  set(${out} "${file}" PARENT_SCOPE)
  get_property(done GLOBAL PROPERTY _PYTEST_SHARDS_CORES_FILE)
  if(done)
    return()
  endif()
  set_property(GLOBAL PROPERTY _PYTEST_SHARDS_CORES_FILE TRUE)
  _pytest_shards_bracket(SPEC "${CMAKE_BINARY_DIR}/pytest-shards/resource-spec.json")
  set(code [==[# Generated by PytestShards.cmake; do not edit. ctest includes this before
# any add_test() of the build tree. It counts the cores once per ctest run and,
# under the parallel preset (PYTEST_SHARDS_PRESET_JOBS, presets/pytest-shards.json),
# turns them into the CTest resource `cores` that every test asks a slot of.
cmake_policy(PUSH)
cmake_policy(VERSION 3.25)
if(NOT DEFINED _pytest_shards_cap)
  cmake_host_system_information(RESULT _pytest_shards_cores QUERY NUMBER_OF_LOGICAL_CORES)
  if("$ENV{PYTEST_SHARDS_CORES}" MATCHES "^[1-9][0-9]*$")
    set(_pytest_shards_cores "$ENV{PYTEST_SHARDS_CORES}")
  elseif(NOT "$ENV{PYTEST_SHARDS_CORES}" STREQUAL "")
    message(WARNING "pytest-shards: PYTEST_SHARDS_CORES='$ENV{PYTEST_SHARDS_CORES}' is not a "
      "positive whole number; using the ${_pytest_shards_cores} cores of this machine")
  endif()
  set(_pytest_shards_cap FALSE)
  if("$ENV{PYTEST_SHARDS_PRESET_JOBS}" MATCHES "^[0-9]+$")
    set(_pytest_shards_cap TRUE)
  endif()
  set(_pytest_shards_spec @SPEC@)

  # (Re)writes the run's resource spec file: `cores` under the preset, and
  # `memory` once a suite with MEMORY_BUDGET sized the pool. CTest reads
  # CTEST_RESOURCE_SPEC_FILE after every include file, so the last write
  # holds both. A spec file the project set itself is left alone (and one
  # given to ctest, --resource-spec-file or resourceSpecFile, wins anyway).
  # Written under a temporary name and renamed: a ctest starting beside this
  # one may be reading it.
  macro(_pytest_shards_write_spec)
    if(NOT DEFINED CTEST_RESOURCE_SPEC_FILE OR CTEST_RESOURCE_SPEC_FILE STREQUAL _pytest_shards_spec)
      set(_pytest_shards_pools)
      if(_pytest_shards_cap)
        list(APPEND _pytest_shards_pools "\"cores\": [{\"id\": \"0\", \"slots\": ${_pytest_shards_cores}}]")
      endif()
      if(DEFINED _pytest_shards_memory_pool)
        list(APPEND _pytest_shards_pools "\"memory\": [{\"id\": \"0\", \"slots\": ${_pytest_shards_memory_pool}}]")
      endif()
      list(JOIN _pytest_shards_pools ", " _pytest_shards_pools)
      string(RANDOM LENGTH 12 _pytest_shards_tmp)
      set(_pytest_shards_tmp "${_pytest_shards_spec}.${_pytest_shards_tmp}")
      file(WRITE "${_pytest_shards_tmp}"
        "{\"version\": {\"major\": 1, \"minor\": 0}, \"local\": [{${_pytest_shards_pools}}]}\n")
      file(RENAME "${_pytest_shards_tmp}" "${_pytest_shards_spec}")
      set(CTEST_RESOURCE_SPEC_FILE "${_pytest_shards_spec}")
    endif()
  endmacro()

  if(_pytest_shards_cap)
    _pytest_shards_write_spec()

    # Calls `command` with the arguments of the calling function, exactly:
    # an element may hold ';' or be empty, which ${ARGV} would lose. A macro,
    # so that ARGV<i> are the caller's (and _argv its "${ARGV}", which a macro
    # cannot name). Each ';' is escaped in a list that the call splits again.
    # An argument that such a list cannot carry (empty, or holding '[', ']'
    # or '\') makes them bracket arguments of generated code instead, each
    # closing bracket first occurring where its argument ends (CMake drops the
    # newline right after an opening bracket). Only then: CMake keeps every
    # piece of evaluated code (about 5 KB) to the end of the run, and ctest
    # starts each test slower the bigger it is.
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
        set(_guard "=")
        set(_code "${command}(")
        foreach(_i RANGE ${_last})
          while("${ARGV${_i}}]${_guard}" MATCHES "]${_guard}]")
            string(APPEND _guard "=")
          endwhile()
          string(APPEND _code " [${_guard}[\n${ARGV${_i}}]${_guard}]")
        endforeach()
        cmake_language(EVAL CODE "${_code} ${ARGN})")
      endif()
    endmacro()

    # From here on, every test asks for RESOURCE_GROUPS cores:<its PROCESSORS,
    # at most the cores>, so that ctest runs at most `cores` at once whatever
    # -j says, and each test's time counts once in the time summaries. Tests
    # whose RESOURCE_GROUPS name `cores` ask themselves, and the pytest
    # entries call _add_test() and _set_tests_properties() directly.
    # CTest appends every RESOURCE_GROUPS value to a test's groups, so the
    # slot is added once the test's own properties are known: in its
    # set_tests_properties() (CMake writes one after every add_test()), else
    # at the next add_test().
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
        if(slots GREATER _pytest_shards_cores)
          set(slots ${_pytest_shards_cores})
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
  endif()
endif()
cmake_policy(POP)
]==])
  file(CONFIGURE OUTPUT "${file}" CONTENT "${code}" @ONLY)
  get_property(includes DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY TEST_INCLUDE_FILES)
  set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY TEST_INCLUDE_FILES "${file}" ${includes})
endfunction()

function(_pytest_shards_add_test_fast)
  if(TARGET test-fast)
    return()
  endif()
  add_custom_target(test-fast
    COMMAND "${CMAKE_COMMAND}" "-DCTEST_COMMAND=${CMAKE_CTEST_COMMAND}"
      "-DTEST_DIR=${CMAKE_BINARY_DIR}" -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/PytestShardsTestFast.cmake"
    COMMENT "Running the tests on every core"
    USES_TERMINAL VERBATIM)
endfunction()

function(pytest_shard_tests name)
  cmake_parse_arguments(PARSE_ARGV 1 arg ""
    "PYTHON;WORKING_DIRECTORY;SHARDS;GRANULARITY;DISTRIBUTION;IMPORTS;WARM;SERIAL_MARKER;PORT_BASE;PORTS_PER_SHARD;TIMEOUT;TEST_TIMEOUT;DISCOVERY_MODE;DISCOVERY_TIMEOUT;MEMORY_BUDGET"
    "ARGS;RUN_ARGS;ENVIRONMENT;LABELS;PROPERTIES;FIXTURES_REQUIRED;DEPENDS")
  if(arg_UNPARSED_ARGUMENTS)
    list(GET arg_UNPARSED_ARGUMENTS 0 unknown)
    message(FATAL_ERROR "pytest_shard_tests(${name}): unknown argument '${unknown}'; "
      "see the options in ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/PytestShards.cmake")
  endif()
  _pytest_shards_check(${name} "name" "${name}" "^[A-Za-z0-9_.+-]+$"
    "use letters, digits and _ . + -")

  # Defaults and checks: everything a user can get wrong fails here, at configure.
  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  cmake_path(ABSOLUTE_PATH arg_WORKING_DIRECTORY BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${arg_WORKING_DIRECTORY}")
    message(FATAL_ERROR "pytest_shard_tests(${name}): WORKING_DIRECTORY ${arg_WORKING_DIRECTORY} "
      "does not exist; pass an existing directory")
  endif()
  # ZIP_LISTS takes list variables: option, default, pattern, hint.
  set(options SHARDS GRANULARITY DISTRIBUTION IMPORTS DISCOVERY_MODE SERIAL_MARKER WARM)
  set(defaults auto shard load suite CONFIGURE serial AUTO)
  set(patterns "^(auto|[1-9][0-9]*)$" "^(shard|file|test)$" "^(load|file|scope|group)$"
    "^(suite|own)$" "^(CONFIGURE|PRE_TEST)$" "^[A-Za-z_][A-Za-z0-9_]*$" "^(AUTO|ON|OFF)$")
  set(hints "use auto or a positive whole number" "use shard, file or test"
    "use load, file, scope or group" "use suite or own" "use CONFIGURE or PRE_TEST"
    "use a Python identifier" "use AUTO, ON or OFF")
  foreach(option value pattern hint IN ZIP_LISTS options defaults patterns hints)
    if("${arg_${option}}" STREQUAL "")
      set(arg_${option} "${value}")
    endif()
    _pytest_shards_check(${name} ${option} "${arg_${option}}" "${pattern}" "${hint}")
  endforeach()
  set(options PORT_BASE PORTS_PER_SHARD TIMEOUT TEST_TIMEOUT DISCOVERY_TIMEOUT)
  set(defaults 20000 10 0 0 300)
  foreach(option value IN ZIP_LISTS options defaults)
    if("${arg_${option}}" STREQUAL "")
      set(arg_${option} "${value}")
    endif()
    _pytest_shards_check(${name} ${option} "${arg_${option}}" "^[0-9]+(\\.[0-9]+)?$"
      "use a number")
  endforeach()
  if(DEFINED arg_MEMORY_BUDGET)
    _pytest_shards_check(${name} MEMORY_BUDGET "${arg_MEMORY_BUDGET}" "^(auto|[1-9][0-9]*)$"
      "use auto or a whole number of MiB")
  endif()
  list(LENGTH arg_PROPERTIES property_words)
  math(EXPR odd "${property_words} % 2")
  if(odd)
    message(FATAL_ERROR "pytest_shard_tests(${name}): PROPERTIES needs <name> <value> pairs")
  endif()

  _pytest_shards_find_python(python ${name} "${arg_PYTHON}")
  message(STATUS "pytest-shards: ${name}: Python ${python} (pytest ${python_VERSION})")

  if(NOT PytestShards_EXECUTABLE OR NOT PytestShards_PLUGIN_DIR)
    message(FATAL_ERROR "pytest_shard_tests(${name}): pytest-shards is not set up; "
      "use find_package(PytestShards) or add_subdirectory(<pytest-shards source>)")
  endif()
  set(suite_dir "${CMAKE_CURRENT_BINARY_DIR}/pytest-shards/${name}")
  string(TOLOWER "${arg_WARM}" warm)
  set(collect
    collect --suite-dir "${suite_dir}" --suite "${name}" --python "${python}"
    --workdir "${arg_WORKING_DIRECTORY}" --plugin-dir "${PytestShards_PLUGIN_DIR}"
    --shards "${arg_SHARDS}" --granularity "${arg_GRANULARITY}"
    --distribution "${arg_DISTRIBUTION}" --imports "${arg_IMPORTS}" --serial-marker "${arg_SERIAL_MARKER}"
    --warm "${warm}"
    --port-base "${arg_PORT_BASE}" --ports-per-shard "${arg_PORTS_PER_SHARD}"
    --timeout "${arg_TIMEOUT}" --test-timeout "${arg_TEST_TIMEOUT}"
    --discovery-mode "${arg_DISCOVERY_MODE}" --discovery-timeout "${arg_DISCOVERY_TIMEOUT}")
  set(options RUN_ARGS ENVIRONMENT LABELS FIXTURES_REQUIRED)
  set(flags --run-arg --env --label --fixtures-required)
  foreach(option flag IN ZIP_LISTS options flags)
    foreach(value IN LISTS arg_${option})
      list(APPEND collect "${flag}=${value}")
    endforeach()
  endforeach()
  while(arg_PROPERTIES)
    list(POP_FRONT arg_PROPERTIES property value)
    list(APPEND collect "--property=${property}=${value}")
  endwhile()
  if(arg_DISCOVERY_MODE STREQUAL "PRE_TEST")
    list(APPEND collect --settings-only)
  endif()
  list(APPEND collect -- ${arg_ARGS})

  if(TARGET "${PytestShards_EXECUTABLE}")
    # The executable is built by this project: collect once it exists.
    set(tool "$<TARGET_FILE:${PytestShards_EXECUTABLE}>")
    add_custom_target(${name}-collect ALL
      COMMAND "${PytestShards_EXECUTABLE}" ${collect}
      COMMENT "Collecting the pytest suite ${name}"
      VERBATIM)
    if(arg_DEPENDS)
      add_dependencies(${name}-collect ${arg_DEPENDS})
    endif()
  else()
    set(tool "${PytestShards_EXECUTABLE}")
    execute_process(COMMAND "${tool}" ${collect}
      WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}"
      RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE error)
    string(STRIP "${output}" output)
    string(STRIP "${error}" error)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "pytest_shard_tests(${name}): ${error}")
    endif()
    string(FIND "${output}" ": warning: " warning)
    if(warning GREATER -1)
      # Modules that failed to collect: configure succeeds, and says so loudly.
      message(WARNING "${output}")
    elseif(output)
      message(STATUS "${output}")
    endif()
    if(arg_DEPENDS)
      # The suite may import what these targets build: collect again after them.
      add_custom_target(${name}-collect ALL
        COMMAND "${tool}" collect --suite-dir "${suite_dir}"
        DEPENDS ${arg_DEPENDS} VERBATIM)
    endif()
  endif()

  # The ctest-time part: plan at every start, from this machine's core count.
  _pytest_shards_bracket(tool_q "${tool}")
  _pytest_shards_bracket(dir_q "${suite_dir}")
  _pytest_shards_bracket(error_q "${name}/plan-error")
  _pytest_shards_bracket(cmake_q "${CMAKE_COMMAND}")
  _pytest_shards_memory_code(memory_code memory_arg "${arg_MEMORY_BUDGET}")
  _pytest_shards_cores_file(cores_file)
  _pytest_shards_bracket(cores_q "${cores_file}")
  set(timeout 600)
  if(arg_DISCOVERY_MODE STREQUAL "PRE_TEST")
    math(EXPR timeout "${arg_DISCOVERY_TIMEOUT} + 60")
  endif()
  file(GENERATE OUTPUT "${suite_dir}/include.cmake" CONTENT
"# Generated by pytest_shard_tests(${name}): plans the shards at every ctest start.
cmake_policy(PUSH)
cmake_policy(VERSION 3.25)
# The cores (once per ctest run) and, under the parallel preset, the cap.
include(${cores_q})
set(_pytest_shards_cap_arg)
if(_pytest_shards_cap)
  set(_pytest_shards_cap_arg --cores-resource)
endif()
${memory_code}execute_process(
  COMMAND ${tool_q} plan --suite-dir ${dir_q}${memory_arg}
    --cores \${_pytest_shards_cores} \${_pytest_shards_cap_arg}
    --slice \"\$ENV{PYTEST_SHARDS_SLICE}\"
  RESULT_VARIABLE _pytest_shards_result
  OUTPUT_VARIABLE _pytest_shards_tests OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_VARIABLE _pytest_shards_output
  TIMEOUT ${timeout})
if(_pytest_shards_result EQUAL 0)
  # This ctest's own run: a ctest starting beside it plans another.
  include(\"\${_pytest_shards_tests}\")
else()
  # The planner could not run (not built yet?): one entry says why.
  add_test(${error_q} ${cmake_q} -E echo
    \"pytest-shards plan failed (\${_pytest_shards_result}): \${_pytest_shards_output}\")
  set_tests_properties(${error_q} PROPERTIES WILL_FAIL TRUE LABELS \"pytest;${name}\")
endif()
cmake_policy(POP)
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${suite_dir}/include.cmake")
  _pytest_shards_add_test_fast()
endfunction()

# Kept for projects that call it: every test shares the cap now (see the
# cores file above), listed or not.
function(pytest_shards_share_cores)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "" "TESTS")
  if(arg_UNPARSED_ARGUMENTS)
    list(GET arg_UNPARSED_ARGUMENTS 0 unknown)
    message(FATAL_ERROR "pytest_shards_share_cores(): unknown argument '${unknown}'; "
      "use pytest_shards_share_cores(TESTS <test>...)")
  endif()
  _pytest_shards_cores_file(unused)
endfunction()
