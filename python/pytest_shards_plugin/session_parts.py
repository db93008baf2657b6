"""Session outputs, the entries' half: what pytest and its plugins write or
decide once per session (the user's --junitxml, --report-log, coverage data,
reports and --cov-fail-under, --durations) is written once per ctest run by
the suite's session step (session.py), from every entry that ran. An entry
(``--shards-session-dir=DIR``) therefore writes none of it itself and keeps
its part in DIR instead:

* ``DIR/reports/<entry>.jsonl``: every test and collector report of the
  entry, serialized as pytest-xdist sends them to its controller, one JSON
  line each, appended as they come (a crash keeps what came before), and
  after a test's teardown its pytest-benchmark measurements
  (plugin_compat.py), the warnings pytest recorded for a test or at
  collection, and what it gave record_testsuite_property and
  record_xml_attribute;
* ``DIR/coverage/<entry>.<pid>``: each pytest process's coverage data
  (pytest-cov's own combined data file, subprocesses included), with no
  report written and no threshold judged.

<entry> is the entry's journal name (its index in the plan). The collector
also tells configure which of these a suite asks for (requested()), so that
a session step exists only where one is needed, and refuses the options that
cannot work across entries (refusal()).
"""

import importlib
import json
import linecache
import os
import warnings

import pytest

from . import plugin_compat
from .pytest_compat import junit_key

xml_key = junit_key()  # where pytest keeps its LogXML

# Options whose meaning spans a whole session and cannot be honoured by
# sessions of one entry each, with what to use instead.
REFUSED = {
    "lf": ("--lf", "ctest --rerun-failed, or ctest -L last-failed"),
    "failedfirst": ("--ff", "the plan, which runs last-failed entries first"),
    "newfirst": ("--nf", "the plan's own order"),
    "stepwise": ("--sw", "ctest --stop-on-failure and ctest --rerun-failed"),
}


def requested(option):
    """The session outputs that pytest's parsed options ask for."""
    outputs = []
    if getattr(option, "xmlpath", None):
        outputs.append("junitxml")
    if getattr(option, "report_log", None):
        outputs.append("report-log")
    if getattr(option, "durations", None):
        outputs.append("durations")
    if coverage_requested(option):
        outputs.append("coverage")
    if plugin_compat.benchmark_requested(option):
        outputs.append("benchmark")
    if plugin_compat.seed_requested(option):
        outputs.append("seed")
    return outputs


def session_paths(option):
    """{output: absolute path} of the session files that the options name."""
    paths = {}
    if getattr(option, "xmlpath", None):
        # As pytest's junitxml resolves it.
        paths["junitxml"] = os.path.abspath(os.path.expanduser(os.path.expandvars(option.xmlpath)))
    if getattr(option, "report_log", None):
        paths["report-log"] = os.path.abspath(option.report_log)
    if coverage_requested(option):
        paths["coverage"] = plugin_compat.coverage_data_file(option)
    if plugin_compat.benchmark_json_path(option):
        paths["benchmark-json"] = plugin_compat.benchmark_json_path(option)
    return paths


def coverage_requested(option):
    return bool(getattr(option, "cov_source", None)) and not getattr(option, "no_cov", False)


def refusal(option):
    """One line naming the first option that cannot be honoured, or None."""
    for dest, (name, instead) in REFUSED.items():
        if getattr(option, dest, False):
            return (
                f"pytest-shards: {name} cannot be honoured, since every CTest entry is a pytest "
                f"session of its own; remove it from the pytest arguments and use {instead}"
            )
    return None


def silence(option):
    """Stops pytest's and the plugins' session files (their own
    pytest_configure reads these after ours, which is tryfirst): in an entry,
    since the session step writes them, and at collection, which must not
    write an empty JUnit file over the user's."""
    option.xmlpath = None
    if hasattr(option, "report_log"):
        option.report_log = None
    plugin_compat.silence_benchmark(option)


def silence_coverage(namespace):
    """Before pytest-cov's start: no coverage at collection (it would erase
    the user's data file and write a report of nothing)."""
    if coverage_requested(namespace):
        namespace.no_cov = True


def entry_name(journal_path):
    """The entry's name in the session directory: its journal's ("3")."""
    return os.path.splitext(os.path.basename(journal_path))[0]


def coverage_part(session_dir, journal_path, pid):
    return os.path.join(session_dir, "coverage", f"{entry_name(journal_path)}.{pid}")


class CoveragePart:
    """Around pytest-cov's start (pytest_load_initial_conftests): its data
    file becomes this process's part, and it writes no report and judges no
    threshold. Both are pytest-cov's to do once, in the session step."""

    def __init__(self, namespace):
        self.active = coverage_requested(namespace) and bool(
            getattr(namespace, "shards_journal", None)
        )
        self.saved = os.environ.get("COVERAGE_FILE")
        if self.active:
            part = coverage_part(namespace.shards_session_dir, namespace.shards_journal, os.getpid())
            os.makedirs(os.path.dirname(part), exist_ok=True)
            # coverage.py reads COVERAGE_FILE when pytest-cov makes its
            # Coverage objects, right after this; tests see the user's value.
            os.environ["COVERAGE_FILE"] = part

    def started(self, pluginmanager):
        if not self.active:
            return
        plugin_compat.restore_environ("COVERAGE_FILE", self.saved)
        plugin = pluginmanager.get_plugin("_cov")
        controller = getattr(plugin, "cov_controller", None)
        if controller is None:
            return
        plugin.options.cov_fail_under = None
        # summary() writes the reports and computes the total: neither is
        # an entry's to do, and the total alone costs a whole report.
        controller.summary = lambda stream: 0.0


