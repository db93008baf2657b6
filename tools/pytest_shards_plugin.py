"""pytest plugin of pytest-shards.

Loaded with ``-p pytest_shards_plugin``. It has three jobs, each switched on
by its own option:

* ``--shards-collect-json=PATH``: after collection, write what was collected
  (node IDs, locations, markers, errors, the files the result depends on) as
  JSON in format "pytest-shards-collection/1".
* ``--shards-node-ids=PATH``: run exactly the node IDs in that JSON file
  (``{"node_ids": [...], "paths": {module part: absolute path}}``). With
  ``--shards-imports=suite`` (the default) pytest collects what the user's
  arguments name, as plain pytest does, so every conftest and test module of
  the suite is imported in pytest's order (suites rely on those import-time
  side effects), but items are built only for the shard's own modules. With
  ``--shards-imports=own`` only the shard's modules are collected. Items not
  requested are deselected.
* ``--shards-journal=PATH``: append one JSON line per event (session,
  collected, start, result, finish) so that the runner can follow the shard
  and knows what ran even when the interpreter dies mid-test. Collectors
  that pytest skips or fails as a whole (a module-level skip, an import
  error) are journaled as results of their own node ID.

It also registers the ``serial`` marker and gives tests the ``shard_index``,
``shard_port_range`` and ``free_tcp_port`` fixtures.

The module holds only constants. Per-run state lives in a ShardsPlugin object
that pytest_configure registers on the config (and keeps in config.stash):
hooks such as pytest_runtest_logreport receive no config, so their state has
to be reachable from the hook implementation itself.
"""

import ast
import inspect
import json
import os
import re
import socket
import sys
import tempfile
import time
import types

import pytest

COLLECTION_FORMAT = "pytest-shards-collection/1"
MESSAGE_LIMIT = 64 * 1024  # bytes of failure text kept per result record
REPR_LIMIT = 1000  # characters of repr() kept for a marker argument
JSON_DEPTH_LIMIT = 20  # deeper marker arguments become repr()
DEFAULT_PORT_COUNT = 10  # ports per range outside a shard
SERIAL_DOC = (
    "never runs beside another test holding the same lock; exclusive=True: "
    "nothing else runs beside it (pytest-shards)."
)
XDIST_GROUP_DOC = (
    "xdist_group(name): keep these tests in one worker/shard "
    "(registered by pytest-shards because pytest-xdist is not loaded)."
)

_PLUGIN = pytest.StashKey["ShardsPlugin"]()
# How many ports free_tcp_port handed out in this session: the next one
# starts its search after the last, so a port a test just closed (still in
# TIME_WAIT for its peers) is not handed out again at once.
_PORTS_HANDED_OUT = pytest.StashKey[int]()


# --- options and setup ---------------------------------------------------------


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
        "--shards-node-ids",
        metavar="PATH",
        default=None,
        help="pytest-shards: run exactly the node IDs listed in PATH (JSON: "
        "node_ids, and paths of modules outside the rootdir); only their "
        "modules are collected, other items are deselected, IDs that are not "
        "collected are journaled as missing.",
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
        "--shards-journal",
        metavar="PATH",
        default=None,
        help="pytest-shards: append one JSON line per test event to PATH "
        "(session, collected, start, result, finish).",
    )
    group.addoption(
        "--shards-serial-marker",
        metavar="NAME",
        default="serial",
        help="pytest-shards: marker for tests that must not run beside each "
        "other; registered in addition to 'serial' (default: serial).",
    )


def pytest_configure(config):
    _register_markers(config)
    plugin = ShardsPlugin(config)
    config.stash[_PLUGIN] = plugin
    config.pluginmanager.register(plugin, "pytest-shards-state")
    config.pluginmanager.register(CollectorOutcomes(plugin), "pytest-shards-collectors")
    if plugin.own_paths is not None:
        config.pluginmanager.register(
            OtherModulesImportOnly(plugin.own_paths), "pytest-shards-import-only"
        )


def pytest_unconfigure(config):
    plugin = config.stash.get(_PLUGIN, None)
    if plugin is not None:
        plugin.close()


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


