"""Session outputs, the session step's half (``--shards-session=DIR``).

`pytest-shards session` runs pytest once more after a suite's entries, with
the suite's own arguments, as pytest-xdist's controller runs beside its
workers: it collects nothing and runs nothing, and instead replays the
reports the entries kept (session_parts.py) through pytest's hooks, in
collection order. So every plugin that writes or decides something once per
session does it here, once, from every test of the run, with its own code:
pytest's junitxml, --durations and terminal summary, the cache's last-failed
list, pytest-reportlog, pytest-cov, whose combine picks up the entries'
coverage data before it writes its reports and judges --cov-fail-under, and
pytest-benchmark, given the entries' benchmarks (plugin_compat.py).

DIR/run.json, written by the C++ half (src/session/session.cc), says what ran:
``{"format", "start", "order": [node IDs in collection order], "pytest_ids":
{node ID: pytest's own where they differ}, "entries": [{"name", "index",
"pids"}], "results": {node ID: [outcome, message, duration]}}``, where
results are the runner's own verdicts (crashed, timeout, missing) for tests
that pytest could not report.

The exit status is 0 unless a plugin failed the session beyond the tests'
own failures (a coverage threshold) or an entry's coverage part is missing:
the tests' verdicts are their entries'.
"""

import glob
import json
import os
import shutil
import types
import warnings

import pytest

from . import plugin_compat
from .pytest_compat import junit_key, set_session_start
from .session_parts import warning_message

FORMAT = "pytest-shards-session/1"
# The step's plugin_compat.SessionCoverageFile, made before pytest-cov starts.
SESSION_COVERAGE = pytest.StashKey()
RUNNER_OUTCOMES = ("crashed", "timeout", "missing")


