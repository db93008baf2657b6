"""Evidence of every test run, written by the suite itself.

One JSON line when a test starts (before its body, so a test that kills
its interpreter still leaves one), one with the outcome of its call phase,
and one when it ends: appended with os.write to $EVIDENCE_DIR/<pid>.jsonl,
a file of this process only.
"""
import json
import os
import time


def _record(event, nodeid, **fields):
    directory = os.environ.get("EVIDENCE_DIR")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    record = {
        "event": event,
        "nodeid": nodeid,
        "time": time.time(),
        "pid": os.getpid(),
        "shard": os.environ.get("PYTEST_SHARD_INDEX"),
        **fields,
    }
    fd = os.open(os.path.join(directory, f"{os.getpid()}.jsonl"),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


def pytest_runtest_logstart(nodeid, location):
    _record("start", nodeid)


def pytest_runtest_logreport(report):
    if report.when == "call":
        _record("call", report.nodeid, outcome=report.outcome)


def pytest_runtest_logfinish(nodeid, location):
    _record("end", nodeid)
