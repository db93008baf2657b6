"""The shared tail (python/pytest_shards_plugin/tail.py): shards that share
it each run their own tests, then take its groups one at a time, so that
every test of the tail runs exactly once among them."""

import json
import subprocess
import sys

from conftest import PLUGIN_DIR, clean_env, read_journal

sys.path.insert(0, str(PLUGIN_DIR))
from pytest_shards_plugin.tail import Claims  # noqa: E402


def test_claims_give_every_group_to_exactly_one_entry(tmp_path):
    path = tmp_path / "claims"
    first, second = Claims(str(path), 0, 5), Claims(str(path), 1, 5)
    taken = [first.take(), second.take(), second.take(), first.take(), first.take()]
    assert taken == [0, 1, 2, 3, 4]
    assert first.take() is None and second.take() is None
    assert first.mine() == [0, 3, 4]
    assert second.mine() == [1, 2]
    # The layout the runner reads (src/run/tail_claims.h).
    data = path.read_bytes()
    assert data[:4] == (5).to_bytes(4, "little")
    assert [data[4 + 4 * g] for g in range(5)] == [1, 2, 2, 1, 1]
    first.close()
    second.close()


def write_tail_suite(suite):
    suite.write("test_own.py", """
        def test_a(): pass
        def test_b(): pass
    """)
    # A module fixture counts its set-ups per process.
    suite.write("test_tail.py", """
        import os, time, pytest

        @pytest.fixture(scope="module")
        def counted():
            with open(os.environ["SETUPS"], "a") as f:
                f.write(f"{os.getpid()}\\n")
            yield

        @pytest.mark.parametrize("i", range(30))
        def test_t(i, counted):
            time.sleep(0.01)
            assert i != 7
    """)
    return [f"test_tail.py::test_t[{i}]" for i in range(30)]


def start_entry(suite, index, own, groups, claims, started=()):
    """Starts the pytest of entry `index` as the runner does; returns the
    process and its journal's path."""
    out = suite.root / "out"
    out.mkdir(exist_ok=True)
    ids = out / f"ids-{index}.json"
    tail = {"groups": groups, "claims": str(claims), "entry": index, "started": list(started)}
    ids.write_text(json.dumps({"node_ids": own, "paths": {}, "tail": tail}))
    journal = out / f"journal-{index}.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "pytest_shards_plugin", f"--rootdir={suite.root}",
         f"--shards-node-ids={ids}", f"--shards-journal={journal}", "-p", "no:cacheprovider",
         "-p", "no:randomly", "-v"],
        cwd=str(suite.root), env=clean_env(SETUPS=out / "setups"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    return proc, journal


def outcomes(journal):
    return [(r["nodeid"], r["outcome"]) for r in read_journal(journal) if r["event"] == "result"]


def test_two_shards_run_each_test_of_their_tail_exactly_once(suite, tmp_path):
    tail = write_tail_suite(suite)
    groups = [[i] for i in tail] + [["test_tail.py::test_gone"]]
    claims = tmp_path / "claims"
    procs = [start_entry(suite, 0, ["test_own.py::test_a"], groups, claims),
             start_entry(suite, 1, ["test_own.py::test_b"], groups, claims)]
    ran, codes = [], []
    for proc, journal in procs:
        output = proc.communicate(timeout=120)[0]
        assert "not torn down properly" not in output
        ran.append(outcomes(journal))
        codes.append(proc.returncode)
    assert sorted(codes) == [0, 1]  # test_t[7] fails where it runs
    assert ("test_own.py::test_a", "passed") in ran[0]
    assert ("test_own.py::test_b", "passed") in ran[1]
    taken = [node_id for journal in ran for node_id, _ in journal if node_id.startswith("test_tail")]
    assert sorted(taken) == sorted(tail + ["test_tail.py::test_gone"])  # each once
    every = dict(ran[0] + ran[1])
    assert every["test_tail.py::test_t[7]"] == "failed"
    assert every["test_tail.py::test_gone"] == "missing"  # journaled once, by its taker
    # The entries' own tests first, then the tail's.
    for journal in ran:
        assert journal[0][0].startswith("test_own.py")
    # Each process set the module fixture up once, however many groups it took.
    pids = (suite.root / "out" / "setups").read_text().split()
    assert len(pids) == len(set(pids))


def test_a_restarted_shard_first_runs_what_it_took_and_did_not_start(suite, tmp_path):
    tail = write_tail_suite(suite)
    groups = [tail[0:3], tail[3:6], tail[6:30]]
    claims = tmp_path / "claims"
    # Entry 1 took group 0 and crashed on its first test; entry 0 took group 1.
    claims.write_bytes(b"".join(n.to_bytes(4, "little") for n in (2, 2, 1)))
    proc, journal = start_entry(suite, 1, [], groups, claims, started=[tail[0]])
    output = proc.communicate(timeout=120)[0]
    ran = [node_id for node_id, _ in outcomes(journal)]
    assert ran == tail[1:3] + tail[6:30], output
    assert Claims(str(claims), 1, 3).mine() == [0, 2]
