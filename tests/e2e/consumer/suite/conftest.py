"""Writes evidence of every test run: who ran it, when, with which isolation.

One JSON line per test to $EVIDENCE_DIR/<pid>.jsonl, appended by this
process only, so shards never write the same file.
"""
import json
import os
import time

import pytest

# Whether this process has met another shard yet (see _meet_another_shard).
_MET = []


def _lock_of(item):
    marker = item.get_closest_marker("serial")
    if marker is None:
        return None
    return marker.kwargs.get("lock", marker.args[0] if marker.args else "serial")


def _meet_another_shard(directory, limit=120):
    """On its first test, each process waits until another process of the
    run has started a test. Its own first test is then still running when the
    other's begins: concurrency becomes observable however loaded the machine
    is, and a run that is not parallel times out here and shows no overlap."""
    if _MET:
        return
    _MET.append(True)
    os.makedirs(directory, exist_ok=True)
    open(os.path.join(directory, f"hello-{os.getpid()}"), "w").close()
    deadline = time.time() + limit
    while time.time() < deadline:
        if any(name.startswith("hello-") and name != f"hello-{os.getpid()}"
               for name in os.listdir(directory)):
            return
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def evidence(request, tmp_path):
    directory = os.environ.get("EVIDENCE_DIR")
    start = time.time()
    if directory:
        _meet_another_shard(directory)
    yield
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    group = request.node.get_closest_marker("xdist_group")
    record = {
        "nodeid": request.node.nodeid,
        "start": start,
        "end": time.time(),
        "pid": os.getpid(),
        "shard": os.environ.get("PYTEST_SHARD_INDEX"),
        "shards": os.environ.get("PYTEST_SHARD_COUNT"),
        "tmpdir": os.environ.get("TMPDIR"),
        "shard_tmpdir": os.environ.get("PYTEST_SHARD_TMPDIR"),
        "tmp_path": str(tmp_path),
        "port_base": os.environ.get("PYTEST_SHARD_PORT_BASE"),
        "port_count": os.environ.get("PYTEST_SHARD_PORT_COUNT"),
        "worker": os.environ.get("PYTEST_XDIST_WORKER"),
        "worker_count": os.environ.get("PYTEST_XDIST_WORKER_COUNT"),
        "suite_db": os.environ.get("SUITE_DB"),
        "lock": _lock_of(request.node),
        "group": (group.args[0] if group and group.args else None),
    }
    line = json.dumps(record) + "\n"
    fd = os.open(os.path.join(directory, f"{os.getpid()}.jsonl"),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
