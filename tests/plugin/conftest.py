"""Helpers for the plugin tests: write a small suite, run pytest on it in a
subprocess with the plugin loaded, read what the plugin wrote."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# The inner pytest is the outer one: under a pytest of build-venvs/ (tools/pytest-venvs.sh)
# the plugin is tested against that pytest.
PYTHON = sys.executable
PLUGIN_DIR = Path(__file__).resolve().parents[2] / "python"  # holds the package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import own_plugins  # noqa: E402


def clean_env(**extra):
    """The environment of the inner pytest: none of the outer run's shard,
    xdist or addopts variables leak in, the plugin is importable, the user's
    other pytest plugins are not loaded (tests/own_plugins.py)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_SHARD_", "PYTEST_XDIST_", "PYTEST_ADDOPTS"))
    }
    extra = {k: str(v) for k, v in extra.items()}
    python_path = extra.pop("PYTHONPATH", env.get("PYTHONPATH"))
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_DIR)] + ([python_path] if python_path else []))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_ADDOPTS"] = own_plugins.blocking_addopts()
    env.update(extra)
    return env


class Suite:
    """A throwaway pytest suite in a directory."""

    def __init__(self, root):
        self.root = root

    def write(self, relpath, text):
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def pytest(self, *args, env=None, cwd=None, timeout=120):
        """Runs `python -m pytest -p pytest_shards_plugin ARGS`."""
        return subprocess.run(
            [PYTHON, "-m", "pytest", "-p", "pytest_shards_plugin", *map(str, args)],
            cwd=str(cwd or self.root),
            env=clean_env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def collect(self, *args, **kwargs):
        """Collects with --collect-only; returns (process, collection dict)."""
        out = self.root / "out" / "collection.json"
        if out.exists():
            out.unlink()
        proc = self.pytest("--collect-only", "-q", f"--shards-collect-json={out}", *args, **kwargs)
        assert out.exists(), proc.stdout + proc.stderr
        return proc, json.loads(out.read_text(encoding="utf-8"))

    def run_ids(self, node_ids, *args, paths=None, journal=True, **kwargs):
        """Runs a shard on node_ids (paths: of modules outside the rootdir,
        as the runner passes them); returns (process, journal records)."""
        ids_file = self.root / "out" / "ids.json"
        ids_file.parent.mkdir(exist_ok=True)
        ids_file.write_text(json.dumps({"node_ids": node_ids, "paths": paths or {}}), encoding="utf-8")
        journal_file = self.root / "out" / "journal.jsonl"
        if journal_file.exists():
            journal_file.unlink()
        extra = [f"--shards-journal={journal_file}"] if journal else []
        proc = self.pytest(
            *args,
            f"--rootdir={self.root}",
            f"--shards-node-ids={ids_file}",
            *extra,
            "-v",
            "-p",
            "no:cacheprovider",
            **kwargs,
        )
        return proc, read_journal(journal_file) if journal else []


    def entry(self, name, node_ids, *args, **kwargs):
        """Runs one entry of a suite with session outputs, as the runner
        does; returns the process."""
        ids = self.root / "out" / f"ids-{name}.json"
        ids.parent.mkdir(exist_ok=True)
        ids.write_text(json.dumps({"node_ids": node_ids, "paths": {}}))
        return self.pytest(
            *args,
            f"--rootdir={self.root}",
            f"--shards-node-ids={ids}",
            f"--shards-journal={self.root}/journal/{name}.jsonl",
            f"--shards-session-dir={self.root}/session",
            "-p",
            "no:cacheprovider",
            **kwargs,
        )

    def session_step(self, order, *args, entries=(), results=None, **kwargs):
        """Runs the session step on the entries' parts, with the run.json
        that src/session.cc would write; returns the process."""
        run = {
            "format": "pytest-shards-session/1",
            "start": 0,
            "order": order,
            "pytest_ids": {},
            "entries": [{"name": f"s/{e}", "index": int(e), "pids": self.coverage_pids(e)}
                        for e in entries],
            "results": results or {},
        }
        (self.root / "session").mkdir(exist_ok=True)
        (self.root / "session/run.json").write_text(json.dumps(run))
        return self.pytest(
            f"--shards-session={self.root}/session", *args, "-p", "no:cacheprovider", **kwargs
        )


    def coverage_pids(self, entry):
        """The pids of the entry's coverage parts (<entry>.<pid>)."""
        parts = (self.root / "session" / "coverage").glob(f"{entry}.*")
        return sorted(int(p.name.split(".")[1]) for p in parts)


def read_journal(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def results(records):
    """{nodeid: result record}; fails if a node ID has two results."""
    found = {}
    for record in records:
        if record["event"] == "result":
            assert record["nodeid"] not in found, f"two results for {record['nodeid']}"
            found[record["nodeid"]] = record
    return found


@pytest.fixture
def suite(tmp_path):
    root = tmp_path / "suite"
    root.mkdir()
    return Suite(root)
