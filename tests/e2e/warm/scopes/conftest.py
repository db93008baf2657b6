"""A session fixture that makes a once-per-process setting, as pybind11's
does, and evidence of each of its setups and teardowns: one JSON line in
$EVIDENCE_DIR/session-<pid>.jsonl. With SCOPES_THREAD set, a thread started
at import makes the warm interpreter unavailable (a fork would lack it)."""
import json
import multiprocessing
import os
import threading
import time

import pytest

import messages  # noqa: F401  (bound sys.stderr.write at import)

IMPORTED_BY = os.getpid()
if os.environ.get("SCOPES_THREAD"):
    threading.Thread(target=time.sleep, args=(60,), name="poller", daemon=True).start()


def _record(event):
    directory = os.environ["EVIDENCE_DIR"]
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"session-{os.getpid()}.jsonl"), "a") as f:
        f.write(json.dumps({"event": event, "pid": os.getpid(), "imported_by": IMPORTED_BY,
                            "entry": os.environ.get("PYTEST_SHARD_INDEX")}) + "\n")


@pytest.fixture(scope="session", autouse=True)
def forkserver():
    # RuntimeError: context has already been set, when run twice in a process.
    multiprocessing.set_start_method("forkserver")
    _record("setup")
    yield
    _record("teardown")