class SessionStep:
    def __init__(self, config, session_dir):
        self.config = config
        self.dir = session_dir
        with open(os.path.join(session_dir, "run.json"), encoding="utf-8") as f:
            self.run = json.load(f)
        if self.run.get("format") != FORMAT:
            raise pytest.UsageError(f"{session_dir}/run.json is not {FORMAT}; re-run ctest")
        self.test_failures = 0
        # This session imports none of the sources it measures: coverage's
        # own session says nothing of it, the entries' data is combined in.
        for message in ("Module .* was never imported", "No data was collected"):
            warnings.filterwarnings("ignore", message=message)
        self.problems = []  # one line each: what made the session outputs incomplete

    @pytest.hookimpl(trylast=True)  # after the reporters took their own
    def pytest_sessionstart(self, session):
        set_session_start(self.config, self.run.get("start"))
        self.junit = _JunitInPlace.of(self.config)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session):
        return True  # the entries collected; nothing is imported here

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        try:
            return self.replay_all(session)
        except KeyboardInterrupt:
            # Ctrl-C: no output of a part of the run over the last complete
            # one. pytest-cov would combine and report after this loop.
            plugin_compat.stop_coverage_writes(self.config)
            raise

    def replay_all(self, session):
        parts = self.read_parts()
        hook = self.config.hook
        # In collection order, as one pytest collects: the parts come by
        # entry (a module skipped as a whole is a collector's report).
        position = {node_id: i for i, node_id in enumerate(self.run["order"])}
        parts.collectors.sort(key=lambda kept: position.get(kept[0], len(position)))
        for _, report in parts.collectors:
            hook.pytest_collectreport(report=report)
        # Every entry collected (or imported) the suite's modules: their
        # collection warnings once, as one collection gives them.
        self.warn(dict.fromkeys(parts.warnings.get(None, []), None))
        session.testscollected = len(self.run["order"])
        self.give_junit(None, parts.junit.get(None, []))
        for node_id in self.run["order"]:
            self.give_junit(node_id, parts.junit.get(node_id, []))
            self.replay(node_id, parts.reports.get(node_id, []))
            self.warn(parts.warnings.get(node_id, []))
        self.test_failures = session.testsfailed
        plugin_compat.give_benchmarks(
            self.config, [b for i in self.run["order"] for b in parts.benchmarks.get(i, [])]
        )
        self.add_coverage_parts()
        return True

    def read_parts(self):
        """What every entry kept (session_parts.py): reports by node ID,
        collector reports, benchmarks by node ID, warnings by node ID (None:
        collection's), each warning as its JSON line, JUnit properties and
        attributes by node ID."""
        parts = types.SimpleNamespace(
            reports={}, collectors=[], benchmarks={}, warnings={}, junit={}
        )
        pytest_ids = self.run.get("pytest_ids", {})
        for path in sorted(glob.glob(os.path.join(self.dir, "reports", "*.jsonl"))):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if not line.endswith("\n"):
                        break  # torn by a kill: the runner's verdict stands in
                    record = json.loads(line)
                    if "benchmark" in record:
                        parts.benchmarks.setdefault(record["id"], []).append(record["benchmark"])
                    elif "junit" in record:
                        parts.junit.setdefault(record["id"], []).append(record["junit"])
                    elif "warning" in record:
                        text = json.dumps(record["warning"], sort_keys=True)
                        parts.warnings.setdefault(record["id"], []).append(text)
                    else:
                        self.add_report(parts, record, pytest_ids)
        return parts

    def add_report(self, parts, record, pytest_ids):
        report = self.config.hook.pytest_report_from_serializable(
            config=self.config, data=record["report"]
        )
        # The planned ID is the one plain pytest gives but where pytest_ids
        # says otherwise (a module outside the rootdir, given by its file, is
        # "" in the entry).
        report.nodeid = pytest_ids.get(record["id"], record["id"])
        if isinstance(report.longrepr, list):
            # A skip's (path, line, reason): JSON made it a list.
            report.longrepr = tuple(report.longrepr)
        if report.when == "collect":
            parts.collectors.append((record["id"], report))
        else:
            parts.reports.setdefault(record["id"], []).append(report)

    def give_junit(self, node_id, records):
        """What the entries' tests gave record_testsuite_property and
        record_xml_attribute, to the JUnit writer, before the test's reports
        (which close its test case)."""
        key = junit_key()
        xml = self.config.stash.get(key, None) if key else None
        if xml is None:
            return
        pytest_id = self.run.get("pytest_ids", {}).get(node_id, node_id)
        for kind, name, value in records:
            if kind == "property":
                xml.add_global_property(name, value)
            elif node_id is not None:
                xml.node_reporter(pytest_id).add_attribute(name, value)

    def warn(self, texts):
        """Records the entries' warnings, as pytest's warnings plugin records
        them after each test (its warnings summary lists them)."""
        for text in texts:
            record = json.loads(text)
            self.config.hook.pytest_warning_recorded.call_historic(
                kwargs=dict(
                    warning_message=warning_message(record),
                    when=record["when"],
                    nodeid=record["nodeid"],
                    location=None,
                )
            )

    def replay(self, node_id, reports):
        """Logs one test's reports, and the runner's verdict when its pytest
        died before the test's last report (as xdist logs a crashed worker's
        test)."""
        result = self.run["results"].get(node_id)
        if result is not None and not any(r.when == "teardown" for r in reports):
            pytest_id = self.run["pytest_ids"].get(node_id, node_id)
            location = reports[0].location if reports else _location(pytest_id)
            reports = reports + [_runner_report(pytest_id, location, *result)]
        if not reports:
            return  # reported by its collector (a module skipped as a whole)
        hook = self.config.hook
        location = reports[0].location
        hook.pytest_runtest_logstart(nodeid=reports[0].nodeid, location=location)
        for report in reports:
            hook.pytest_runtest_logreport(report=report)
        hook.pytest_runtest_logfinish(nodeid=reports[0].nodeid, location=location)

    def add_coverage_parts(self):
        """Puts every entry's coverage data beside pytest-cov's data file as
        a parallel data file, which its combine at the end of the test loop
        takes in."""
        plugin = self.config.pluginmanager.get_plugin("_cov")
        controller = getattr(plugin, "cov_controller", None)
        if controller is None or getattr(controller, "combining_cov", None) is None:
            return
        data_file = os.path.abspath(controller.combining_cov.config.data_file)
        for entry in self.run["entries"]:
            if entry.get("collection_errors"):
                continue  # runs the broken modules without the user's --cov
            for pid in entry["pids"]:
                part = os.path.join(self.dir, "coverage", f"{entry['index']}.{pid}")
                if os.path.exists(part):
                    shutil.copyfile(part, f"{data_file}.pytest-shards.{entry['index']}.{pid}")
                else:
                    self.problems.append(
                        f"{entry['name']}: its pytest (pid {pid}) wrote no coverage data "
                        "(it crashed or was killed); the coverage of its tests is incomplete"
                    )

    def pytest_terminal_summary(self, terminalreporter):
        for line in self.problems:
            terminalreporter.write_line(f"pytest-shards: {line}", red=True, bold=True)

    # Inside the terminal reporter's wrapper: the JUnit file is in place
    # before its summary names it.
    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_sessionfinish(self, session):
        # A plugin that failed the session counts a failure of its own
        # (pytest-cov under its threshold) on top of the replayed tests'.
        failed = session.testsfailed > self.test_failures or self.problems
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED if failed else pytest.ExitCode.OK
        outcome = yield
        complete = outcome.excinfo is None and session.exitstatus != pytest.ExitCode.INTERRUPTED
        for output in (self.junit, self.config.stash.get(SESSION_COVERAGE, None)):
            if output is not None:
                output.finish(complete)


class _JunitInPlace:
    """pytest's junitxml writes the user's file with open(path, "w"): a kill
    or Ctrl-C while it writes, or an interrupted replay, would leave a part
    of the run over the last complete file. It writes a temporary file
    beside it instead, which replaces the user's once the session is
    complete (LogXML.logfile: pytest 7.x)."""

    def __init__(self, xml):
        self.xml = xml
        self.path = xml.logfile
        self.temp = f"{self.path}.pytest-shards-{os.getpid()}"
        xml.logfile = self.temp

    @classmethod
    def of(cls, config):
        key = junit_key()
        xml = config.stash.get(key, None) if key else None
        return cls(xml) if isinstance(getattr(xml, "logfile", None), str) else None

    def finish(self, complete):
        self.xml.logfile = self.path
        plugin_compat.put_in_place(self.temp, self.path, complete)


def _location(node_id):
    module, _, name = node_id.partition("::")
    return (module, None, name or module)


def _runner_report(node_id, location, outcome, message, duration):
    """A failed report for a test that its pytest could not finish: the
    runner journaled it crashed, timed out or missing."""
    return pytest.TestReport(
        nodeid=node_id,
        location=location,
        keywords={},
        outcome="failed",
        longrepr=f"{outcome}: {message}",
        when="call",
        duration=duration,
    )
