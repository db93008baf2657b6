"""Warm interpreter of pytest-shards: one per suite and ctest run.

Started by the first ``pytest-shards run`` of a ctest run that needs it::

    python -m pytest_shards_plugin.warm --dir DIR --watch-pid PID [--idle-timeout S]
        [--no-reuse] [--max-idle N]
        -- <pytest arguments of a shard run over every node ID of the plan>

It runs pytest once, exactly as a shard of the whole plan would run (so it
imports pytest, its plugins and every conftest and test module of the suite,
the same whole-suite import set a shard imports, and collects), up to the
start of the test loop. There it listens on ``DIR/socket``: DIR is a private
(0700) directory, and a connection from another user is closed unread
(SO_PEERCRED). It hands every request to a worker, a forked child that runs
one entry at a time (warm_worker.py): an idle worker whose tests all come
before the entry's in collection order, as an xdist worker gets its tests,
else a new fork (an entry of node IDs the server did not collect gets a
worker of its own). The worker takes the entry's stdin/stdout/stderr (passed as file
descriptors), environment, working directory, basetemp, cache directory and
journal, keeps only the entry's items and runs pytest's test loop and
``pytest_sessionfinish``; then it tells the server over its own socket pair
and waits for the next entry, or exits. With ``--no-reuse`` every worker
exits after its entry. A test then starts in milliseconds instead of paying
the interpreter's start-up.

What a worker reuses, and why that is safe: the imported modules, the
config and the collected items, as they are before any test ran (copy-on-
write, so workers do not see each other). Nothing per entry is reused:
capture, faulthandler output, the terminal reporter's and cache plugins'
state, the tmp_path factory, the pytest cache and the journal are set up
again for each entry. A worker's entries are one pytest session, as a
shard's tests are: session-scoped fixtures are set up once per worker, and
torn down when it ends (warm_worker.py). What differs from a fresh
pytest per entry: ``pytest_configure``, ``pytest_sessionstart`` and
module-level code ran once, in the server, with the server's environment,
which has no per-entry variables (PYTEST_SHARD_*, PYTEST_XDIST_*,
ENVIRONMENT entries with placeholders); ``pytest_unconfigure`` runs once per
worker, and what an entry left in a module stays for the worker's next
entry, as for the next test of a shard. A fresh ``pytest.main`` per child
would avoid that, but costs about 120 ms per entry here against about 40 ms
(measured on 2 cores: new config, plugin registration, argument parsing,
fixture parsing, collection), and per-test entries exist to be cheap. Suites
that need those hooks per entry set ``WARM OFF``.

The protocol (``pytest-shards-warm/1``: a run request with the entry's
stdin, stdout and stderr, ``started``, ``exited``, ``kill``...) is in
protocol.py, the socket loop in warm_server.py, its workers' bookkeeping in
warm_pool.py.

Lifetime: the server exits when the process it watches (the ctest that the
runners belong to) ends, after ``--idle-timeout`` seconds without an entry,
on SIGTERM, or when stale; it kills the workers that run an entry and asks
idle ones to end (``{"op": "finish"}`` on their socket pair: they tear their
session down, within warm_pool.FINISH_SECONDS), and a worker dies with the server
(PR_SET_PDEATHSIG on Linux).

The starter (the process ``pytest-shards run`` spawned) exits 0 once the
server listens; otherwise non-zero with the reason on stderr: 3 when this
platform or suite cannot fork (no ``os.fork``, no unix sockets with peer
credentials, threads started at import time, which a forked child would
lack, a pytest whose internals it does not know: pytest_compat.py), 1 when
pytest did not reach its test loop.
"""

import argparse
import atexit
import gc
import os
import socket
import stat
import sys
import threading
import traceback

import pytest

from .pytest_compat import warm_unsupported
from .warm_files import ImportedFiles
from .warm_pool import MAX_IDLE
from .warm_server import Server
from .warm_worker import Worker, plugin_states

UNSUPPORTED = 3  # the starter's exit status: this platform or suite cannot fork
# Threads a forked child does not miss, by their target's (module, qualified
# name): they serve only other processes of an xdist run. pytest-rerunfailures
# (with xdist installed) starts its status server for xdist workers in
# pytest_configure; in pytest's own process its database is a plain dict.
THREADS_FOR_OTHER_PROCESSES = {("pytest_rerunfailures", "ServerStatusDB.run_server")}


# --- helpers -----------------------------------------------------------------


def unsupported_reason():
    if not hasattr(os, "fork"):
        return "os.fork is missing"
    if not hasattr(socket, "AF_UNIX") or not hasattr(socket, "SO_PEERCRED"):
        return "unix sockets with peer credentials (SO_PEERCRED) are missing"
    return warm_unsupported()


def missed_by_a_fork(thread):
    """Whether a forked child would lack something `thread` does for it."""
    if thread is threading.main_thread():
        return False
    target = getattr(thread, "_target", None)  # None once a thread has ended
    name = (getattr(target, "__module__", None), getattr(target, "__qualname__", None))
    return name not in THREADS_FOR_OTHER_PROCESSES