class ShardsPlugin:
    """Hooks that need per-run state: collection JSON, shard, journal."""

    def __init__(self, config):
        self.config = config
        self.collect_json = config.getoption("shards_collect_json")
        self.requested = None  # node IDs to run, unique, in file order
        self.journal_fd = None
        self.running_path = ""  # module path of the running test
        self.started = time.time()
        self.collection_done = False  # pytest_collection_modifyitems ran
        self.collected_files = {}  # paths of collected pytest.File nodes
        self.collect_errors = []  # [(nodeid, path, message)]
        self.collect_skips = []  # [(nodeid, path, reason)]: collectors skipped whole
        # (nodeid, file of its location) -> TestReports of a running test. An
        # xdist controller can have two tests of one node ID running at once
        # (colliding modules on two workers): their locations tell them apart.
        self.reports = {}
        self.module_paths = {}  # module part of a requested ID -> absolute path
        self.by_location = {}  # (module path, test part) -> requested node ID
        self.journaled = set()  # requested node IDs that already have a result
        self.own_paths = None  # with --shards-imports=suite: the shard's module paths
        node_ids_file = config.getoption("shards_node_ids")
        if node_ids_file:
            self.requested, paths = _read_node_ids(node_ids_file)
            self.module_paths = _module_paths(config.rootpath, self.requested, paths)
            # A run-time node ID can differ from the planned one (--pyargs
            # with a rootdir outside the package; modules of two packages
            # whose IDs collide): an item is known by its path and the ID's
            # part after the module.
            self.by_location = {
                (self.module_paths[_module_part(i)], _test_part(i)): i for i in self.requested
            }
            if config.getoption("shards_imports") == "own":
                # pytest_configure is the first hook that sees config.args (set
                # by Config.parse); Session.perform_collect reads it afterwards.
                config.args = [
                    p for p in dict.fromkeys(self.module_paths.values()) if os.path.exists(p)
                ]
                config.option.pyargs = False
            else:
                self.own_paths = set(self.module_paths.values())
            # A module that stopped importing must not stop the rest of the
            # shard: its IDs are journaled as errors, the others still run.
            config.option.continue_on_collection_errors = True
        journal = config.getoption("shards_journal")
        if journal and not hasattr(config, "workerinput"):  # not xdist workers
            self.journal_fd = _open_journal(journal)

    def close(self):
        if self.journal_fd is not None:
            os.close(self.journal_fd)
            self.journal_fd = None

    def journal(self, **record):
        if self.journal_fd is not None:
            record["time"] = time.time()
            _append_line(self.journal_fd, record)

    # --- session ---

    def pytest_sessionstart(self, session):
        self.started = time.time()
        self.journal(event="session", pid=os.getpid())

    def pytest_sessionfinish(self, session, exitstatus):
        self.journal(event="finish", exitstatus=int(exitstatus))

    # --- collection ---

    def pytest_collectstart(self, collector):
        if isinstance(collector, pytest.File):
            self.collected_files[str(collector.path)] = None

    def pytest_collectreport(self, report):
        if report.failed:
            path = ""
            part = report.nodeid.split("::", 1)[0]
            if part and (self.config.rootpath / part).exists():
                path = str(self.config.rootpath / part)
            self.collect_errors.append((report.nodeid, path, report.longreprtext))
        # The xdist controller collects nothing itself: its workers' skipped
        # and failed collectors reach it here.
        if not report.passed and self.config.pluginmanager.has_plugin("dsession"):
            self.collector_done(getattr(report, "shards_path", ""), report)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        self.collection_done = True
        if self.requested is None:
            return
        keep, drop = [], []
        for item in items:
            # The item gets back its planned ID, so that reports and the
            # journal name it uniquely. (Node._nodeid: pytest has no public
            # setter.)
            name = self.planned_id(item.path, item.nodeid)
            if name is not None and name != item.nodeid:
                item._nodeid = name
            (keep if name is not None else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        collected = {item.nodeid for item in keep}
        for node_id in self.requested:
            if node_id not in collected and node_id not in self.journaled:
                self.journal_not_collected(node_id)

    def planned_id(self, path, node_id):
        """The requested node ID of what pytest calls node_id at path, or None."""
        return self.by_location.get((str(path), _test_part(node_id)))

    def collector_done(self, path, report):
        """A collector (its path, its report) that pytest skipped or failed as
        a whole (a module-level skip, an import error) is journaled as a
        result of its own: of its planned ID in a shard, of its node ID in a
        plain run."""
        if report.passed or self.journal_fd is None:
            return
        outcome = "skipped" if report.skipped else "error"
        message = _skip_reason(report) if report.skipped else report.longreprtext
        if self.requested is None:
            node_id = report.nodeid
        else:
            node_id = self.planned_id(path, report.nodeid)
            if node_id is None or outcome == "error":
                return  # not this shard's, or its tests are journaled as errors
        self.journaled.add(node_id)
        self.journal(
            event="result",
            nodeid=node_id,
            path=str(path),
            outcome=outcome,
            duration=0.0,
            message=_truncate(message),
        )

    def journal_not_collected(self, node_id):
        outcome = "missing"
        message = f"node ID no longer exists: {node_id}; re-run cmake to collect again"
        for error_id, _, error_message in self.collect_errors:
            if error_id and (node_id == error_id or node_id.startswith(error_id + "::")):
                outcome, message = "error", error_message
                break
        self.journal(
            event="result",
            nodeid=node_id,
            outcome=outcome,
            duration=0.0,
            message=_truncate(message),
        )

    def pytest_collection_finish(self, session):
        if self.requested is not None:
            self.journal(event="collected", count=len(session.items))
        # pytest also calls this hook when collection stopped with a usage
        # error (an argument not found); modifyitems did not run then and
        # there is no collection to write.
        if self.collect_json and self.collection_done:
            _write_atomically(self.collect_json, self.collection(session))

    def collection(self, session):
        rootpath = self.config.rootpath
        line_maps = {}
        items = [_item_record(item, rootpath, line_maps) for item in session.items]
        items += [_skipped_collector_record(*skip, rootpath) for skip in self.collect_skips]
        files = set(self.collected_files)
        files.update(str(item.path) for item in session.items)
        dirs = {os.path.dirname(f) for f in files}
        errors = []
        for nodeid, path, message in self.collect_errors:
            errors.append({"nodeid": nodeid, "path": path, "message": _clean(message)})
            if path:
                dirs.add(path if os.path.isdir(path) else os.path.dirname(path))
        files.update(_conftest_files(self.config))
        if self.config.inipath is not None:
            files.add(str(self.config.inipath))
        return {
            "format": COLLECTION_FORMAT,
            "rootdir": str(rootpath),
            "python": sys.executable,
            "pytest_version": pytest.__version__,
            "xdist": self.config.pluginmanager.hasplugin("xdist"),
            "seconds": time.time() - self.started,
            "items": items,
            "errors": errors,
            "files": sorted(files),
            "dirs": sorted(dirs),
        }

    # --- running tests ---

    def pytest_runtest_logstart(self, nodeid, location):
        self.reports[(nodeid, location[0])] = []
        self.journal(event="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report):
        self.reports.setdefault((report.nodeid, report.location[0]), []).append(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.running_path = str(item.path)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        # An xdist worker's reports reach the controller, which journals
        # them and has no items: the path travels in the report.
        outcome = yield
        outcome.get_result().shards_path = str(item.path)

    def pytest_runtest_logfinish(self, nodeid, location):
        reports = self.reports.pop((nodeid, location[0]), [])
        outcome, message = _outcome(reports)
        self.journal(
            event="result",
            nodeid=nodeid,
            path=getattr(reports[0], "shards_path", self.running_path) if reports else self.running_path,
            outcome=outcome,
            duration=sum(r.duration for r in reports),
            message=_truncate(message),
        )


class CollectorOutcomes:
    """Tells the plugin of every collector that pytest skipped or failed as a
    whole, with the collector itself: a report alone has no path, and
    colliding node IDs are told apart by it."""

    def __init__(self, plugin):
        self.plugin = plugin

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        outcome = yield
        report = outcome.get_result()
        if report.skipped and self.plugin.collect_json:
            self.plugin.collect_skips.append(
                (report.nodeid, str(collector.path), _skip_reason(report))
            )
        # An xdist worker does not journal: its controller does, from this
        # report (see pytest_collectreport), which carries the path along.
        report.shards_path = str(collector.path)
        self.plugin.collector_done(collector.path, report)


class OtherModulesImportOnly:
    """--shards-imports=suite: a test file that is not the shard's own is
    imported, as pytest's collection would import it, but yields no items.

    pytest collects every file that the arguments name and imports each
    conftest on its way, in its own order and through its own import
    machinery (assertion rewriting, --import-mode, rootdir, pythonpath);
    only the step from a module to its items is cut short here. Errors and
    skips of other modules are not this shard's to report: the
    collection-errors entry and the module's own shard report them."""

    def __init__(self, own_paths):
        self.own_paths = own_paths

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_collect_report(self, collector):
        if not isinstance(collector, pytest.File) or isinstance(collector, pytest.Package):
            return None
        if str(collector.path) in self.own_paths:
            return None
        # A conftest.py collected as a doctest module is already imported as a conftest.
        if isinstance(collector, pytest.Module) and collector.path.name != "conftest.py":
            try:
                collector.obj  # imports the module
            except (Exception, pytest.skip.Exception, pytest.fail.Exception):
                pass
        return pytest.CollectReport(collector.nodeid, "passed", None, [])


# --- shard input ---------------------------------------------------------------


def _read_node_ids(path):
    """The node IDs (unique, in file order) and module paths of a node ID
    file: {"node_ids": [...], "paths": {module part: absolute path}}."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise pytest.UsageError(
            f"cannot read node ID file {path} ({e}); run shards through "
            "'pytest-shards run'"
        )
    ids = data.get("node_ids") if isinstance(data, dict) else None
    paths = data.get("paths", {}) if isinstance(data, dict) else None
    if (
        not isinstance(ids, list)
        or not all(isinstance(i, str) for i in ids)
        or not isinstance(paths, dict)
        or not all(isinstance(p, str) for p in paths.values())
    ):
        raise pytest.UsageError(
            f"node ID file {path} does not hold node_ids (strings) and paths; "
            "run shards through 'pytest-shards run'"
        )
    return list(dict.fromkeys(ids)), paths


def _module_part(node_id):
    return node_id.split("::", 1)[0]


def _test_part(node_id):
    return node_id.split("::", 1)[1] if "::" in node_id else ""


def _module_paths(rootpath, node_ids, paths):
    """{module part: absolute path} for every module of node_ids, from
    `paths` or else below rootpath, in first-seen order. pytest collects
    these paths (those that no longer exist are left out: pytest would stop
    with "file or directory not found"; their IDs are journaled missing)."""
    modules = {}
    for node_id in node_ids:
        part = _module_part(node_id)
        if part not in modules:
            modules[part] = paths.get(part) or str(rootpath / part)
    return modules


# --- collection records ------------------------------------------------------


def _item_record(item, rootpath, line_maps):
    path = item.path
    try:
        file = path.relative_to(rootpath).as_posix()
    except ValueError:
        file = item.location[0]
    cls = item.getparent(pytest.Class)
    return {
        "nodeid": item.nodeid,
        "file": file,
        "path": str(path),
        "line": _def_line(item, line_maps),
        "cls": cls.name if cls is not None else None,
        "markers": [_marker_record(m) for m in item.iter_markers()],
    }


def _skipped_collector_record(nodeid, path, reason, rootpath):
    """A collector that pytest skipped as a whole (pytest.importorskip or
    pytest.skip(allow_module_level=True) in a module, a skipping conftest):
    pytest reports it as one skipped test of its node ID, and so it is
    planned and run as one."""
    try:
        file = os.path.relpath(path, rootpath).replace(os.sep, "/")
    except ValueError:
        file = _module_part(nodeid)
    return {
        "nodeid": nodeid,
        "file": file,
        "path": path,
        "line": 0,
        "cls": None,
        "markers": [],
        "skipped_collector": True,
    }


def _marker_record(mark):
    if mark.name == "parametrize":
        # Its arguments are every parameter value of the function, repeated
        # on each of its items: quadratic output with nothing to plan by.
        return {"name": mark.name, "args": [], "kwargs": {}}
    return {
        "name": mark.name,
        "args": [_json_safe(a) for a in mark.args],
        "kwargs": {str(k): _json_safe(v) for k, v in mark.kwargs.items()},
    }


def _json_safe(value, depth=0):
    """value if JSON can hold it exactly, else its repr()."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, str):
        return _clean(value)
    if depth < JSON_DEPTH_LIMIT:
        if isinstance(value, (list, tuple)):
            return [_json_safe(v, depth + 1) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {_clean(k): _json_safe(v, depth + 1) for k, v in value.items()}
    try:
        text = repr(value)
    except Exception as e:  # a broken __repr__ must not break collection
        text = f"<unrepresentable {type(value).__name__}: {type(e).__name__}>"
    if len(text) > REPR_LIMIT:
        text = text[:REPR_LIMIT] + "..."
    return _clean(text)


def _def_line(item, line_maps):
    """1-based line of the test's `def`, not of its first decorator."""
    function = item.function if isinstance(item, pytest.Function) else None
    if function is not None:
        try:
            code = inspect.unwrap(function).__code__
        except (AttributeError, ValueError):
            code = None
        if code is not None and os.path.normcase(
            os.path.abspath(code.co_filename)
        ) == os.path.normcase(str(item.path)):
            source = str(item.path)
            if source not in line_maps:
                line_maps[source] = _def_lines(source)
            line = line_maps[source].get(code.co_firstlineno)
            if line is not None:
                return line
    # Not a plain function (doctest, custom item) or its source is elsewhere.
    line = item.location[1]
    return line + 1 if isinstance(line, int) else 0


def _def_lines(source):
    """{line where a function starts (first decorator or def): def line}."""
    try:
        with open(source, "rb") as f:
            tree = ast.parse(f.read(), source)
    except (OSError, SyntaxError, ValueError):
        return {}
    lines = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            lines[first] = node.lineno
            lines.setdefault(node.lineno, node.lineno)
    return lines


def _conftest_files(config):
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, types.ModuleType):
            file = getattr(plugin, "__file__", None)
            if file and os.path.basename(file) == "conftest.py":
                yield os.path.abspath(file)


def _write_atomically(path, document):
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    text = json.dumps(document, indent=1, ensure_ascii=True, allow_nan=False)
    fd, temp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


# --- journal -----------------------------------------------------------------


def _open_journal(path):
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
    return os.open(path, flags, 0o644)


def _append_line(fd, record):
    # One write of one whole line: a kill -9 leaves at most a torn last line.
    data = (json.dumps(record, ensure_ascii=True, allow_nan=False) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


def _outcome(reports):
    """(outcome, message) of one test from its setup/call/teardown reports."""
    by_phase = {r.when: r for r in reports if r.outcome in ("passed", "failed", "skipped")}
    if not by_phase:
        return "error", "pytest reported no phase of this test"
    failed = [r for r in by_phase.values() if r.failed]
    message = "\n".join(r.longreprtext for r in failed)
    if any(r.when != "call" for r in failed):
        return "error", message
    if failed:
        return "failed", message
    for report in by_phase.values():
        if hasattr(report, "wasxfail"):
            return ("xpassed" if report.passed else "xfailed"), report.wasxfail
    if any(r.skipped for r in by_phase.values()):
        skipped = next(r for r in by_phase.values() if r.skipped)
        return "skipped", _skip_reason(skipped)
    return "passed", ""


def _skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return report.longreprtext


def _truncate(text):
    data = _clean(text).encode("utf-8")
    if len(data) <= MESSAGE_LIMIT:
        return data.decode("utf-8")
    note = b"\n[truncated by pytest-shards]"
    return data[: MESSAGE_LIMIT - len(note)].decode("utf-8", "ignore") + note.decode()


def _clean(text):
    """text as valid Unicode: lone surrogates (from undecodable bytes) become ?."""
    return text.encode("utf-8", "replace").decode("utf-8")


# --- fixtures ------------------------------------------------------------------


def _env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        pytest.fail(f"{name}={value!r} is not an integer; unset it or fix it", pytrace=False)


@pytest.fixture(scope="session")
def shard_index():
    """0-based index of this shard (PYTEST_SHARD_INDEX); 0 outside a shard."""
    return _env_int("PYTEST_SHARD_INDEX", 0)


@pytest.fixture(scope="session")
def shard_port_range():
    """This shard's private TCP ports (PYTEST_SHARD_PORT_BASE/COUNT).

    Outside a shard: DEFAULT_PORT_COUNT consecutive ports that the OS reports
    free when the session asks.
    """
    base = _env_int("PYTEST_SHARD_PORT_BASE", None)
    count = _env_int("PYTEST_SHARD_PORT_COUNT", None)
    if base is not None and count is not None:
        return range(base, base + count)
    return _free_port_range(DEFAULT_PORT_COUNT)


@pytest.fixture
def free_tcp_port(request, shard_port_range):
    """A port of shard_port_range that 127.0.0.1 can bind right now.

    Successive calls go round the range, so tests get different ports. A port
    nothing uses is preferred; failing that, one whose last connection lingers
    in TIME_WAIT, which servers that set SO_REUSEADDR can bind."""
    stash = request.config.stash
    start = stash.get(_PORTS_HANDED_OUT, 0)
    ports = list(shard_port_range)
    for reuse in (False, True):
        for i in range(len(ports)):
            port = ports[(start + i) % len(ports)]
            if _can_bind(port, reuse):
                stash[_PORTS_HANDED_OUT] = start + i + 1
                return port
    pytest.fail(
        f"no free TCP port in {_describe(shard_port_range)} on 127.0.0.1; "
        "stop what holds them or give shards more ports (PORTS_PER_SHARD)",
        pytrace=False,
    )


def _can_bind(port, reuse=False):
    """Whether a server can listen on the port now (with SO_REUSEADDR, as
    http.server, asyncio and most frameworks set it, when `reuse`)."""
    if not 0 < port < 65536:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_range(count, attempts=50):
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        ports = range(base, base + count)
        if ports[-1] < 65536 and all(_can_bind(p) for p in ports):
            return ports
    pytest.fail(
        f"the OS gave no {count} consecutive free TCP ports in {attempts} "
        "attempts; free some ports or run inside a shard",
        pytrace=False,
    )


def _describe(ports):
    if len(ports) == 0:
        return "the empty port range"
    return f"ports {ports[0]}-{ports[-1]}"
