"""Writes evidence of every test run: who ran it, when, with which isolation.

One JSON line per test to $EVIDENCE_DIR/<pid>.jsonl, appended by this
process only, so shards never write the same file.
"""
import json
import os
import sys
import time

import pytest


def _lock_of(item):
    marker = item.get_closest_marker("serial")
    if marker is None:
        return None
    return marker.kwargs.get("lock", marker.args[0] if marker.args else "serial")


@pytest.fixture(autouse=True)
def evidence(request, tmp_path):
    directory = os.environ.get("EVIDENCE_DIR")
    start = time.time()
    yield
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    record = {
        "nodeid": request.node.nodeid,
        "start": start,
        "end": time.time(),
        "pid": os.getpid(),
        "prefix": sys.prefix,
        "shard": os.environ.get("PYTEST_SHARD_INDEX"),
        "shards": os.environ.get("PYTEST_SHARD_COUNT"),
        "tmpdir": os.environ.get("TMPDIR"),
        "shard_tmpdir": os.environ.get("PYTEST_SHARD_TMPDIR"),
        "tmp_path": str(tmp_path),
        "port_base": os.environ.get("PYTEST_SHARD_PORT_BASE"),
        "port_count": os.environ.get("PYTEST_SHARD_PORT_COUNT"),
        "worker": os.environ.get("PYTEST_XDIST_WORKER"),
        "worker_count": os.environ.get("PYTEST_XDIST_WORKER_COUNT"),
        "lock": _lock_of(request.node),
    }
    fd = os.open(os.path.join(directory, f"{os.getpid()}.jsonl"),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)
