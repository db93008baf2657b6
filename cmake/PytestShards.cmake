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
      [WARM AUTO|ON|OFF] [WARM_REUSE ON|OFF]
      [SHARED_TAIL ON|OFF]
      [SERIAL_MARKER <marker>]
      [DURATIONS_FILE <path>]
      [PORT_BASE <n>] [PORTS_PER_SHARD <n>]
      [ENVIRONMENT <VAR=value>...]
      [TIMEOUT <seconds>] [TEST_TIMEOUT <seconds>]
      [LABELS <label>...] [PROPERTIES <prop> <value>...]
      [FIXTURES_REQUIRED <fixture>...]
      [MEMORY_BUDGET <MiB>|auto]
      [DISCOVERY_MODE CONFIGURE|PRE_TEST] [DISCOVERY_TIMEOUT <seconds>]
      [DEPENDS <target>...])

  ``<name>``
    The suite's name: letters, digits and ``_ . + -``. Entries are named
    ``<name>/shard-NN``, ``<name>/<file>`` or ``<name>/<node ID>``, and the
    suite's files live in ``${CMAKE_CURRENT_BINARY_DIR}/pytest-shards/<name>``.

  ``PYTHON <exe>``
    The interpreter that runs pytest. Default: the first that can import
    pytest of an active virtualenv, ``Python3_EXECUTABLE``,
    ``Python_EXECUTABLE``, ``PYTHON_EXECUTABLE``, the imported targets
    ``Python3::Interpreter`` and ``Python::Interpreter``, ``python3`` on
    ``PATH``, ``/usr/bin/python3``.

  ``WORKING_DIRECTORY <dir>``
    pytest's working directory (and so its rootdir, as usual); relative to
    ``CMAKE_CURRENT_SOURCE_DIR``, which is the default.

  ``ARGS <arg>...``
    pytest arguments for collection and for every run: paths,
    ``--pyargs <package>``, ``-m``, ``-k``, ``-p``.

  ``RUN_ARGS <arg>...``
    More pytest arguments, for the runs only (``-x``, ``--tb=short``).

  ``SHARDS <n>|auto``
    The number of non-serial shards. ``auto`` (the default) derives it from
    the cores, the estimated suite time and the measured interpreter
    start-up; once durations are measured, it takes fewer shards when one
    test is longer than a shard's share, so that no core idles at the end.

  ``GRANULARITY shard|file|test``
    One entry per shard (the default), per test file, or per node ID (for
    IDEs: such entries also carry their pytest markers as labels and
    ``DEF_SOURCE_LINE``, ``<file>:<line>`` of the ``def``).

  ``DISTRIBUTION load|file|scope|group``
    What one shard keeps together, as pytest-xdist's ``--dist``: only
    ``xdist_group`` members (``load``, the default, and ``group``), a module
    (``file``), or a class, else a module (``scope``). ``xdist_group`` is
    always honoured.

  ``IMPORTS suite|own``
    What a shard's pytest imports. ``suite`` (the default): every conftest
    and test module that ``ARGS`` name, in pytest's order, building and
    running items only for its own tests, so import-time side effects
    (registrations, submodule attributes, global state) are those of plain
    pytest. ``own``: only its own modules; faster start-up, for suites whose
    modules are known not to affect each other when imported.

  ``WARM AUTO|ON|OFF``
    ``AUTO`` (the default): ``GRANULARITY file`` and ``test`` entries fork
    their pytest from one warm interpreter per suite and ctest run, which
    imported and collected the suite once, instead of starting pytest;
    shard entries start pytest, and fork only to restart after a crash.
    ``ON`` forks every run of shard entries too, ``OFF`` never (for suites
    whose imports start threads, or that need ``pytest_configure`` per
    entry).
    ``PYTEST_SHARDS_WARM=0`` or ``1`` in ctest's environment overrides it.

  ``WARM_REUSE ON|OFF``
    ``ON`` (the default): a child forked from the warm interpreter runs one
    entry at a time, and after an entry that ended cleanly the next one, as a
    shard runs its tests one after another in one process; fixtures of every
    scope are torn down at the end of each entry. A child whose entry left a
    thread, a process or its output open serves no other entry. ``OFF``: a
    new child for every entry, so that no entry sees what an earlier one left
    in the modules it imported (slower: each child pays its copy-on-write
    faults again). ``PYTEST_SHARDS_WARM_REUSE=0`` or ``1`` in ctest's
    environment overrides it.

  ``SHARED_TAIL ON|OFF``
    ``ON`` (the default): with ``GRANULARITY shard`` and two or more
    shards, about the last fifth of the suite's time (the tests at the end
    of the collection, while each is small) goes to a shared tail instead
    of to one shard. Every shard collects those tests
    too; when its own tests are done it takes them one group at a time from
    a list in the run's directory (a lock makes each take atomic), so that
    the shards end together however wrong the learned durations were. Each
    test still runs exactly once, and the journal, the report and the JUnit
    file name the shard that ran it. Serial tests, ``xdist_group`` groups
    and what ``DISTRIBUTION file`` or ``scope`` keeps together move only as
    a whole, or not at all. Off under ``MEMORY_BUDGET``, which reserves
    each entry's peak of the last run. ``OFF``: static shards.

  ``SERIAL_MARKER <marker>``
    The marker of tests that must not run beside each other (default
    ``serial``, which is always registered). Their entries carry the label
    ``serial`` and their ``RESOURCE_LOCK``.

  ``DURATIONS_FILE <path>``
    A durations JSON file, as ``pytest-shards merge --durations-out`` writes
    it, typically committed or restored from a CI cache (relative paths are
    relative to ``CMAKE_CURRENT_SOURCE_DIR``). A test this build tree never
    timed is planned with its duration from the file. CI slices
    (``PYTEST_SHARDS_SLICE``, CI variables) are cut from the collection and
    this file alone, so every job of a matrix puts each test in the same
    slice whatever its cores or local history. A missing file is a warning
    at ctest start; a corrupt one is an error naming it.

  ``PORT_BASE <n>``
    Shards take free, private TCP port ranges from this port upwards
    (default 20000).

  ``PORTS_PER_SHARD <n>``
    The size of each shard's port range (default 10).

  ``ENVIRONMENT <VAR=value>...``
    More environment for every shard. Placeholders: ``{shard}``,
    ``{shards}``, ``{tmp}``, ``{port_base}``, ``{port_count}``.

  ``TIMEOUT <seconds>``
    The CTest ``TIMEOUT`` of every entry (default none). The runner stops
    itself just before it and names the running test.

  ``TEST_TIMEOUT <seconds>``
    A limit for one test, enforced from outside the interpreter (default
    none): the test is killed and reported, and the rest of the shard runs.

  ``LABELS <label>...``
    Labels of every entry, besides ``pytest`` and ``<name>``.

  ``PROPERTIES <prop> <value>...``
    Any CTest test properties of every entry, applied last.

  ``FIXTURES_REQUIRED <fixture>...``
    CTest fixtures every entry needs (a database server, say).

  ``MEMORY_BUDGET <MiB>|auto``
    ctest never runs entries together whose memory would exceed the budget
    (MiB; ``auto``: the memory available when ctest starts). Each entry asks
    for ``RESOURCE_GROUPS memory:<MiB>``, its peak RSS in the last run
    (never measured: the suite's largest, else 256), and the include file
    writes a resource spec file with that many ``memory`` slots and sets
    ``CTEST_RESOURCE_SPEC_FILE``. All suites of one ctest run share one
    pool, sized by the first suite with a budget. Under the parallel preset
    the entry's core and memory are one group (``cores:1,memory:<MiB>``)
    and the one spec file
    (``${CMAKE_BINARY_DIR}/pytest-shards/resource-spec.json``) holds both
    resources.

  ``DISCOVERY_MODE CONFIGURE|PRE_TEST``
    When to collect: at configure (the default), or at every ctest start
    (cached by content hashes).

  ``DISCOVERY_TIMEOUT <seconds>``
    The limit for one collection (default 300).

  ``DEPENDS <target>...``
    Targets the suite imports (extension modules). Configure then only
    stores the settings; a build step (``<name>-collect``, in ``ALL``)
    collects once they are built, and again at every build when one of them,
    a test file or a module the collection imported changed. A ``ctest``
    before the build has one failing entry ``<name>/build-first`` that says
    so.

  Configure time: finds the interpreter and runs ``pytest-shards collect``,
  which stores the suite's settings and collects its node IDs. When the
  ``pytest-shards`` executable is a target of this build
  (``add_subdirectory`` or ``FetchContent``), or the suite has ``DEPENDS``,
  collection runs at build time instead, once the executable and the
  ``DEPENDS`` exist. Its cache stamps the files it read and the modules it
  imported from the project's source and build trees or the rootdir, and
  the ``DEPENDS`` targets' files.

  A suite whose directory ``ctest --test-dir <top build dir>`` does not
  reach (no ``enable_testing()`` there or on the way from the top) is a
  warning at the end of configure.

  ctest time: a generated include file (an ``include()`` of
  ``PytestShardsAddTests.cmake`` beside this module and one call) asks
  ``pytest-shards cores`` for the cores ctest may use (its CPU affinity mask,
  then a cgroup CPU quota rounded up; ``PYTEST_SHARDS_CORES=<n>`` in ctest's
  environment stands in for them) and runs ``pytest-shards plan``, which
  plans the shards from the collection and the durations of earlier runs
  and writes ``add_test()`` calls, one per entry.

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
  environment (else a CI system's own variables: GitLab ``CI_NODE_INDEX``,
  CircleCI ``CIRCLE_NODE_INDEX``, Buildkite ``BUILDKITE_PARALLEL_JOB``,
  Azure ``SYSTEM_JOBPOSITIONINPHASE``, with their totals), the run holds only the k-th of n duration-balanced parts of
  the entries, so the n jobs of a CI matrix split one suite; every entry is
  in exactly one part when all jobs plan from the same collection, durations
  and core count. A malformed value is one failing ``<name>/plan-error``.

  A spec file given to ctest (``--resource-spec-file``, preset
  ``resourceSpecFile``) or set as ``CTEST_RESOURCE_SPEC_FILE`` in the project
  wins: it must then define ``memory`` (with a budget) and, under the
  parallel preset, ``cores`` with as many slots as tests may run at once,
  else ctest does not run the tests that ask for them ("Insufficient
  resources").

  Tests that failed in the last run go first: into entries of their own
  labelled ``last-failed`` with the highest ``COST`` (``GRANULARITY test``:
  their own entries get the label), so ``ctest -L last-failed`` re-runs them
  as ``pytest --lf`` would.

.. command:: pytest_shards_share_cores

  ``pytest_shards_share_cores(TESTS <test>...)`` is kept for projects that
  call it and changes nothing: under the parallel preset every test of the
  build tree shares the cores, listed or not.
#]=======================================================================]

include_guard(GLOBAL)
# _pytest_shards_argument, the one quoting of generated code, lives with the
# ctest-time code it quotes for.
include("${CMAKE_CURRENT_LIST_DIR}/PytestShardsAddTests.cmake")

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
    # The interpreter the project found: FindPython3's, FindPython's and
    # the old FindPythonInterp's variables, then their imported targets.
    foreach(variable IN ITEMS Python3_EXECUTABLE Python_EXECUTABLE PYTHON_EXECUTABLE)
      if(${variable})
        list(APPEND candidates "${${variable}}")
      endif()
    endforeach()
    foreach(target IN ITEMS Python3::Interpreter Python::Interpreter)
      if(TARGET ${target})
        get_target_property(location ${target} IMPORTED_LOCATION)
        if(location)
          list(APPEND candidates "${location}")
        endif()
      endif()
    endforeach()
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

# Stops at the first of `unparsed` (cmake_parse_arguments' UNPARSED_ARGUMENTS)
# with one line: "<call>: unknown argument '<it>'; <fix>".
function(_pytest_shards_reject_unknown call fix unparsed)
  if(unparsed)
    list(GET unparsed 0 unknown)
    message(FATAL_ERROR "${call}: unknown argument '${unknown}'; ${fix}")
  endif()
endfunction()

function(_pytest_shards_check name what value pattern hint)
  if(NOT "${value}" MATCHES "${pattern}")
    message(FATAL_ERROR "pytest_shard_tests(${name}): ${what} '${value}' is not valid; ${hint}")
  endif()
endfunction()

# The table of options, cmake/options.json (docs/contributing.md), read once
# per configure into global properties: _PYTEST_SHARDS_OPTIONS (every
# keyword, in the table's order), _PYTEST_SHARDS_ONE_VALUE and
# _PYTEST_SHARDS_MANY_VALUES (cmake_parse_arguments' lists) and, per option,
# _PYTEST_SHARDS_<NAME>_<FIELD>: DEFAULT, PATTERN and HINT (its check), FLAG
# (collect's), LOWER (collect takes its choice in lower case), TYPE.
function(_pytest_shards_read_options)
  get_property(done GLOBAL PROPERTY _PYTEST_SHARDS_OPTIONS)
  if(done)
    return()
  endif()
  file(READ "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/options.json" table)
  string(JSON count LENGTH "${table}" options)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON option GET "${table}" options ${i})
    _pytest_shards_option_fields("${table}" "${option}")
  endforeach()
endfunction()

# Sets the global properties of one option of the table from its JSON
# object; the pattern and hint of a choice list its choices.
function(_pytest_shards_option_fields table option)
  string(JSON name GET "${option}" name)
  string(JSON type GET "${option}" type)
  string(JSON values GET "${option}" values)
  set_property(GLOBAL APPEND PROPERTY _PYTEST_SHARDS_OPTIONS ${name})
  if(values STREQUAL "one")
    set_property(GLOBAL APPEND PROPERTY _PYTEST_SHARDS_ONE_VALUE ${name})
  else()
    set_property(GLOBAL APPEND PROPERTY _PYTEST_SHARDS_MANY_VALUES ${name})
  endif()
  set(pattern "")
  set(hint "")
  if(type STREQUAL "choice")
    string(JSON count LENGTH "${option}" choices)
    math(EXPR last "${count} - 1")
    set(choices)
    foreach(i RANGE ${last})
      string(JSON choice GET "${option}" choices ${i})
      list(APPEND choices "${choice}")
    endforeach()
    list(POP_BACK choices final)
    list(JOIN choices "|" alternatives)
    set(pattern "^(${alternatives}|${final})$")
    list(JOIN choices ", " hint)
    set(hint "use ${hint} or ${final}")
  else()
    string(JSON pattern ERROR_VARIABLE none GET "${table}" types ${type} pattern)
    string(JSON hint ERROR_VARIABLE none GET "${table}" types ${type} hint)
  endif()
  foreach(field IN ITEMS default flag lower)
    string(JSON ${field} ERROR_VARIABLE none GET "${option}" ${field})
    if(none)
      set(${field} "")
    endif()
  endforeach()
  foreach(field IN ITEMS type default pattern hint flag lower)
    string(TOUPPER ${field} property)
    set_property(GLOBAL PROPERTY _PYTEST_SHARDS_${name}_${property} "${${field}}")
  endforeach()
endfunction()

# Validation: gives the options of the calling pytest_shard_tests() (its
# arg_<OPTION> variables) their defaults and checks them, so that everything a
# user can get wrong fails here, at configure, with one line.
function(_pytest_shards_validate name)
  _pytest_shards_check(${name} "name" "${name}" "^[A-Za-z0-9_.+-]+$"
    "use letters, digits and _ . + -")
  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  cmake_path(ABSOLUTE_PATH arg_WORKING_DIRECTORY BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${arg_WORKING_DIRECTORY}")
    message(FATAL_ERROR "pytest_shard_tests(${name}): WORKING_DIRECTORY ${arg_WORKING_DIRECTORY} "
      "does not exist; pass an existing directory")
  endif()
  set(arg_WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}" PARENT_SCOPE)
  # An option left out takes its default; one without a default is checked
  # only when given.
  get_property(options GLOBAL PROPERTY _PYTEST_SHARDS_ONE_VALUE)
  foreach(option IN LISTS options)
    get_property(default GLOBAL PROPERTY _PYTEST_SHARDS_${option}_DEFAULT)
    get_property(pattern GLOBAL PROPERTY _PYTEST_SHARDS_${option}_PATTERN)
    get_property(hint GLOBAL PROPERTY _PYTEST_SHARDS_${option}_HINT)
    if(NOT default STREQUAL "" AND "${arg_${option}}" STREQUAL "")
      set(arg_${option} "${default}")
      set(arg_${option} "${default}" PARENT_SCOPE)
    endif()
    if(pattern AND DEFINED arg_${option})
      _pytest_shards_check(${name} ${option} "${arg_${option}}" "${pattern}" "${hint}")
    endif()
  endforeach()
  list(LENGTH arg_PROPERTIES property_words)
  math(EXPR odd "${property_words} % 2")
  if(odd)
    message(FATAL_ERROR "pytest_shard_tests(${name}): PROPERTIES needs <name> <value> pairs")
  endif()
endfunction()

# Sets <out> to the arguments of `pytest-shards collect` for the options of
# the calling pytest_shard_tests() (validated): the suite's settings, one
# `--<flag>=<value>` per value of each option with a flag in the table
# (`--<flag>=<prop>=<value>` per pair), then `--` and pytest's ARGS.
function(_pytest_shards_collect_command out name suite_dir python)
  set(arg_PYTHON "${python}")
  if(arg_DURATIONS_FILE)
    cmake_path(ABSOLUTE_PATH arg_DURATIONS_FILE BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  set(collect
    collect
    --suite-dir "${suite_dir}"
    --suite "${name}"
    --plugin-dir "${PytestShards_PLUGIN_DIR}")
  get_property(options GLOBAL PROPERTY _PYTEST_SHARDS_OPTIONS)
  list(REMOVE_ITEM options ARGS)  # after `--`, below
  foreach(option IN LISTS options)
    get_property(flag GLOBAL PROPERTY _PYTEST_SHARDS_${option}_FLAG)
    get_property(type GLOBAL PROPERTY _PYTEST_SHARDS_${option}_TYPE)
    get_property(lower GLOBAL PROPERTY _PYTEST_SHARDS_${option}_LOWER)
    if(NOT flag OR "${arg_${option}}" STREQUAL "")
      continue()
    endif()
    set(words "${arg_${option}}")
    if(lower)
      string(TOLOWER "${words}" words)
    endif()
    list(LENGTH words count)
    while(count GREATER 0)
      list(POP_FRONT words word)
      if(type STREQUAL "pairs")
        list(POP_FRONT words second)
        string(APPEND word "=${second}")
      endif()
      list(APPEND collect "--${flag}=${word}")
      list(LENGTH words count)
    endwhile()
  endforeach()
  foreach(root IN ITEMS "${CMAKE_SOURCE_DIR}" "${CMAKE_BINARY_DIR}")
    list(APPEND collect "--watch-root=${root}")
  endforeach()
  list(APPEND collect -- ${arg_ARGS})
  set(${out} "${collect}" PARENT_SCOPE)
endfunction()

# Sets <out> to `--depends=<target>=<file>` for each DEPENDS target, the file
# a generator expression (empty for targets that build no file, such as
# custom targets): what the build step tells `collect`.
function(_pytest_shards_depends_files out)
  set(files)
  foreach(target IN LISTS arg_DEPENDS)
    set(type "$<TARGET_PROPERTY:${target},TYPE>")
    set(has_file "$<OR:$<STREQUAL:${type},MODULE_LIBRARY>,$<STREQUAL:${type},SHARED_LIBRARY>,"
      "$<STREQUAL:${type},EXECUTABLE>>")
    string(JOIN "" has_file ${has_file})
    list(APPEND files "--depends=${target}=$<${has_file}:$<TARGET_FILE:${target}>>")
  endforeach()
  set(${out} "${files}" PARENT_SCOPE)
endfunction()

# Runs `collect`: now (an installed pytest-shards, no DEPENDS), or as a build
# step once what it needs is built (the DEPENDS targets, the pytest-shards
# executable of this build). Sets <out_tool> to the executable the include
# file runs: a path, or a generator expression of the target.
function(_pytest_shards_collect out_tool name suite_dir collect)
  _pytest_shards_depends_files(depends)
  list(POP_FRONT collect subcommand)
  set(settings_only)
  if(arg_DISCOVERY_MODE STREQUAL "PRE_TEST")
    set(settings_only --settings-only)
  endif()
  if(TARGET "${PytestShards_EXECUTABLE}")
    # The executable is built by this project: collect once it exists.
    set(${out_tool} "$<TARGET_FILE:${PytestShards_EXECUTABLE}>" PARENT_SCOPE)
    if(arg_DEPENDS)
      set(settings_only)  # the build collects, so that ctest knows it is built
    endif()
    add_custom_target(${name}-collect ALL
      COMMAND "${PytestShards_EXECUTABLE}" collect ${settings_only} ${depends} ${collect}
      COMMENT "Collecting the pytest suite ${name}"
      VERBATIM)
    if(arg_DEPENDS)
      add_dependencies(${name}-collect ${arg_DEPENDS})
    endif()
    return()
  endif()
  set(tool "${PytestShards_EXECUTABLE}")
  set(${out_tool} "${tool}" PARENT_SCOPE)
  if(arg_DEPENDS)
    # The suite imports what these targets build: configure only stores the
    # settings, and a build step collects once they are built.
    set(settings_only --settings-only)
    foreach(target IN LISTS arg_DEPENDS)
      list(APPEND settings_only "--depends=${target}")
    endforeach()
    list(JOIN arg_DEPENDS ", " targets)
    message(STATUS "pytest-shards: ${name}: collected by the build once ${targets} are built")
    add_custom_target(${name}-collect ALL
      COMMAND "${tool}" collect --suite-dir "${suite_dir}" ${depends}
      COMMENT "Collecting the pytest suite ${name}"
      VERBATIM)
    add_dependencies(${name}-collect ${arg_DEPENDS})
  endif()
  execute_process(COMMAND "${tool}" collect ${settings_only} ${collect}
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
endfunction()

# Each suite's session step writes the session files its arguments name
# (the collection's session_paths: --junitxml, the coverage data file,
# --report-log, --benchmark-json). Two suites of one build tree that name
# the same file would write it over each other: the second is refused, in
# one line. A suite collected later (DEPENDS, PRE_TEST) is checked with its
# last collection, if any.
function(_pytest_shards_claim_outputs name suite_dir)
  set(file "${suite_dir}/collection.json")
  if(NOT EXISTS "${file}")
    return()
  endif()
  file(READ "${file}" collection)
  string(JSON paths ERROR_VARIABLE none GET "${collection}" session_paths)
  if(none)
    return()
  endif()
  string(JSON count LENGTH "${paths}")
  if(count EQUAL 0)
    return()
  endif()
  math(EXPR last "${count} - 1")
  foreach(i RANGE 0 ${last})
    string(JSON output MEMBER "${paths}" ${i})
    string(JSON path GET "${paths}" "${output}")
    get_property(owner GLOBAL PROPERTY "_PYTEST_SHARDS_OUTPUT_${path}")
    if(owner AND NOT owner STREQUAL name)
      message(FATAL_ERROR "pytest_shard_tests(${name}): its ${output} file ${path} is also "
        "written by suite ${owner}; give each suite its own path in its ARGS or RUN_ARGS")
    endif()
    set_property(GLOBAL PROPERTY "_PYTEST_SHARDS_OUTPUT_${path}" "${name}")
  endforeach()
endfunction()

# The cores file, ${CMAKE_BINARY_DIR}/pytest-shards/cores.cmake: written once
# per configure and included first by the top-level directory's tests (before
# its own add_test() calls; CTest reads the subdirectories after them), so
# that under the parallel preset every test of the build tree asks for a slot
# of the CTest resource `cores` (_pytest_shards_count_cores). Sets <out> to
# its path.
function(_pytest_shards_cores_file out)
  set(file "${CMAKE_BINARY_DIR}/pytest-shards/cores.cmake")
  set(${out} "${file}" PARENT_SCOPE)
  get_property(done GLOBAL PROPERTY _PYTEST_SHARDS_CORES_FILE)
  if(done)
    return()
  endif()
  set_property(GLOBAL PROPERTY _PYTEST_SHARDS_CORES_FILE TRUE)
  _pytest_shards_argument(script "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/PytestShardsAddTests.cmake")
  _pytest_shards_argument(spec "${CMAKE_BINARY_DIR}/pytest-shards/resource-spec.json")
  set(tool "${PytestShards_EXECUTABLE}")
  if(TARGET "${PytestShards_EXECUTABLE}")
    set(tool "$<TARGET_FILE:${PytestShards_EXECUTABLE}>")
  endif()
  _pytest_shards_argument(tool "${tool}")
  # Through file(GENERATE): the tool may be a generator expression.
  file(GENERATE OUTPUT "${file}" CONTENT
"# Generated by PytestShards.cmake; do not edit. ctest includes this before any
# add_test() of the build tree: it counts the cores once per ctest run and,
# under the parallel preset (PYTEST_SHARDS_PRESET_JOBS), makes them the CTest
# resource `cores` that every test asks a slot of.
include(${script})
_pytest_shards_count_cores(TOOL ${tool} SPEC_FILE ${spec})
")
  get_property(includes DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY TEST_INCLUDE_FILES)
  set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY TEST_INCLUDE_FILES "${file}" ${includes})
endfunction()

# Writes the suite's include file, which plans the shards at every ctest
# start from this machine's cores (_pytest_shards_plan), and hands it to
# ctest. `tool` may be a generator expression: file(GENERATE) writes it.
function(_pytest_shards_write_include name suite_dir tool)
  _pytest_shards_cores_file(unused)
  set(timeout 600)
  if(arg_DISCOVERY_MODE STREQUAL "PRE_TEST")
    math(EXPR timeout "${arg_DISCOVERY_TIMEOUT} + 60")
  endif()
  set(memory "")
  if(DEFINED arg_MEMORY_BUDGET)
    set(memory "\n  MEMORY_BUDGET ${arg_MEMORY_BUDGET}")
  endif()
  _pytest_shards_argument(script "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/PytestShardsAddTests.cmake")
  _pytest_shards_argument(tool "${tool}")
  _pytest_shards_argument(dir "${suite_dir}")
  _pytest_shards_argument(cmake "${CMAKE_COMMAND}")
  _pytest_shards_argument(spec "${CMAKE_BINARY_DIR}/pytest-shards/resource-spec.json")
  file(GENERATE OUTPUT "${suite_dir}/include.cmake" CONTENT
"# Generated by pytest_shard_tests(${name}); do not edit. Plans the shards at
# every ctest start.
include(${script})
_pytest_shards_plan(
  SUITE ${name}
  TOOL ${tool}
  SUITE_DIR ${dir}
  CMAKE_COMMAND ${cmake}
  SPEC_FILE ${spec}
  TIMEOUT ${timeout}${memory})
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${suite_dir}/include.cmake")
endfunction()

# `ctest --test-dir <top build dir>` reads the top directory's test file and,
# from it, those of the directories with testing enabled (enable_testing()
# there, or above before their add_subdirectory()): a suite in a directory
# off that chain has entries that no such ctest finds. Checked once the top
# directory is done, when every enable_testing() has been called.
function(_pytest_shards_check_testing_later name)
  set_property(GLOBAL APPEND PROPERTY _PYTEST_SHARDS_SUITE_DIRS "${name}" "${CMAKE_CURRENT_SOURCE_DIR}")
  get_property(deferred GLOBAL PROPERTY _PYTEST_SHARDS_SUITE_DIRS_CHECK)
  if(NOT deferred)
    set_property(GLOBAL PROPERTY _PYTEST_SHARDS_SUITE_DIRS_CHECK TRUE)
    cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _pytest_shards_check_testing)
  endif()
endfunction()

function(_pytest_shards_check_testing)
  get_property(suites GLOBAL PROPERTY _PYTEST_SHARDS_SUITE_DIRS)
  while(suites)
    list(POP_FRONT suites name dir)
    while(TRUE)
      if(dir STREQUAL CMAKE_SOURCE_DIR)
        set(enabled "${CMAKE_TESTING_ENABLED}")  # this call runs at its end
      else()
        get_directory_property(enabled DIRECTORY "${dir}" DEFINITION CMAKE_TESTING_ENABLED)
      endif()
      if(NOT enabled)
        message(WARNING "pytest_shard_tests(${name}): `ctest --test-dir ${CMAKE_BINARY_DIR}` "
          "will find none of its tests: testing is not enabled in ${dir}; call enable_testing() "
          "(or include(CTest)) in the top-level CMakeLists.txt, before its add_subdirectory() "
          "calls")
        break()
      elseif(dir STREQUAL CMAKE_SOURCE_DIR)
        break()
      endif()
      get_directory_property(dir DIRECTORY "${dir}" PARENT_DIRECTORY)
    endwhile()
  endwhile()
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
  _pytest_shards_read_options()
  get_property(one_value GLOBAL PROPERTY _PYTEST_SHARDS_ONE_VALUE)
  get_property(multi_value GLOBAL PROPERTY _PYTEST_SHARDS_MANY_VALUES)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "${one_value}" "${multi_value}")
  _pytest_shards_reject_unknown("pytest_shard_tests(${name})"
    "see the options in ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/PytestShards.cmake"
    "${arg_UNPARSED_ARGUMENTS}")
  _pytest_shards_validate(${name})
  _pytest_shards_find_python(python ${name} "${arg_PYTHON}")
  message(STATUS "pytest-shards: ${name}: Python ${python} (pytest ${python_VERSION})")
  if(NOT PytestShards_EXECUTABLE OR NOT PytestShards_PLUGIN_DIR)
    message(FATAL_ERROR "pytest_shard_tests(${name}): pytest-shards is not set up; "
      "use find_package(PytestShards) or add_subdirectory(<pytest-shards source>)")
  endif()
  set(suite_dir "${CMAKE_CURRENT_BINARY_DIR}/pytest-shards/${name}")
  _pytest_shards_collect_command(collect ${name} "${suite_dir}" "${python}")
  _pytest_shards_collect(tool ${name} "${suite_dir}" "${collect}")
  _pytest_shards_claim_outputs(${name} "${suite_dir}")
  _pytest_shards_write_include(${name} "${suite_dir}" "${tool}")
  _pytest_shards_check_testing_later(${name})
  _pytest_shards_add_test_fast()
endfunction()

# Kept for projects that call it: every test shares the cap now (see
# _pytest_shards_cores_file), listed or not.
function(pytest_shards_share_cores)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "" "TESTS")
  _pytest_shards_reject_unknown("pytest_shards_share_cores()"
    "use pytest_shards_share_cores(TESTS <test>...)" "${arg_UNPARSED_ARGUMENTS}")
  _pytest_shards_cores_file(unused)
endfunction()
