"""--shards-journal=PATH: append one JSON line per event, so that the runner
(src/run/run.cc) follows the shard and knows what ran even when the interpreter
dies mid-test. The records (session, collected, start, result, finish) are
those src/data/journal.h lists.

Registered only when the option is given. Collectors that pytest skips or
fails as a whole (a module-level skip, an import error) are journaled as
results of their own node ID. Under pytest-xdist the controller journals:
its workers only tag their reports with the file they come from
(ReportPaths), since the controller has no items to ask.
"""

import json
import os
import time

import pytest

from .messages import skip_reason, truncate


class ReportPaths:
    """Puts the file of its test or collector into every report, as
    `shards_path`: an xdist worker's reports travel to the controller with
    it, and colliding node IDs are told apart by it."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        outcome = yield
        outcome.get_result().shards_path = str(collector.path)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        outcome.get_result().shards_path = str(item.path)


class Journal:
    """Writes the journal of one pytest process (not of an xdist worker).
    With a Selection (--shards-node-ids), results carry planned node IDs and
    requested IDs that pytest did not collect are journaled too."""

    def __init__(self, config, path, selection, broken=None):
        self.config = config
        self.selection = selection
        self.broken = broken  # BrokenModules of the collection-errors entry
        self.fd = _open_journal(path)
        self.running_path = ""  # module path of the running test
        self.collect_errors = []  # [(nodeid, message)] of failed collectors
        # (nodeid, file of its location) -> TestReports of a running test. An
        # xdist controller can have two tests of one node ID running at once
        # (colliding modules on two workers): their locations tell them apart.
        self.reports = {}
        self.journaled = set()  # requested node IDs that already have a result

    def write(self, **record):
        if self.fd is not None:
            record["time"] = time.time()
            _append_line(self.fd, record)

    def pytest_unconfigure(self, config):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    # --- session ---

    def pytest_sessionstart(self, session):
        self.write(event="session", pid=os.getpid())

    def pytest_sessionfinish(self, session, exitstatus):
        self.write(event="finish", exitstatus=int(exitstatus))

    # --- collection ---

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        outcome = yield
        self.collector_done(collector.path, outcome.get_result())

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append((report.nodeid, report.longreprtext))
        # The xdist controller collects nothing itself: its workers' skipped
        # and failed collectors reach it here.
        if not report.passed and self.config.pluginmanager.has_plugin("dsession"):
            self.collector_done(getattr(report, "shards_path", ""), report)

    def collector_done(self, path, report):
        """A collector (its path, its report) that pytest skipped or failed as
        a whole (a module-level skip, an import error) is journaled as a
        result of its own: of its planned ID in a shard, of its node ID in a
        plain run."""
        if report.passed:
            return
        outcome = "skipped" if report.skipped else "error"
        message = skip_reason(report) if report.skipped else report.longreprtext
        if self.broken is not None:
            node_id = self.broken.planned_id(path, report.nodeid)
        elif self.selection is None:
            node_id = report.nodeid
        else:
            node_id = self.selection.planned_id(path, report.nodeid)
            if node_id is None or outcome == "error":
                return  # not this shard's, or its tests are journaled as errors
        self.journaled.add(node_id)
        self.write(
            event="result",
            nodeid=node_id,
            path=str(path),
            outcome=outcome,
            duration=0.0,
            message=truncate(message),
        )

    def pytest_collection_finish(self, session):
        if self.selection is None:
            return
        for node_id in self.selection.not_collected or []:
            if node_id not in self.journaled:
                self.journal_not_collected(node_id)
        self.write(event="collected", count=len(session.items))

    def journal_not_collected(self, node_id):
        outcome = "missing"
        message = f"node ID no longer exists: {node_id}; re-run cmake to collect again"
        for error_id, error_message in self.collect_errors:
            if error_id and (node_id == error_id or node_id.startswith(error_id + "::")):
                outcome, message = "error", error_message
                break
        self.write(
            event="result",
            nodeid=node_id,
            outcome=outcome,
            duration=0.0,
            message=truncate(message),
        )

    # --- running tests ---

    def pytest_runtest_logstart(self, nodeid, location):
        # setdefault: a rerun (pytest-rerunfailures) starts the test again,
        # and its verdict comes from every try's reports.
        self.reports.setdefault((nodeid, location[0]), [])
        self.write(event="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report):
        self.reports.setdefault((report.nodeid, report.location[0]), []).append(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.running_path = str(item.path)

    def pytest_runtest_logfinish(self, nodeid, location):
        tried = self.reports.get((nodeid, location[0]), [])
        if tried and tried[-1].outcome == "rerun":
            return  # one result per test: its last try's
        reports = self.reports.pop((nodeid, location[0]), [])
        outcome, message = _outcome(reports)
        path = getattr(reports[0], "shards_path", self.running_path) if reports else self.running_path
        self.write(
            event="result",
            nodeid=nodeid,
            path=path,
            outcome=outcome,
            duration=sum(r.duration for r in reports),
            message=truncate(message),
        )


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
    """(outcome, message) of one test from its setup/call/teardown reports.
    A phase may report more than once: pytest-subtests reports each subtest
    in the call phase before the test's own report, and pytest counts a
    failed subtest as a failure even when the test's body then passes."""
    kept = [r for r in reports if r.outcome in ("passed", "failed", "skipped")]
    by_phase = {r.when: r for r in kept}
    if not by_phase:
        return "error", "pytest reported no phase of this test"
    failed = [r for r in kept if r.failed]
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
        return "skipped", skip_reason(skipped)
    return "passed", ""
