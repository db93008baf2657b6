"""Tests of the warm interpreter's workers as pytest sessions: the user's
warning filters, session-scoped fixtures set up once per worker, and stdio
that modules bound at import time (see test_warm.py for the Server helper)."""

import os

import pytest

from conftest import read_journal, results
from test_warm import Server, alive, eventually

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="warm interpreters fork")

SUITE = {
    # Binds the stream objects' methods at import, as numpy.f2py does
    # (errmess = sys.stderr.write): the conftest imports it while pytest
    # collects, in the warm interpreter.
    "messages.py": """\
        import sys

        errmess = sys.stderr.write
        outmess = sys.stdout.write
        """,
    "conftest.py": """\
        import multiprocessing
        import os

        import pytest

        import messages


        def note(text):
            with open(os.environ["COUNTER"], "a") as f:
                f.write(f"{text} {os.getpid()}\\n")


        @pytest.fixture(scope="session", autouse=True)
        def once_per_process():
            # A process-wide setting: a second call in one process raises
            # RuntimeError: context has already been set.
            multiprocessing.set_start_method("forkserver")
            note("setup")
            yield
            note("teardown")
            if os.environ.get("TEARDOWN_FAILS"):
                raise RuntimeError("SESSION-TEARDOWN-FAILED")
        """,
    "tests/test_s.py": """\
        import os
        import threading
        import time

        import messages


        def test_writes():
            messages.errmess("ERRMESS-WRITES\\n")
            messages.outmess("OUTMESS-WRITES\\n")


        def test_fails_after_writing():
            messages.errmess("ERRMESS-OF-FAILING\\n")
            messages.outmess("OUTMESS-OF-FAILING\\n")
            assert False


        def test_own_context(shard_port_range, tmp_path):
            assert shard_port_range.start == int(os.environ["PYTEST_SHARD_PORT_BASE"])
            assert str(tmp_path).startswith(os.environ["BASETEMP"])


        def test_leaves_a_thread():
            threading.Thread(target=time.sleep, args=(600,), daemon=True).start()


        def test_plain():
            pass
        """,
}
IDS = [f"tests/test_s.py::test_{name}"
       for name in ("writes", "fails_after_writing", "own_context", "leaves_a_thread", "plain")]


def start(suite, tmp_path, extra=(), server=()):
    for path, text in SUITE.items():
        suite.write(path, text)
    started = Server(suite, tmp_path, ids=IDS, extra=extra, server=server)
    log = started.dir / "server.log"
    assert started.starter.returncode == 0, started.starter.stderr + (
        log.read_text() if log.exists() else "")
    return started


def run(server, name, ids, **env):
    conn, started, entry = server.run(name, ids, env=env)
    assert started["event"] == "started", started
    done = server.finish(conn)
    return started["pid"], done, entry


def outcomes(entry):
    return {k: v["outcome"] for k, v in results(read_journal(entry / "journal.jsonl")).items()}


def counter(server):
    path = server.tmp / "counter"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("where", ["pytest.ini", "-W error"])
def test_warnings_as_errors_do_not_stop_the_warm_interpreter(suite, tmp_path, where):
    if where == "pytest.ini":
        suite.write("pytest.ini", "[pytest]\nfilterwarnings =\n    error\n")
    server = start(suite, tmp_path, extra=["-W", "error"] if where == "-W error" else [])
    try:
        pid, done, entry = run(server, "e1", [IDS[4]])
        assert done["exit_code"] == 0 and outcomes(entry) == {IDS[4]: "passed"}, done
    finally:
        server.stop()


def test_a_worker_sets_session_fixtures_up_once_and_tears_them_down_at_its_end(suite, tmp_path):
    server = start(suite, tmp_path)
    try:
        pids = []
        # In collection order, as a worker takes entries.
        for name, node_id, ports in (("e1", IDS[0], 20000), ("e2", IDS[2], 20010),
                                     ("e3", IDS[4], 20020)):
            pid, done, entry = run(server, name, [node_id],
                                   PYTEST_SHARD_PORT_BASE=ports, PYTEST_SHARD_PORT_COUNT=10)
            pids.append(pid)
            assert done["exit_code"] == 0, (entry / "out.txt").read_text()
            assert outcomes(entry) == {node_id: "passed"}
        assert len(set(pids)) == 1, f"one worker ran the three entries: {pids}"
        assert counter(server) == [f"setup {pids[0]}"], "set up once, not torn down yet"
    finally:
        server.stop()
    assert counter(server) == [f"setup {pids[0]}", f"teardown {pids[0]}"], \
        "torn down when the worker ended"


