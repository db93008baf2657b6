"""pytest plugin of pytest-shards.

Loaded with ``-p pytest_shards_plugin`` (the runner and the collector put
this package's directory on PYTHONPATH). pytest_configure registers one
small object per job, and only when its option is given, as pytest-xdist
does:

* ``--shards-collect-json=PATH``: after collection, write what was collected
  (node IDs, locations, markers, errors, the files the result depends on) as
  JSON in format "pytest-shards-collection/1". collection.py.
* ``--shards-node-ids=PATH``: run exactly the node IDs in that JSON file
  (``{"node_ids": [...], "paths": {module part: absolute path}}``); items not
  requested are deselected. selection.py. With ``--shards-imports=suite``
  (the default) pytest collects what the user's arguments name, as plain
  pytest does, so every conftest and test module of the suite is imported in
  pytest's order (suites rely on those import-time side effects), but items
  are built only for the shard's own modules: imports.py. With
  ``--shards-imports=own`` only the shard's modules are collected.
* ``--shards-journal=PATH``: append one JSON line per event (session,
  collected, start, result, finish) so that the runner can follow the shard
  and knows what ran even when the interpreter dies mid-test. journal.py.

* ``--shards-session-dir=DIR``: an entry of a suite with session outputs
  (the user's --junitxml, coverage, ...) writes none of them and keeps its
  part in DIR; ``--shards-session=DIR``: the session step replays those
  parts and writes every session output once. session_parts.py, session.py.

* ``--shards-seed=N``: the run's seed, for pytest-randomly's --randomly-seed
  when the user gave none (plugin_compat.py).

* ``--shards-rewrite-cache=DIR``: when bytecode writing is off, pytest's
  rewritten test modules are cached in DIR while pytest collects, so that
  the next shard does not rewrite the suite again. rewrite_cache.py.

``python -m pytest_shards_plugin.warm``: the warm interpreter whose forked
workers run per-test and per-file entries (warm.py, warm_server.py,
warm_pool.py, warm_worker.py; the runner's warm_run.cc starts it).

Always: the ``serial`` marker (and ``--shards-serial-marker``), and the
``shard_index``, ``shard_port_range`` and ``free_tcp_port`` fixtures
(fixtures.py). With pytest-django: its test databases per entry, as per
xdist worker (django_db.py). Per-run state lives in the registered objects, none in the
modules.

PYTEST_DONT_REWRITE: the warm interpreter imports this package before pytest
starts, and pytest would warn that it cannot rewrite it, which a suite's
``filterwarnings = error`` turns into an error. It has no asserts to rewrite.
"""

import copy
import json
import re

import pytest

from . import django_db, fixtures, plugin_compat, protocol
from .collection import CollectionWriter
from .imports import OtherModulesImportOnly
from .journal import Journal, ReportPaths
from .pytest_compat import parse_known_args
from .rewrite_cache import RewriteCache
from .selection import BrokenModules, Selection
from .session import SESSION_COVERAGE, SessionStep
from .session_parts import (
    CoveragePart,
    EntryParts,
    coverage_requested,
    refusal,
    requested,
    session_paths,
    silence,
    silence_coverage,
)
from .tail import SharedTail, TailLoop

SERIAL_DOC = (
    "never runs beside another test holding the same lock; exclusive=True: "
    "nothing else runs beside it (pytest-shards)."
)
XDIST_GROUP_DOC = (
    "xdist_group(name): keep these tests in one worker/shard "
    "(registered by pytest-shards because pytest-xdist is not loaded)."
)


def pytest_addoption(parser):
    group = parser.getgroup("pytest-shards")
    group.addoption(
        "--shards-collect-json",
        metavar="PATH",
        default=None,
        help="pytest-shards: after collection write the collected node IDs, "
        "their locations and markers, and collection errors to PATH as JSON "
        "(use with --collect-only).",
    )
    group.addoption(
        "--shards-watch-root",
        metavar="DIR",
        action="append",
        default=[],
        help="pytest-shards, with --shards-collect-json: also list the files of "
        "modules the collection imported from DIR (the project's source and "
        "build trees; the rootdir and the working directory always count).",
    )
    group.addoption(
        protocol.NODE_IDS,
        metavar="PATH",
        default=None,
        help="pytest-shards: run exactly the node IDs listed in PATH (JSON: "
        "node_ids, and paths of modules outside the rootdir); only their "
        "modules are collected, other items are deselected, IDs that are not "
        "collected are journaled as missing.",
    )
    group.addoption(
        protocol.COLLECTION_ERRORS,
        metavar="PATH",
        default=None,
        help="pytest-shards: the collection-errors entry: PATH (JSON, as for "
        "--shards-node-ids) lists the modules that failed to collect at "
        "configure time, which the arguments name by their files; their "
        "reports are journaled under these node IDs.",
    )
    group.addoption(
        "--shards-imports",
        choices=("suite", "own"),
        default="suite",
        help="pytest-shards, with --shards-node-ids: 'suite' (default) imports "
        "every conftest and test module that the arguments name, as plain "
        "pytest does, and builds items only for the requested modules; 'own' "
        "collects only the requested modules (faster, for suites whose "
        "modules have no import-time side effects on each other).",
    )
    group.addoption(
        protocol.JOURNAL,
        metavar="PATH",
        default=None,
        help="pytest-shards: append one JSON line per test event to PATH "
        "(session, collected, start, result, finish).",
    )
    group.addoption(
        "--shards-rewrite-cache",
        metavar="DIR",
        default=None,
        help="pytest-shards: when bytecode writing is off (PYTHONDONTWRITEBYTECODE), "
        "cache pytest's rewritten test modules in DIR during collection "
        "instead of rewriting them in every process; the tests run with "
        "bytecode writing off as before.",
    )
    group.addoption(
        "--shards-session-dir",
        metavar="DIR",
        default=None,
        help="pytest-shards: write no session output (--junitxml, --report-log, "
        "coverage reports and threshold) and keep this entry's reports and coverage "
        "data in DIR for the session step.",
    )
    group.addoption(
        "--shards-session",
        metavar="DIR",
        default=None,
        help="pytest-shards: the session step: collect and run nothing, replay the "
        "reports and coverage data that the entries kept in DIR, and write the "
        "session outputs once.",
    )
    group.addoption(
        "--shards-run-args",
        metavar="JSON",
        default=None,
        help="pytest-shards, with --shards-collect-json: the RUN_ARGS (a JSON list), "
        "so that their session outputs are known at configure.",
    )
    group.addoption(
        "--shards-seed",
        metavar="N",
        type=int,
        default=None,
        help="pytest-shards: the run's seed, for the options that draw one per session "
        "(--randomly-seed) and that the user did not give.",
    )
    group.addoption(
        "--shards-serial-marker",
        metavar="NAME",
        default="serial",
        help="pytest-shards: marker for tests that must not run beside each "
        "other; registered in addition to 'serial' (default: serial).",
    )


