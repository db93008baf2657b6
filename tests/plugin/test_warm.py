"""Tests of python/pytest_shards_plugin/warm*.py, the warm interpreter: a real server
on a small suite, driven over its socket the way `pytest-shards run` drives
it (see conftest.py for the suite helpers)."""

import functools
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import PLUGIN_DIR, PYTHON, clean_env, read_journal, results

sys.path.insert(0, str(PLUGIN_DIR))
import pytest_shards_plugin.protocol as protocol  # noqa: E402
import pytest_shards_plugin.warm as warm  # noqa: E402
import pytest_shards_plugin.warm_files as warm_files  # noqa: E402
import pytest_shards_plugin.warm_server as warm_server  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="warm interpreters fork")

SUITE = {
    "conftest.py": """\
        import os
        import pytest

        IMPORTED_IN = os.getpid()

        @pytest.fixture(scope="session")
        def session_counter(tmp_path_factory):
            # One line per run of this session fixture.
            with open(os.environ["COUNTER"], "a") as f:
                f.write(f"{os.getpid()}\\n")
            return os.getpid()
        """,
    "tests/test_a.py": """\
        import os, signal, time
        import conftest

        def test_env(session_counter, tmp_path):
            print("OUTPUT-OF-TEST-ENV")
            assert os.environ["ENTRY"] == "yes"
            assert str(tmp_path).startswith(os.environ["BASETEMP"])
            assert os.getpid() != conftest.IMPORTED_IN  # a forked child

        def test_fails(session_counter):
            assert 1 == 2

        def test_segv():
            os.kill(os.getpid(), signal.SIGSEGV)

        def test_exit():
            os._exit(3)

        def test_hang():
            time.sleep(600)
        """,
    "tests/test_b.py": """\
        def test_b(session_counter):
            pass
        """,
    "tests/test_c.py": """\
        import os, subprocess, threading, time

        KEPT = []

        def test_name():
            with open(os.path.join(os.environ["TMPDIR"], "name"), "a") as f:
                f.write(os.environ["ENTRY_NAME"])

        def test_leaves_a_process():
            KEPT.append(subprocess.Popen(["sleep", "600"]))

        def test_leaves_an_orphan():
            subprocess.run(["sh", "-c", "sleep 600 &"], check=True)

        def test_leaves_a_thread():
            threading.Thread(target=time.sleep, args=(600,), daemon=True).start()

        def test_leaves_stdout_open():
            KEPT.append(os.dup(1))  # under -s, the entry's stdout

        def test_big():
            KEPT.append(bytearray(200 << 20))
            KEPT.pop()

        def test_small():
            pass
        """,
}
ALL_IDS = [
    "tests/test_a.py::test_env",
    "tests/test_a.py::test_fails",
    "tests/test_a.py::test_segv",
    "tests/test_a.py::test_exit",
    "tests/test_a.py::test_hang",
    "tests/test_b.py::test_b",
    *(f"tests/test_c.py::test_{name}" for name in (
        "name", "leaves_a_process", "leaves_an_orphan", "leaves_a_thread",
        "leaves_stdout_open", "big", "small")),
]


