"""Session outputs, the session step's half (``--shards-session=DIR``).

`pytest-shards session` runs pytest once more after a suite's entries, with
the suite's own arguments, as pytest-xdist's controller runs beside its
workers: it collects nothing and runs nothing, and instead replays the
reports the entries kept (session_parts.py) through pytest's hooks, in
collection order. So every plugin that writes or decides something once per
session does it here, once, from every test of the run, with its own code:
pytest's junitxml, --durations and terminal summary, the cache's last-failed
list, pytest-reportlog, and pytest-cov, whose combine picks up the entries'
coverage data before it writes its reports and judges --cov-fail-under.

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
import warnings

import pytest

from .pytest_compat import set_session_start

FORMAT = "pytest-shards-session/1"
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

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session):
        return True  # the entries collected; nothing is imported here

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        reports, collectors = self.read_reports()
        hook = self.config.hook
        for report in collectors:
            hook.pytest_collectreport(report=report)
        session.testscollected = len(self.run["order"])
        for node_id in self.run["order"]:
            self.replay(node_id, reports.get(node_id, []))
        self.test_failures = session.testsfailed
        self.add_coverage_parts()
        return True

    def read_reports(self):
        """{node ID: [TestReport]}, [CollectReport] of every entry's part."""
        reports, collectors = {}, []
        pytest_ids = self.run.get("pytest_ids", {})
        for path in sorted(glob.glob(os.path.join(self.dir, "reports", "*.jsonl"))):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if not line.endswith("\n"):
                        break  # torn by a kill: the runner's verdict stands in
                    record = json.loads(line)
                    report = self.config.hook.pytest_report_from_serializable(
                        config=self.config, data=record["report"]
                    )
                    report.nodeid = pytest_ids.get(record["id"], report.nodeid)
                    if isinstance(report.longrepr, list):
                        # A skip's (path, line, reason): JSON made it a list.
                        report.longrepr = tuple(report.longrepr)
                    if report.when == "collect":
                        collectors.append(report)
                    else:
                        reports.setdefault(record["id"], []).append(report)
        return reports, collectors

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

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        # A plugin that failed the session counts a failure of its own
        # (pytest-cov under its threshold) on top of the replayed tests'.
        failed = session.testsfailed > self.test_failures or self.problems
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED if failed else pytest.ExitCode.OK


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