def pytest_plugin_registered(plugin, manager):
    plugin_compat.defer_benchmark_json(manager)


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Around every plugin's, pytest-cov's (which starts coverage) included.
    part = None
    namespace = early_config.known_args_namespace
    if namespace.shards_session_dir:
        part = CoveragePart(namespace)
    elif namespace.shards_collect_json:
        silence_coverage(namespace)
    elif namespace.shards_session and coverage_requested(namespace):
        part = plugin_compat.SessionCoverageFile(namespace)
        early_config.stash[SESSION_COVERAGE] = part
    yield
    if part is not None:
        part.started(early_config.pluginmanager)


@pytest.hookimpl(tryfirst=True)  # before junitxml's and other plugins' own
def pytest_configure(config):
    _register_markers(config)
    plugins = config.pluginmanager
    plugins.register(fixtures, "pytest-shards-fixtures")
    if django_db.loaded(plugins):
        plugins.register(django_db, "pytest-shards-django-db")
    plugin_compat.give_seed(config.option, config.getoption("shards_seed"))
    collect_json = config.getoption("shards_collect_json")
    if collect_json:
        run_options = _with_run_args(config)
        refused = refusal(run_options)
        if refused:
            raise pytest.UsageError(refused)
        writer = CollectionWriter(
            config, collect_json, requested(run_options), session_paths(run_options)
        )
        plugins.register(writer, "pytest-shards-collection")
        silence(config.option)
    session_dir = config.getoption("shards_session")
    if session_dir:
        plugins.register(SessionStep(config, session_dir), "pytest-shards-session")
    selection = None
    node_ids_file = config.getoption("shards_node_ids")
    if node_ids_file:
        selection = Selection(config, node_ids_file)
        plugins.register(selection, "pytest-shards-selection")
        if config.getoption("shards_imports") == "suite":
            plugins.register(
                OtherModulesImportOnly(selection.own_paths()), "pytest-shards-import-only"
            )
    broken = None
    broken_file = config.getoption("shards_collection_errors")
    if broken_file:
        broken = BrokenModules(config, broken_file)
    rewrite_cache = config.getoption("shards_rewrite_cache")
    if rewrite_cache:
        plugins.register(RewriteCache(rewrite_cache), "pytest-shards-rewrite-cache")
    journal = config.getoption("shards_journal")
    journal_plugin = None
    if journal:
        plugins.register(ReportPaths(), "pytest-shards-report-paths")
        if not hasattr(config, "workerinput"):  # an xdist worker: its controller journals
            journal_plugin = Journal(config, journal, selection, broken)
            plugins.register(journal_plugin, "pytest-shards-journal")
    if selection is not None and selection.tail:
        not_collected = journal_plugin.journal_not_collected if journal_plugin else _ignore
        plugins.register(TailLoop(SharedTail(selection.tail, not_collected)),
                         "pytest-shards-tail")
    parts_dir = config.getoption("shards_session_dir")
    if parts_dir:
        parts = EntryParts(config, parts_dir, selection, broken)
        if journal:  # the runner always gives one; its name names the part
            parts.open(journal)
        plugins.register(parts, "pytest-shards-session-parts")


def _ignore(*args):
    pass


def _with_run_args(config):
    """config.option as the run sees it: with RUN_ARGS parsed over it."""
    run_args = config.getoption("shards_run_args")
    if not run_args:
        return config.option
    namespace = copy.deepcopy(config.option)
    return parse_known_args(config, json.loads(run_args), namespace)


def _register_markers(config):
    name = config.getoption("shards_serial_marker")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or ""):
        raise pytest.UsageError(
            f"--shards-serial-marker={name!r} is not a marker name; "
            "use a Python identifier such as 'serial'"
        )
    for marker in dict.fromkeys(["serial", name]):
        config.addinivalue_line(
            "markers", f'{marker}(lock="serial", exclusive=False): {SERIAL_DOC}'
        )
    if not config.pluginmanager.hasplugin("xdist"):
        config.addinivalue_line("markers", XDIST_GROUP_DOC)