class Server:
    """A started warm server over `suite`, and a client of it."""

    def __init__(self, suite, tmp_path, ids=ALL_IDS, watch=None, idle=60, extra=(), server=()):
        self.suite, self.tmp = suite, tmp_path
        self.dir = tmp_path / "warm"
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        ids_file = tmp_path / "all-ids.json"
        ids_file.write_text(json.dumps({"node_ids": list(ids), "paths": {}}))
        self.extra = list(extra)
        self.args = self.shard_args(tmp_path / "server", ids_file) + self.extra
        self.starter = subprocess.run(
            [PYTHON, "-m", "pytest_shards_plugin.warm", "--dir", str(self.dir),
             "--watch-pid", str(watch or os.getpid()), "--idle-timeout", str(idle),
             *server, "--", *self.args],
            cwd=suite.root, env=clean_env(), capture_output=True, text=True, timeout=120)
        self.pid = None
        if self.starter.returncode == 0:
            self.pid = self.ask({"op": "ping"})["pid"]

    def shard_args(self, tmpdir, ids_file, journal=None):
        return ["-p", "pytest_shards_plugin", f"--rootdir={self.suite.root}",
                f"--basetemp={tmpdir}/basetemp", "-o", f"cache_dir={tmpdir}/cache",
                f"--shards-node-ids={ids_file}",
                f"--shards-journal={journal or tmpdir / 'journal.jsonl'}", "-v"]

    def connect(self):
        # The build tree may be deeper than sun_path allows, as in CI; the
        # client in src/warm_socket-posix.cc goes through /proc/self/fd too.
        address, dir_fd = warm_server.socket_address(str(self.dir / "socket"))
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(address)
        except OSError:
            conn.close()
            raise
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
        return conn

    def ask(self, message):
        with self.connect() as conn:
            protocol.send_frame(conn, message)
            return protocol.recv_frame(conn)[0]

    def run(self, name, ids, env=None, argv=None):
        """Starts an entry's child: (connection, started reply, entry dir)."""
        entry = self.tmp / name
        entry.mkdir()
        ids_file = entry / "ids.json"
        ids_file.write_text(json.dumps({"node_ids": ids, "paths": {}}))
        out = open(entry / "out.txt", "w")
        environment = clean_env(ENTRY="yes", BASETEMP=str(entry / "basetemp"),
                                COUNTER=str(self.tmp / "counter"), TMPDIR=str(entry),
                                ENTRY_NAME=name,
                                **(env or {}))
        conn = self.connect()
        protocol.send_frame(conn, {
            "op": "run",
            "argv": argv or self.shard_args(entry, ids_file, entry / "journal.jsonl") + self.extra,
            "env": [f"{k}={v}" for k, v in environment.items()],
            "cwd": str(self.suite.root),
        }, [os.open(os.devnull, os.O_RDONLY), out.fileno(), out.fileno()])
        out.close()
        return conn, protocol.recv_frame(conn)[0], entry

    def finish(self, conn):
        message, _ = protocol.recv_frame(conn)
        conn.close()
        return message

    def stop(self):
        if self.pid and alive(self.pid):
            os.kill(self.pid, signal.SIGTERM)
            assert eventually(lambda: not alive(self.pid)), "the server outlived SIGTERM"


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def eventually(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def server(suite, tmp_path):
    for path, text in SUITE.items():
        suite.write(path, text)
    started = Server(suite, tmp_path)
    assert started.starter.returncode == 0, started.starter.stderr + (
        (started.dir / "server.log").read_text() if (started.dir / "server.log").exists() else "")
    yield started
    started.stop()


def test_a_child_runs_only_its_node_ids_with_the_entrys_env_output_and_journal(server):
    conn, started, entry = server.run("e1", ["tests/test_a.py::test_env", "tests/test_b.py::test_b"])
    assert started["event"] == "started" and started["pid"] != server.pid
    done = server.finish(conn)
    assert done["event"] == "exited" and done["exit_code"] == 0 and done["signal"] == 0, done
    assert done["peak_rss_kb"] > 0
    records = read_journal(entry / "journal.jsonl")
    assert [r["event"] for r in records][:2] == ["session", "collected"]
    assert records[0]["pid"] == started["pid"]
    assert records[-1] == {**records[-1], "event": "finish", "exitstatus": 0}
    found = results(records)
    assert {k: v["outcome"] for k, v in found.items()} == {
        "tests/test_a.py::test_env": "passed", "tests/test_b.py::test_b": "passed"}
    out = (entry / "out.txt").read_text()
    assert "tests/test_a.py::test_env PASSED" in out and "2 passed" in out, out
    assert "test_fails" not in out
    # The entry's cache directory, not the server's.
    assert (entry / "cache").is_dir()


def test_a_worker_serves_the_next_entry_as_that_entrys_own(server):
    pids = []
    # Entries in collection order: one worker may take them all.
    for name, node_id, outcome in (("e1", "tests/test_a.py::test_fails", "failed"),
                                   ("e2", "tests/test_b.py::test_b", "passed"),
                                   ("e3", "tests/test_c.py::test_name", "passed")):
        conn, started, entry = server.run(name, [node_id])
        done = server.finish(conn)
        assert done["exit_code"] == (1 if outcome == "failed" else 0), done
        pids.append(str(started["pid"]))
        records = read_journal(entry / "journal.jsonl")
        assert records[0] == {**records[0], "event": "session", "pid": int(pids[-1])}
        assert {k: v["outcome"] for k, v in results(records).items()} == {node_id: outcome}
        out = (entry / "out.txt").read_text()
        assert f"1 {outcome} in" in out and out.count(" passed") + out.count(" failed") == 1, out
    assert (entry / "name").read_text() == "e3", "the entry's environment and TMPDIR"
    assert len(set(pids)) == 1, f"one worker served the three entries: {pids}"
    # The session fixture ran once in the worker, as in one pytest session.
    assert (server.tmp / "counter").read_text().split() == pids[:1]


def test_without_reuse_each_entry_gets_a_child_of_its_own(suite, tmp_path):
    for path, text in SUITE.items():
        suite.write(path, text)
    started = Server(suite, tmp_path, server=["--no-reuse"])
    assert started.starter.returncode == 0, started.starter.stderr
    try:
        pids = []
        for name in ("e1", "e2"):
            conn, reply, _ = started.run(name, ["tests/test_b.py::test_b"])
            assert started.finish(conn)["exit_code"] == 0
            pids.append(str(reply["pid"]))
        assert len(set(pids)) == 2, pids
        assert (tmp_path / "counter").read_text().split() == pids
    finally:
        started.stop()


@pytest.mark.parametrize("leaves", ["a_process", "an_orphan", "a_thread", "stdout_open"])
def test_an_entry_that_leaves_something_running_ends_its_worker(suite, tmp_path, leaves):
    for path, text in SUITE.items():
        suite.write(path, text)
    server = Server(suite, tmp_path, extra=["-s"] if leaves == "stdout_open" else [])
    assert server.starter.returncode == 0, server.starter.stderr
    try:
        leaves_behind(server, leaves)
    finally:
        server.stop()


def leaves_behind(server, leaves):
    conn, first, entry = server.run("e1", [f"tests/test_c.py::test_leaves_{leaves}"])
    done = server.finish(conn)
    assert done["exit_code"] == 0 and done["signal"] == 0, done
    assert results(read_journal(entry / "journal.jsonl"))[
        f"tests/test_c.py::test_leaves_{leaves}"]["outcome"] == "passed"
    assert eventually(lambda: not alive(first["pid"])), "the worker exited"
    conn, second, _ = server.run("e2", ["tests/test_b.py::test_b"])
    assert server.finish(conn)["exit_code"] == 0
    assert second["pid"] != first["pid"]
    # What the entry started went with its worker's process group.
    assert eventually(lambda: not subprocess.run(["pgrep", "-g", str(first["pid"])],
                                                 capture_output=True).stdout)


def test_a_worker_that_died_waiting_takes_no_entry(server):
    conn, first, _ = server.run("e1", ["tests/test_b.py::test_b"])
    assert server.finish(conn)["exit_code"] == 0
    assert alive(first["pid"]), "the worker waits for the next entry"
    os.kill(first["pid"], signal.SIGKILL)
    assert eventually(lambda: not alive(first["pid"]))
    conn, second, _ = server.run("e2", ["tests/test_b.py::test_b"])
    done = server.finish(conn)
    assert done["exit_code"] == 0 and done["signal"] == 0, done
    assert second["event"] == "started" and second["pid"] != first["pid"]


def test_each_entry_reports_its_own_peak_memory(server):
    peaks, pids = [], []
    for name, node_id in (("big", "tests/test_c.py::test_big"), ("small", "tests/test_c.py::test_small")):
        conn, started, _ = server.run(name, [node_id])
        done = server.finish(conn)
        assert done["exit_code"] == 0, done
        peaks.append(done["peak_rss_kb"])
        pids.append(started["pid"])
    assert pids[0] == pids[1], "one worker ran both"
    assert peaks[0] > peaks[1] + (150 << 10), f"200 MB in the first entry only: {peaks} kB"


def test_a_segfault_and_os_exit_end_only_their_child(server):
    conn, started, entry = server.run("segv", ["tests/test_a.py::test_segv"])
    assert server.finish(conn)["signal"] == signal.SIGSEGV
    records = read_journal(entry / "journal.jsonl")
    assert records[-1] == {**records[-1], "event": "start", "nodeid": "tests/test_a.py::test_segv"}
    assert "Fatal Python error: Segmentation fault" in (entry / "out.txt").read_text(), \
        "faulthandler writes to the entry's stderr"
    conn, started, entry = server.run("exit", ["tests/test_a.py::test_exit"])
    assert server.finish(conn)["exit_code"] == 3
    # The server still serves.
    conn, started, entry = server.run("after", ["tests/test_b.py::test_b"])
    assert server.finish(conn)["exit_code"] == 0


def test_kill_requests_and_closed_connections_kill_the_child(server):
    conn, started, entry = server.run("hang", ["tests/test_a.py::test_hang"])
    assert eventually(lambda: any(r["event"] == "start" for r in read_journal(entry / "journal.jsonl")))
    protocol.send_frame(conn, {"op": "kill", "signal": signal.SIGTERM})
    assert server.finish(conn)["signal"] == signal.SIGTERM
    conn, after, entry = server.run("after", ["tests/test_b.py::test_b"])
    assert server.finish(conn)["exit_code"] == 0 and after["pid"] != started["pid"]
    conn, started, entry = server.run("gone", ["tests/test_a.py::test_hang"])
    conn.close()  # the runner died
    assert eventually(lambda: not alive(started["pid"])), "the child outlived its client"
    assert alive(server.pid)


def test_missing_ids_are_journaled_and_other_arguments_refused(server):
    conn, started, entry = server.run("gone", ["tests/test_gone.py::test_x", "tests/test_b.py::test_b"])
    assert server.finish(conn)["exit_code"] == 0
    found = results(read_journal(entry / "journal.jsonl"))
    assert found["tests/test_gone.py::test_x"]["outcome"] == "missing"
    # Unknown node IDs have no place in the collection order: no next entry.
    assert eventually(lambda: not alive(started["pid"])), "its worker served it alone"
    conn, reply, entry = server.run("other", ["tests/test_b.py::test_b"],
                                    argv=["-p", "pytest_shards_plugin", "-x", "tests"])
    assert reply == {"event": "refused",
                     "why": "the entry's pytest arguments differ from the warm interpreter's"}


def test_a_changed_test_file_makes_the_server_stale(server):
    path = server.suite.root / "tests" / "test_b.py"
    path.write_text(path.read_text() + "\ndef test_new():\n    pass\n")
    conn, reply, entry = server.run("stale", ["tests/test_b.py::test_b"])
    assert reply == {"event": "stale", "file": str(path)}
    assert eventually(lambda: not alive(server.pid))
    assert not (server.dir / "socket").exists()


def test_the_server_exits_with_the_process_it_watches(suite, tmp_path):
    for path, text in SUITE.items():
        suite.write(path, text)
    ctest = subprocess.Popen(["sleep", "600"])
    try:
        started = Server(suite, tmp_path, watch=ctest.pid)
        assert started.starter.returncode == 0, started.starter.stderr
        conn, reply, entry = started.run("hang", ["tests/test_a.py::test_hang"])
        assert eventually(lambda: alive(reply["pid"]))
    finally:
        ctest.kill()
        ctest.wait()
    assert eventually(lambda: not alive(started.pid)), "the server outlived its ctest"
    assert eventually(lambda: not alive(reply["pid"])), "its child outlived it"
    conn.close()


def test_an_idle_server_exits(suite, tmp_path):
    # Idle from when it listens: a collection longer than the idle timeout
    # does not end it before its first client comes.
    suite.write("conftest.py", "import time\ntime.sleep(6)\n")
    suite.write("tests/test_b.py", SUITE["tests/test_b.py"])
    started = Server(suite, tmp_path, ids=["tests/test_b.py::test_b"], idle=5)
    assert started.starter.returncode == 0, started.starter.stderr
    assert eventually(lambda: not alive(started.pid))


def test_threads_started_at_import_time_make_it_unavailable(suite, tmp_path):
    suite.write("conftest.py", "import threading, time\n"
                "threading.Thread(target=time.sleep, args=(60,), name='poller', daemon=True).start()\n")
    suite.write("tests/test_b.py", SUITE["tests/test_b.py"])
    started = Server(suite, tmp_path, ids=["tests/test_b.py::test_b"])
    assert started.starter.returncode == warm.UNSUPPORTED
    assert "threads started at import time (poller)" in started.starter.stderr
    assert "WARM OFF" in started.starter.stderr


def test_the_status_server_of_pytest_rerunfailures_is_no_obstacle(suite, tmp_path):
    # pytest-rerunfailures (with xdist installed) starts this thread in
    # pytest_configure of every pytest, to serve xdist workers: a forked child
    # needs none of it, and Debian's package loads it into every suite.
    suite.write("pytest_rerunfailures.py", "import threading\n"
                "class ServerStatusDB:\n"
                "    def __init__(self):\n"
                "        threading.Thread(target=self.run_server, daemon=True).start()\n"
                "    def run_server(self):\n"
                "        threading.Event().wait()\n")
    suite.write("conftest.py", "import pytest_rerunfailures\n"
                "def pytest_configure(config):\n"
                "    config.failures_db = pytest_rerunfailures.ServerStatusDB()\n")
    suite.write("tests/test_r.py", "def test_r():\n    pass\n")
    started = Server(suite, tmp_path, ids=["tests/test_r.py::test_r"])
    assert started.starter.returncode == 0, started.starter.stderr
    conn, _, entry = started.run("r", ["tests/test_r.py::test_r"])
    assert started.finish(conn)["exit_code"] == 0
    found = results(read_journal(entry / "journal.jsonl"))
    assert found["tests/test_r.py::test_r"]["outcome"] == "passed"


def test_a_worker_takes_entries_in_collection_order_only(suite, tmp_path):
    # ctest starts entries in its own order. In plain pytest test_1 runs
    # first and passes, and test_3 sees what test_2 appended and fails.
    suite.write("tests/test_o.py", "STATE = []\n"
                "def test_1():\n    assert STATE == []\n    STATE.append(1)\n"
                "def test_2():\n    STATE.append(2)\n"
                "def test_3():\n    assert STATE[-1] == 1, STATE\n")
    ids = [f"tests/test_o.py::test_{n}" for n in (1, 2, 3)]
    server = Server(suite, tmp_path, ids=ids)
    assert server.starter.returncode == 0, server.starter.stderr
    try:
        pids, outcomes = [], []
        for name, node_id in (("two", ids[1]), ("one", ids[0]), ("three", ids[2])):
            conn, started, entry = server.run(name, [node_id])
            server.finish(conn)
            pids.append(started["pid"])
            outcomes.append(results(read_journal(entry / "journal.jsonl"))[node_id]["outcome"])
    finally:
        server.stop()
    assert pids[1] != pids[0], "test_1 ran in a worker of its own, not after test_2"
    # test_3 fits both workers: the one that ran the latest test takes it.
    assert pids[2] == pids[0]
    assert outcomes == ["passed", "passed", "failed"], "the verdicts of plain pytest"


def test_idle_workers_beyond_the_bound_end_the_one_that_ran_the_latest_test(suite, tmp_path):
    for path, text in SUITE.items():
        suite.write(path, text)
    server = Server(suite, tmp_path, server=["--max-idle", "1"])
    assert server.starter.returncode == 0, server.starter.stderr
    try:
        pids = []
        for name, node_id in (("late", "tests/test_b.py::test_b"),
                              ("early", "tests/test_a.py::test_env")):
            conn, started, _ = server.run(name, [node_id])
            assert server.finish(conn)["exit_code"] == 0
            pids.append(started["pid"])
        late, early = pids
        assert late != early, "test_env comes before test_b: a worker of its own"
        assert eventually(lambda: not alive(late)), "two idle workers, one too many"
        assert alive(early)
        conn, started, _ = server.run("after", ["tests/test_c.py::test_name"])
        assert server.finish(conn)["exit_code"] == 0 and started["pid"] == early
    finally:
        server.stop()


def test_a_directory_others_can_read_is_refused(suite, tmp_path):
    suite.write("tests/test_b.py", SUITE["tests/test_b.py"])
    (tmp_path / "warm").mkdir(mode=0o755)
    os.chmod(tmp_path / "warm", 0o755)
    started = Server(suite, tmp_path, ids=["tests/test_b.py::test_b"])
    assert started.starter.returncode == 1
    assert "is not a private (0700) directory" in started.starter.stderr


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another user")
def test_connections_of_other_users_are_refused(server):
    # Let another user reach the socket at all (a hard link outside the
    # private directories), to see the server refuse it.
    public = pathlib.Path(tempfile.mkdtemp(prefix="warm-public-"))
    try:
        os.chmod(public, 0o777)
        try:
            os.link(server.dir / "socket", public / "socket")
        except OSError as e:
            pytest.skip(f"cannot link the socket where others reach it: {e}")
        os.chmod(public / "socket", 0o777)
        probe = subprocess.run(
            # A relative name: the shard's TMPDIR may be deeper than sun_path.
            [PYTHON, "-c", "import os, socket, sys\n"
             "os.chdir(sys.argv[1])\n"
             "os.setuid(65534)\n"
             "s = socket.socket(socket.AF_UNIX)\n"
             "s.connect('socket')\n"
             "try:\n"
             "    s.sendall(b'\\0\\0\\0\\x0d{\"op\":\"ping\"}')\n"
             "    data = s.recv(100)\n"
             "except OSError:\n"
             "    data = b''\n"
             "print(repr(data))\n", str(public)],
            capture_output=True, text=True, timeout=30)
    finally:
        shutil.rmtree(public)
    assert probe.stdout.strip() == "b''", probe.stdout + probe.stderr
    assert eventually(lambda: "refused a connection of uid 65534" in
                      (server.dir / "server.log").read_text())


def test_an_event_about_a_worker_reaped_earlier_in_the_same_select_is_skipped(tmp_path):
    # select() returned a worker's channel and a new connection; accepting
    # reaped the worker (it had exited), so its channel event is stale. The
    # server once raised KeyError there, and its workers died with it.
    import selectors
    server = warm_server.Server(str(tmp_path), 0, 60, [])
    ours, theirs = socket.socketpair()
    pid = 999999999
    worker = server.pool.add(pid, ours, 0)
    theirs.close()  # the worker exited: its channel reads EOF
    events = server.selector.select(timeout=1)
    assert [key.fileobj for key, _ in events] == [ours]
    server.pool.forget(pid)  # what reap() does, within assign()
    for key, _ in events:
        assert server.handle(key) is None
    # A stale event whose fd number now belongs to another registration
    # is not read either (its socket would block or steal a message).
    left, right = socket.socketpair()
    server.pool.add(pid + 1, left, 0)
    stale = selectors.SelectorKey(left, left.fileno(), selectors.EVENT_READ,
                                  functools.partial(server.pool.worker_message, worker))
    assert server.handle(stale) is None
    server.selector.close()
    left.close()
    right.close()


@pytest.mark.parametrize("watch", ["inotify", "stat every file"])
def test_imported_files_see_writes_replacements_and_deletions(tmp_path, monkeypatch, watch):
    if watch == "inotify" and not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux's")
    if watch == "stat every file":
        monkeypatch.setattr(warm_files.DirectoryWatch, "start", classmethod(lambda cls, dirs: None))
    (tmp_path / "pkg").mkdir()
    written, replaced, deleted, linked = (tmp_path / "a.py", tmp_path / "pkg" / "b.py",
                                          tmp_path / "pkg" / "c.py", tmp_path / "d.py")
    for path in (written, replaced, deleted):
        path.write_text("x = 1\n")
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "d.py"
    target.write_text("x = 1\n")
    linked.symlink_to(target)

    def imported():
        return warm_files.ImportedFiles(extra=[str(p) for p in (written, replaced, deleted, linked)])

    files = imported()
    assert (files.watch is not None) == (watch == "inotify")
    assert files.changed() is None
    (tmp_path / "unrelated.txt").write_text("other files in the same directory")
    os.chmod(written, 0o600)  # an event, but its stamp stays
    assert files.changed() is None
    written.write_text("x = 22\n")
    assert files.changed() == str(written)
    assert files.changed() == str(written), "still changed on the next request"
    files.close()

    files = imported()
    (tmp_path / "pkg" / "b.py.new").write_text("x = 1\n")
    os.replace(tmp_path / "pkg" / "b.py.new", replaced)  # an editor's save, a rebuilt .so
    assert files.changed() == str(replaced)
    files.close()

    files = imported()
    deleted.unlink()
    assert files.changed() == str(deleted)
    files.close()

    files = imported()
    target.write_text("x = 333\n")  # through the symlink's target directory
    assert files.changed() == str(linked)
    files.close()