def private_dir(path):
    """Creates path (0700), or checks that it is ours, 0700 and no symlink."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{path} is not a private (0700) directory of this user")


# --- the pytest side ---------------------------------------------------------


class WarmPlugin:
    """Registered in the server's pytest session: at the test loop it serves,
    and in each forked child it turns the session into the entry's shard."""

    def __init__(self, server, ready):
        self.server = server
        self.ready = ready  # write end of the starter's pipe
        self.child = False
        self.entry_running = False
        self.pristine = {}  # plugin name -> its state before any test ran
        self.collector_results = {}  # planned node ID -> its result record
        # The collected items, and where each node ID's are in them: a child
        # looks its items up instead of reading every item (which would copy
        # nearly every page that holds one, see pytest_runtestloop).
        self.all_items = []
        self.positions = {}  # node ID -> [index in all_items]

    def tell_starter(self, status, text):
        os.write(self.ready, f"{status} {text}".encode())
        os.close(self.ready)
        self.ready = None

    @staticmethod
    def journal(config):
        """The package's Journal (--shards-journal, always given here)."""
        return config.pluginmanager.get_plugin("pytest-shards-journal")

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_collection(self, session):
        # Collectors skipped or failed as a whole are journaled during
        # collection: keep their records for the entries that ask for them.
        journal = self.journal(session.config)
        write = journal.write

        def record(**fields):
            if fields.get("event") == "result":
                self.collector_results[fields["nodeid"]] = dict(fields)
            write(**fields)

        journal.write = record
        yield
        del journal.write  # the method again

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if self.entry_running:
            return None  # a worker's entry: pytest's own loop runs its items
        # An exception here would be pytest's internal error: the starter
        # learns why through its pipe instead.
        extra = [str(session.config.inipath)] if session.config.inipath else []
        threads = [t.name for t in threading.enumerate() if missed_by_a_fork(t)]
        if threads:
            self.tell_starter(
                UNSUPPORTED,
                "threads started at import time (" + ", ".join(threads) + ") would be missing "
                "in forked children; set WARM OFF in pytest_shard_tests()",
            )
            return True
        try:
            self.server.listen(ImportedFiles(extra))
        except Exception as e:
            self.tell_starter(1, f"cannot listen on {self.server.path}: {e}")
            return True
        self.tell_starter(0, "ready")
        self.all_items = session.items  # alive for good: a child's new list decrefs none
        for index, item in enumerate(self.all_items):
            self.positions.setdefault(item.nodeid, []).append(index)
            self.server.order[item.nodeid] = (self.positions[item.nodeid][0], index)
        # The collector leaves what the server holds alone: a collection in a
        # child would otherwise write to (copy) nearly every page it shares.
        # The same holds for everything a child reads: CPython writes the
        # reference count of every object it touches, and each first write
        # to a shared page is a copy-on-write fault (about 5 us here), so a
        # child touches only what its own items need.
        self.pristine = plugin_states(session.config)
        gc.freeze()
        request = self.server.serve()
        if request is None:
            return True  # the server ends: no test of its own
        self.child = True
        Worker(self, session, request.pop("channel")).serve(request)  # never returns


# --- the starter -------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m pytest_shards_plugin.warm", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--dir", required=True, help="private directory for the socket")
    parser.add_argument("--watch-pid", type=int, default=0, help="exit when this process ends")
    parser.add_argument(
        "--idle-timeout", type=float, default=60, help="exit after this many idle seconds"
    )
    parser.add_argument(
        "--no-reuse", dest="reuse", action="store_false",
        help="fork a new child for every entry instead of reusing a worker",
    )
    parser.add_argument(
        "--max-idle", type=int, default=MAX_IDLE, help="idle workers kept for entries to come"
    )
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.pytest_args[:1] == ["--"]:
        args.pytest_args = args.pytest_args[1:]
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    reason = unsupported_reason()
    if reason:
        print(f"warm interpreter unavailable: {reason}", file=sys.stderr)
        return UNSUPPORTED
    try:
        private_dir(args.dir)
    except OSError as e:
        print(f"warm interpreter unavailable: {e}", file=sys.stderr)
        return 1
    log = os.path.join(args.dir, "server.log")
    ready_r, ready_w = os.pipe()
    if os.fork():
        os.close(ready_w)
        return _await_ready(ready_r, log)
    os.close(ready_r)
    _serve(args, log, ready_w)


def _serve(args, log, ready_w):
    """The server process: never returns."""
    status = 1
    plugin = None
    try:
        os.setsid()  # no terminal's Ctrl-C, no kill of the starter's group
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(devnull)
        os.close(out)
        server = Server(args.dir, args.watch_pid, args.idle_timeout, args.pytest_args, args.reuse,
                        args.max_idle)
        plugin = WarmPlugin(server, ready_w)
        status = int(pytest.main(list(args.pytest_args), plugins=[plugin]))
        if plugin.ready is not None:
            plugin.tell_starter(1, f"pytest ended (exit status {status}) before its test loop; "
                                f"see {log}")
    except BaseException as e:
        traceback.print_exc()
        if plugin is not None and plugin.ready is not None:
            plugin.tell_starter(1, f"{e}; see {log}")
    finally:
        if plugin is not None and plugin.child:
            # As at the end of a fresh interpreter: the atexit functions that
            # the suite's imports and tests registered.
            atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _await_ready(ready_r, log):
    data = b""
    while True:
        chunk = os.read(ready_r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(ready_r)
    status, _, text = data.decode(errors="replace").partition(" ")
    if status == "0":
        return 0
    if not status.isdigit():
        status, text = "1", f"the warm server ended before it listened; see {log}"
    print(f"warm interpreter unavailable: {text}", file=sys.stderr)
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
