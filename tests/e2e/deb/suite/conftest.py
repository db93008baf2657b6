"""Writes one JSON line per passed test to $EVIDENCE_DIR/<pid>.jsonl: its
node ID and the file of the pytest-shards plugin that this process loaded."""
import json
import os
import sys


def pytest_runtest_logreport(report):
    directory = os.environ.get("EVIDENCE_DIR")
    if not directory or report.when != "call" or not report.passed:
        return
    plugin = sys.modules.get("pytest_shards_plugin")
    record = {"nodeid": report.nodeid, "plugin": getattr(plugin, "__file__", None)}
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