class EntryParts:
    """Registered in an entry's pytest: the user's session files are not
    written here, and the reports go to the entry's part."""

    def __init__(self, config, session_dir, selection, broken=None):
        self.session_dir = session_dir
        self.selection = selection
        self.broken = broken  # BrokenModules of the collection-errors entry
        self.fd = None
        self.config = config
        self.benchmarks_kept = {}  # pytest-benchmark's measurements kept, by id
        self.running = None  # planned node ID of the test running (or that ran last)
        # The collection-errors entry runs without the user's arguments, so
        # it has none of the options; its error reports are due all the same.
        self.keep_reports = bool(requested(config.option)) or broken is not None
        if config.option.xmlpath and xml_key is not None:
            JunitRecords(self, config)
        silence(config.option)

    def open(self, journal_path):
        """The entry's report part, named after its journal (a warm worker
        opens the next entry's)."""
        self.close()
        if not self.keep_reports:
            return
        path = os.path.join(self.session_dir, "reports", entry_name(journal_path) + ".jsonl")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def pytest_unconfigure(self, config):
        self.close()

    def pytest_runtest_logreport(self, report):
        node_id = self.write(report, str(getattr(report, "shards_path", "")))
        if report.when == "teardown" and node_id is not None:
            # The test's benchmarks, measured in its call.
            for kept in plugin_compat.new_benchmarks(self.config, self.benchmarks_kept):
                self.append({"id": node_id, "benchmark": kept})

    def pytest_collectreport(self, report):
        if not report.passed:
            self.write(report, str(getattr(report, "shards_path", "")))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item):
        node_id = item.nodeid
        if self.selection is not None:
            node_id = self.selection.planned_id(str(item.path), item.nodeid)
        self.running = node_id

    def pytest_warning_recorded(self, warning_message, when, nodeid):
        # pytest records a test's warnings after its last report; the session
        # step's own configure gives the configuration's warnings again.
        if self.fd is None or when == "config":
            return
        node_id = self.running if when == "runtest" else None
        record = dict(warning_record(warning_message), when=when, nodeid=nodeid)
        self.append({"id": node_id, "warning": record})

    def write(self, report, path):
        """Keeps report; returns its planned node ID (None: not kept)."""
        if self.fd is None:
            return None
        node_id = report.nodeid
        if self.broken is not None:
            node_id = self.broken.planned_id(path, node_id)
        elif self.selection is not None:
            node_id = self.selection.planned_id(path, report.nodeid)
            if node_id is None:
                return None  # a collector of another entry's module
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        self.append({"id": node_id, "report": data})
        return node_id

    def append(self, record):
        data = (json.dumps(record, default=str) + "\n").encode()
        while data:
            data = data[os.write(self.fd, data) :]


class JunitRecords:
    """Stands in an entry for pytest's LogXML, which writes the user's
    --junitxml, and which the session step has instead: what
    record_testsuite_property and record_xml_attribute give it goes into the
    entry's part, with the running test, to be given to the session step's
    (session.py)."""

    def __init__(self, parts, config):
        self.parts = parts
        self.family = config.getini("junit_family")  # what record_xml_attribute checks
        config.stash[xml_key] = self
        # pytest's junitxml unregisters what it finds in the stash.
        config.pluginmanager.register(self, "pytest-shards-junit-records")

    def add_global_property(self, name, value):
        self.record("property", name, value)

    def node_reporter(self, nodeid):
        return self  # its add_attribute: of the running test

    def add_attribute(self, name, value):
        self.record("attribute", name, value)

    def record(self, kind, name, value):
        if self.parts.fd is not None:
            self.parts.append({"id": self.parts.running, "junit": [kind, str(name), str(value)]})


def warning_record(message):
    """A warnings.WarningMessage as JSON: what pytest's warnings summary
    shows of it (its text, category, place and source line)."""
    category = message.category
    line = message.line
    if line is None:
        line = linecache.getline(message.filename, message.lineno)
    return {
        "message": str(message.message),
        "category": [category.__module__, category.__qualname__],
        "filename": message.filename,
        "lineno": message.lineno,
        "line": line,
        "source": message.source is not None,
    }


def warning_message(record):
    """The warnings.WarningMessage of a warning_record()."""
    module, name = record["category"]
    try:
        category = importlib.import_module(module)
        for part in name.split("."):
            category = getattr(category, part)
    except (ImportError, AttributeError):
        category = type(name.rsplit(".", 1)[-1], (Warning,), {"__module__": module})
    return warnings.WarningMessage(
        record["message"],
        category,
        record["filename"],
        record["lineno"],
        line=record["line"],
        # An object (not the entry's) makes pytest print its tracemalloc hint.
        source=object() if record["source"] else None,
    )