def test_a_session_teardown_error_at_the_workers_end_goes_to_its_last_entry(suite, tmp_path):
    server = start(suite, tmp_path)
    try:
        first, _, _ = run(server, "e1", [IDS[0]])
        pid, done, last = run(server, "e2", [IDS[4]], TEARDOWN_FAILS="1")
        assert pid == first
        assert done["exit_code"] == 0 and outcomes(last) == {IDS[4]: "passed"}
    finally:
        server.stop()
    records = read_journal(last / "journal.jsonl")
    assert records[-1]["event"] == "teardown" and records[-1]["nodeid"] == IDS[4], records[-1]
    assert "SESSION-TEARDOWN-FAILED" in records[-1]["message"]


def test_an_entry_that_ends_its_worker_tears_the_session_down_as_its_own(suite, tmp_path):
    server = start(suite, tmp_path)
    try:
        first, _, _ = run(server, "e1", [IDS[0]])
        pid, done, entry = run(server, "e2", [IDS[4], IDS[3]], TEARDOWN_FAILS="1")
        assert pid == first
        assert counter(server) == [f"setup {pid}", f"teardown {pid}"]
        assert done["exit_code"] == 1, done
        # The thread makes it the worker's last entry: its last test (in
        # collection order) gets the session's teardown error.
        assert outcomes(entry) == {IDS[3]: "passed", IDS[4]: "error"}
        out = (entry / "out.txt").read_text()
        assert "ERROR at teardown of test_plain" in out, out
        assert "SESSION-TEARDOWN-FAILED" in out
        assert eventually(lambda: not alive(pid)), "the worker ended with its entry"
        pid, done, entry = run(server, "e3", [IDS[4]])
        assert pid != first and done["exit_code"] == 0, (entry / "out.txt").read_text()
    finally:
        server.stop()


@pytest.mark.parametrize("how", ["reused", "--no-reuse", "-s"])
def test_streams_that_modules_bound_at_import_are_each_entrys(suite, tmp_path, how):
    server = start(suite, tmp_path, extra=["-s"] if how == "-s" else [],
                   server=["--no-reuse"] if how == "--no-reuse" else [])
    try:
        for name in ("e1", "e2"):
            pid, done, entry = run(server, name, [IDS[0]])
            out = (entry / "out.txt").read_text()
            assert done["exit_code"] == 0 and outcomes(entry) == {IDS[0]: "passed"}, out
            if how == "-s":
                assert "ERRMESS-WRITES" in out and "OUTMESS-WRITES" in out, out
            else:
                assert "ERRMESS-WRITES" not in out, "captured, as in pytest"
        pid, done, entry = run(server, "e3", [IDS[1]])
        out = (entry / "out.txt").read_text()
        assert done["exit_code"] == 1 and outcomes(entry) == {IDS[1]: "failed"}, out
        if how != "-s":
            assert "Captured stderr call" in out and "Captured stdout call" in out, out
        assert "ERRMESS-OF-FAILING" in out and "OUTMESS-OF-FAILING" in out, out
    finally:
        server.stop()



ORDER = {
    "tests/test_t.py": """\
        import messages


        def test_earlier():
            assert not hasattr(messages, "left"), "LEFT-BY-A-LATER-TEST"


        def test_later():
            messages.left = True
        """,
}
ORDER_IDS = ["tests/test_t.py::test_earlier", "tests/test_t.py::test_later"]


def test_a_worker_runs_no_test_before_those_it_ran(suite, tmp_path):
    # ctest starts the costliest entries first: a worker that ran a later
    # test would show its module state to an earlier one, which no pytest
    # process does (numpy.f2py's test_crackfortran after test_f2py2e).
    for path, text in {**SUITE, **ORDER}.items():
        suite.write(path, text)
    server = Server(suite, tmp_path, ids=IDS + ORDER_IDS)
    assert server.starter.returncode == 0, server.starter.stderr
    try:
        first, _, _ = run(server, "e1", [ORDER_IDS[1]])
        pid, done, entry = run(server, "e2", [ORDER_IDS[0]])
        assert outcomes(entry) == {ORDER_IDS[0]: "passed"}, (entry / "out.txt").read_text()
        assert pid != first, "a new worker for an earlier test"
        again, _, _ = run(server, "e3", [ORDER_IDS[1]])
        assert again == pid, "a later test reuses the worker"
    finally:
        server.stop()
