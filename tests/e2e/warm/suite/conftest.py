"""Evidence of every test run, written by the suite itself: one JSON line
when a test starts (so a test that kills its interpreter still leaves one)
and one when it ends, appended to $EVIDENCE_DIR/<pid>.jsonl. Each line says
which process ran the test and which one imported this conftest: in a child
forked from the warm interpreter, those differ."""
import json
import os
import time

IMPORTED_BY = os.getpid()


def _record(event, nodeid):
    directory = os.environ.get("EVIDENCE_DIR")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    record = {
        "event": event,
        "nodeid": nodeid,
        "time": time.time(),
        "pid": os.getpid(),
        "imported_by": IMPORTED_BY,
        "tmpdir": os.environ.get("TMPDIR"),
        "port_base": int(os.environ.get("PYTEST_SHARD_PORT_BASE", "0")),
        "port_count": int(os.environ.get("PYTEST_SHARD_PORT_COUNT", "0")),
        "run": os.environ.get("RUN_TAG", ""),
    }
    fd = os.open(os.path.join(directory, f"{os.getpid()}.jsonl"),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


def pytest_runtest_logstart(nodeid, location):
    _record("start", nodeid)


def pytest_runtest_logfinish(nodeid, location):
    _record("end", nodeid)
