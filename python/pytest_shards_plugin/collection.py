"""--shards-collect-json=PATH: after collection, write what was collected as
JSON in format "pytest-shards-collection/1" (read by src/data/collection.cc).

Registered only when the option is given: node IDs, files, lines of the
``def``, classes and markers of the items; collectors that pytest skipped as
a whole; collection errors; and the files and directories the result depends
on, whose hashes tell the next configure whether to collect again: the test
files, conftests and ini file, and every other module it imported from the
rootdir, the working directory or a --shards-watch-root (a helper the tests
import, an extension module the build made).
"""

import ast
import inspect
import json
import os
import sys
import tempfile
import time
import types

import pytest

from .messages import clean, skip_reason
from .selection import module_part

COLLECTION_FORMAT = "pytest-shards-collection/1"
REPR_LIMIT = 1000  # characters of repr() kept for a marker argument
JSON_DEPTH_LIMIT = 20  # deeper marker arguments become repr()
SITE_DIRS = {"site-packages", "dist-packages"}  # installed packages, not the project's


class CollectionWriter:
    """Gathers what pytest collected and writes it when collection is over."""

    def __init__(self, config, path, session_outputs=(), session_paths=None):
        self.config = config
        self.path = path
        self.session_outputs = list(session_outputs)  # session_parts.requested()
        self.session_paths = dict(session_paths or {})  # session_parts.session_paths()
        self.started = time.time()
        self.collection_done = False  # pytest_collection_modifyitems ran
        self.collected_files = {}  # paths of collected pytest.File nodes
        self.errors = []  # [(nodeid, path, message)]
        self.error_paths = {}  # nodeid -> file of a module that failed to collect
        self.skips = []  # [(nodeid, path, reason)]: collectors skipped whole

    def pytest_sessionstart(self, session):
        self.started = time.time()

    def pytest_collectstart(self, collector):
        if isinstance(collector, pytest.File):
            self.collected_files[str(collector.path)] = None

    def pytest_collectreport(self, report):
        if report.failed:
            path = self.error_paths.pop(report.nodeid, "")
            part = report.nodeid.split("::", 1)[0]
            if not path and part and (self.config.rootpath / part).exists():
                path = str(self.config.rootpath / part)
            self.errors.append((report.nodeid, path, report.longreprtext))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        # A report alone has no path: the collector has.
        outcome = yield
        report = outcome.get_result()
        if report.skipped:
            self.skips.append((report.nodeid, str(collector.path), skip_reason(report)))
        elif report.failed and os.path.isfile(collector.path):
            # With --pyargs the node ID is relative to the package, not the
            # rootdir: the collection-errors entry runs the module by this.
            self.error_paths[report.nodeid] = str(collector.path)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        self.collection_done = True

    def pytest_collection_finish(self, session):
        # pytest also calls this hook when collection stopped with a usage
        # error (an argument not found); modifyitems did not run then and
        # there is no collection to write.
        if self.collection_done:
            _write_atomically(self.path, self.collection(session))

    def collection(self, session):
        rootpath = self.config.rootpath
        line_maps = {}
        items = [_item_record(item, rootpath, line_maps) for item in session.items]
        items += [_skipped_collector_record(*skip, rootpath) for skip in self.skips]
        files = set(self.collected_files)
        files.update(str(item.path) for item in session.items)
        dirs = {os.path.dirname(f) for f in files}
        errors = []
        for nodeid, path, message in self.errors:
            errors.append({"nodeid": nodeid, "path": path, "message": clean(message)})
            if path:
                dirs.add(path if os.path.isdir(path) else os.path.dirname(path))
        files.update(_conftest_files(self.config))
        if self.config.inipath is not None:
            files.add(str(self.config.inipath))
        roots = [rootpath, self.config.invocation_params.dir,
                 *self.config.getoption("shards_watch_root")]
        files.update(_imported_files(roots))
        return {
            "format": COLLECTION_FORMAT,
            "rootdir": str(rootpath),
            "python": sys.executable,
            "pytest_version": pytest.__version__,
            "xdist": self.config.pluginmanager.hasplugin("xdist"),
            "pytest_order": _pytest_order_loaded(self.config),
            "session": self.session_outputs,
            "session_paths": self.session_paths,
            "seconds": time.time() - self.started,
            "items": items,
            "errors": errors,
            "files": sorted(files),
            "dirs": sorted(dirs),
        }


def _pytest_order_loaded(config):
    """Whether pytest-order orders this session's tests by their `order`
    marks: its pytest_configure registers its orderer under this name."""
    return config.pluginmanager.hasplugin("orderingplugin")


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
        file = module_part(nodeid)
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
        return clean(value)
    if depth < JSON_DEPTH_LIMIT:
        if isinstance(value, (list, tuple)):
            return [_json_safe(v, depth + 1) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {clean(k): _json_safe(v, depth + 1) for k, v in value.items()}
    try:
        text = repr(value)
    except Exception as e:  # a broken __repr__ must not break collection
        text = f"<unrepresentable {type(value).__name__}: {type(e).__name__}>"
    if len(text) > REPR_LIMIT:
        text = text[:REPR_LIMIT] + "..."
    return clean(text)


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


def _imported_files(roots):
    """Files of the modules imported so far from below one of roots, but not
    from a site directory below it (a virtualenv in the source tree) nor this
    plugin, whose files the collector stamps on its own."""
    plugin = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
    roots = [os.path.join(os.path.abspath(r), "") for r in roots]
    found = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue
        file = os.path.abspath(file)
        root = next((r for r in roots if file.startswith(r)), None)
        if root is None or file.startswith(plugin):
            continue
        if not SITE_DIRS.intersection(file[len(root):].split(os.sep)[:-1]):
            found.add(file)
    return found


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
