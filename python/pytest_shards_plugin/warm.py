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

Protocol (``pytest-shards-warm/1``): frames of a 4-byte big-endian length
and a JSON object. The client sends ``{"op": "run", "argv", "env", "cwd"}``
with its stdin, stdout and stderr attached (SCM_RIGHTS). ``argv`` is the
entry's pytest command line after ``python -m pytest``: it must equal the
server's own but for the per-entry options ``--basetemp``, ``-o cache_dir``,
``--shards-node-ids`` and ``--shards-journal`` (the server refuses it
otherwise, and the entry runs a fresh pytest). The server answers
``{"event": "started", "pid"}`` (the worker leads its own process group),
later ``{"event": "exited", "exit_code", "signal", "peak_rss_kb"}`` (from
the worker when it serves on, else from wait4).
Meanwhile the client may send ``{"op": "kill", "signal"}``; when its
connection closes the server kills the worker's group. ``{"event": "stale",
"file"}`` instead of ``started``: a module file changed since the server
imported it; the server exits and the client starts another (as after
``{"event": "stopping"}``). ``{"op": "ping"}`` gets ``{"event": "pong",
"pid"}``; ``{"op": "quit"}`` stops it.

Lifetime: the server exits when the process it watches (the ctest that the
runners belong to) ends, after ``--idle-timeout`` seconds without an entry,
on SIGTERM, or when stale; it kills the workers that run an entry and asks
idle ones to end (``{"op": "finish"}`` on their socket pair: they tear their
session down, within FINISH_SECONDS), and a worker dies with the server
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
import ctypes
import errno
import gc
import os
import selectors
import signal
import socket
import stat
import struct
import sys
import threading
import time
import traceback

import pytest

from .pytest_compat import warm_unsupported
from .warm_files import ImportedFiles
from .selection import read_node_ids
from .warm_frames import recv_frame, send_frame
from .warm_worker import Worker, plugin_states

FORMAT = "pytest-shards-warm/1"
REQUEST_SECONDS = 10  # a client sends its request at once after connecting
FINISH_SECONDS = 30  # for an idle worker to tear its session down when asked to end
# Idle workers kept for entries to come: each holds its own memory, and one
# that ran late tests fits few entries (see Server.assign).
MAX_IDLE = max(4, 2 * (os.cpu_count() or 1))
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


def socket_address(path):
    """(address, fd to close): unix socket paths are limited to about 100
    bytes and build trees are not; /proc/self/fd/N/socket is short."""
    if len(os.fsencode(path)) < 100 or not os.path.isdir("/proc/self/fd"):
        return path, None
    fd = os.open(os.path.dirname(path), os.O_RDONLY)
    return f"/proc/self/fd/{fd}/{os.path.basename(path)}", fd


def peer_uid(conn):
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _killpg(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def entry_options(argv):
    """(the arguments every entry shares, {option: value} of the per-entry
    ones) of a shard's pytest command line."""
    common, own = [], {}
    args = iter(argv)
    for arg in args:
        name, equals, value = arg.partition("=")
        if equals and name in ("--basetemp", "--shards-node-ids", "--shards-journal"):
            own[name] = value
        elif arg == "-o":
            value = next(args, "")
            if value.startswith("cache_dir="):
                own["cache_dir"] = value.partition("=")[2]
            else:
                common += [arg, value]
        else:
            common.append(arg)
    return common, own


# --- the server --------------------------------------------------------------


class Server:
    """The socket loop. serve() returns None in the server when it stops, and
    the request in a forked child, which then runs it."""

    def __init__(self, directory, watch_pid, idle_timeout, pytest_args, reuse=True,
                 max_idle=MAX_IDLE):
        self.directory = directory
        self.reuse = reuse
        self.max_idle = max_idle
        self.common_args = entry_options(pytest_args)[0]
        self.path = os.path.join(directory, "socket")
        self.watch_pid = watch_pid
        self.idle_timeout = idle_timeout
        self.pid = os.getpid()
        self.uid = os.getuid()
        self.selector = selectors.DefaultSelector()
        self.children = {}  # pid -> its client's connection, while it runs an entry
        self.channels = {}  # pid -> the connection to a worker (with reuse)
        self.idle = set()  # pids of the workers that wait for an entry
        # A worker takes entries in collection order only, as an xdist worker
        # does: what a test leaves in a module must never reach a test that
        # pytest runs before it.
        self.order = {}  # node ID -> (first, last) index in the collection (set by WarmPlugin)
        self.last_index = {}  # pid -> the index of the last test its entries ran
        self.killed = set()  # workers killed (not reaped yet): none is idle again
        self.finishing = {}  # pid -> deadline of a worker asked to end (the server stops)
        self.listener = None
        self.socket_inode = None
        self.watch_fd = None
        self.wake = None
        self.stopping = False
        self.last_activity = time.monotonic()
        self.files = None
        self.libc = None

    def log(self, text):
        print(f"pytest-shards warm server {os.getpid()}: {text}", flush=True)

    def listen(self, files):
        self.files = files
        if sys.platform.startswith("linux"):
            self.libc = ctypes.CDLL(None, use_errno=True)  # prctl, loaded before forking
        address, dir_fd = socket_address(self.path)
        try:
            try:
                os.unlink(self.path)  # a dead server's: the starter holds the start lock
            except FileNotFoundError:
                pass
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(address)
            self.listener.listen(64)
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
        self.socket_inode = os.stat(self.path).st_ino
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.wake = os.pipe()
        for fd in self.wake:
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self.wake[1])
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self.selector.register(self.wake[0], selectors.EVENT_READ, "wake")
        if self.watch_pid and hasattr(os, "pidfd_open"):
            try:
                self.watch_fd = os.pidfd_open(self.watch_pid)
            except OSError as e:
                if e.errno == errno.ESRCH:
                    raise RuntimeError(f"the ctest to watch (pid {self.watch_pid}) is gone")
            else:
                self.selector.register(self.watch_fd, selectors.EVENT_READ, "watch")
        self.log(f"listening on {self.path}")
        self.last_activity = time.monotonic()  # idle from now: collecting is no idleness

    def _on_signal(self, signum, frame):
        if signum != signal.SIGCHLD:
            self.stopping = True

    def serve(self):
        while not (self.stopping and not self.children and not self.channels):
            for key, _ in self.selector.select(timeout=0.5):
                request = self.handle(key)
                if request is not None:
                    return request  # in the child
            self.reap()
            self.expire_finishing()
            if self.stopping:
                self.stop("stopping")
            if not self.watched_alive():
                self.stop("the ctest it belongs to ended")
            if not self.children and time.monotonic() - self.last_activity > self.idle_timeout:
                self.stop(f"idle for {self.idle_timeout:g} s")
        self.close()
        return None

    def handle(self, key):
        """One event of select(); returns the request in a forked child."""
        # An earlier event of the same select() may have ended what this one
        # is about (assign() reaps a worker whose channel is in the list):
        # its socket is closed, or its fd number belongs to another by now.
        if self.selector.get_map().get(key.fd) is not key:
            return None
        if key.data == "accept":
            return self.accept()
        if key.data == "wake":
            self.drain_wake()
        elif key.data == "watch":
            self.selector.unregister(self.watch_fd)  # readable from now on
            self.stop("the ctest it belongs to ended")
        elif isinstance(key.data, tuple):
            self.worker_message(key.data[1])
        else:
            self.client_message(key.data)
        return None

    def watched_alive(self):
        if self.watch_fd is not None or not self.watch_pid:
            return True
        try:
            os.kill(self.watch_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

    def stop(self, why):
        if self.listener is not None:
            self.log(f"stops: {why}")
        self.stopping = True
        self.close_listener()
        for pid in list(self.children):
            self.kill(pid, signal.SIGKILL)
        for pid in list(self.idle):  # they tear their sessions down first
            self.end_idle(pid)
        self.expire_finishing()

    def end_idle(self, pid):
        """Asks an idle worker to tear its session down and exit."""
        self.idle.discard(pid)
        self.finishing[pid] = time.monotonic() + FINISH_SECONDS
        try:
            send_frame(self.channels[pid], {"op": "finish"})
        except OSError:
            self.kill(pid, signal.SIGKILL)

    def expire_finishing(self):
        for pid, deadline in list(self.finishing.items()):
            if time.monotonic() > deadline:
                self.log(f"worker {pid} did not end within {FINISH_SECONDS} s: killed")
                del self.finishing[pid]
                self.kill(pid, signal.SIGKILL)

    def close_listener(self):
        if self.listener is None:
            return
        self.selector.unregister(self.listener)
        self.listener.close()
        self.listener = None
        # A newer server may listen at this path already (after we were stale).
        try:
            if os.stat(self.path).st_ino == self.socket_inode:
                os.unlink(self.path)
        except OSError:
            pass

    def close(self):
        self.close_listener()
        if self.watch_fd is not None:
            os.close(self.watch_fd)
            self.watch_fd = None
        signal.set_wakeup_fd(-1)

    def drain_wake(self):
        try:
            while os.read(self.wake[0], 512):
                pass
        except BlockingIOError:
            pass

    def accept(self):
        try:
            conn, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return None
        self.last_activity = time.monotonic()
        conn.setblocking(True)
        conn.settimeout(REQUEST_SECONDS)
        fds = []
        try:
            uid = peer_uid(conn)
            if uid != self.uid:
                self.log(f"refused a connection of uid {uid}")
                conn.close()
                return None
            message, fds = recv_frame(conn, want_fds=True)
            conn.settimeout(None)
            return self.request(conn, message, fds)
        except (OSError, ValueError, EOFError) as e:
            self.log(f"bad request: {e}")
            conn.close()
            return None
        finally:
            if os.getpid() == self.pid:
                for fd in fds:
                    os.close(fd)

    def request(self, conn, message, fds):
        op = message.get("op") if isinstance(message, dict) else None
        if op == "ping":
            self.reply(conn, {"event": "pong", "pid": self.pid, "format": FORMAT})
        elif op == "quit":
            self.stop("asked to quit")
        elif op == "run" and len(fds) == 3 and not self.stopping:
            common, own = entry_options(message.get("argv", []))
            if common != self.common_args or len(own) != 4:
                why = "the entry's pytest arguments differ from the warm interpreter's"
                self.reply(conn, {"event": "refused", "why": why})
                conn.close()
                return None
            changed = self.files.changed()
            if not changed:
                message.update(own)
                return self.assign(conn, message, fds)
            self.stop(f"stale: {changed} changed")  # first: a new server may take the path
            self.reply(conn, {"event": "stale", "file": changed})
        elif self.stopping:
            self.reply(conn, {"event": "stopping"})
        else:
            self.reply(conn, {"event": "refused", "why": "bad request"})
        conn.close()
        return None

    def reply(self, conn, message):
        try:
            send_frame(conn, message)
            return True
        except OSError:
            return False

    def assign(self, conn, message, fds):
        """Gives the entry to an idle worker, or forks one for it; returns
        the request in a forked child."""
        self.reap()  # no entry for a worker that died waiting
        span = self.span(message["--shards-node-ids"])
        while span is not None:
            pid = self.fitting_worker(span[0])
            if pid is None:
                break
            self.idle.discard(pid)
            try:
                send_frame(self.channels[pid], message, fds)
            except OSError:
                continue  # it died waiting: reap() forgets it
            self.last_index[pid] = span[1]
            self.started(pid, conn)
            return None
        return self.fork(conn, message, fds, span)

    def span(self, path):
        """(first, last) collection index of the node IDs of an entry, or
        None when the server does not know them all."""
        try:
            spans = [self.order[i] for i in read_node_ids(path)[0]]
        except (pytest.UsageError, KeyError):
            return None
        return (min(f for f, _ in spans), max(last for _, last in spans)) if spans else None

    def fitting_worker(self, first):
        """The idle worker whose tests all come before index `first`, the
        one that ran the latest of those (it fits fewer entries to come)."""
        fits = [pid for pid in self.idle if self.last_index.get(pid, first) < first]
        return max(fits, key=self.last_index.__getitem__, default=None)

    def fork(self, conn, message, fds, span):
        sys.stdout.flush()
        sys.stderr.flush()
        # An entry of unknown node IDs has no place in the collection order:
        # its worker serves it alone.
        reuse = self.reuse and span is not None
        ours, theirs = socket.socketpair() if reuse else (None, None)
        pid = os.fork()
        if pid == 0:
            if ours is not None:
                ours.close()
            self.become_child(conn)
            message["fds"] = list(fds)
            message["channel"] = theirs
            return message
        try:
            os.setpgid(pid, pid)  # the child does so too; whichever runs first
        except OSError:
            pass
        if ours is not None:
            theirs.close()
            self.channels[pid] = ours
            self.last_index[pid] = span[1]
            self.selector.register(ours, selectors.EVENT_READ, ("worker", pid))
        self.started(pid, conn)
        return None

    def started(self, pid, conn):
        self.children[pid] = conn
        self.selector.register(conn, selectors.EVENT_READ, pid)
        if not self.reply(conn, {"event": "started", "pid": pid}):
            self.kill(pid, signal.SIGKILL)

    def kill(self, pid, sig):
        if pid in self.channels:
            self.killed.add(pid)
        self.idle.discard(pid)
        _killpg(pid, sig)

    def worker_message(self, pid):
        """A worker's entry ended and it waits for the next, or it exits."""
        channel = self.channels[pid]
        try:
            message, _ = recv_frame(channel)
        except (OSError, ValueError, EOFError):
            message = None
        if message is None or pid in self.killed:
            self.selector.unregister(channel)  # reap() tells its client
            return
        conn = self.children.pop(pid, None)
        if conn is not None:
            self.reply(conn, {"event": "exited", "exit_code": int(message.get("exit_code", -1)),
                              "signal": 0, "peak_rss_kb": int(message.get("peak_rss_kb", 0))})
            self.selector.unregister(conn)
            conn.close()
        self.idle.add(pid)
        self.last_activity = time.monotonic()
        if len(self.idle) > self.max_idle:  # end the one least likely to fit again
            self.end_idle(max(self.idle, key=self.last_index.__getitem__))

    def client_message(self, pid):
        """A kill request, or the end of the client (its runner died)."""
        conn = self.children.get(pid)
        if conn is None:
            return
        try:
            message, _ = recv_frame(conn)
        except (OSError, ValueError, EOFError):
            message = None
        if message is None:
            self.selector.unregister(conn)
            self.kill(pid, signal.SIGKILL)
        elif message.get("op") == "kill":
            self.kill(pid, int(message.get("signal", signal.SIGKILL)))

    def reap(self):
        while self.children or self.channels:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.forget_worker(pid)
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            _killpg(pid, signal.SIGKILL)  # what the child left running in its group
            result = {"event": "exited", "exit_code": -1, "signal": 0, "peak_rss_kb": usage.ru_maxrss}
            if os.WIFSIGNALED(status):
                result["signal"] = os.WTERMSIG(status)
            elif os.WIFEXITED(status):
                result["exit_code"] = os.WEXITSTATUS(status)
            self.reply(conn, result)
            try:
                self.selector.unregister(conn)
            except (KeyError, ValueError):
                pass
            conn.close()
            self.last_activity = time.monotonic()

    def forget_worker(self, pid):
        self.idle.discard(pid)
        self.finishing.pop(pid, None)
        self.killed.discard(pid)
        self.last_index.pop(pid, None)
        channel = self.channels.pop(pid, None)
        if channel is not None:
            try:
                self.selector.unregister(channel)
            except (KeyError, ValueError):
                pass
            channel.close()

    def become_child(self, conn):
        """In the forked child: drop everything of the server's."""
        os.setpgid(0, 0)
        if self.libc is not None:
            self.libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        if os.getppid() != self.pid:
            os._exit(70)  # the server died before PR_SET_PDEATHSIG
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.selector.close()
        for fd in [*self.wake, self.watch_fd]:
            if fd is not None:
                os.close(fd)
        if self.listener is not None:
            self.listener.close()
        for other in [*self.children.values(), *self.channels.values()]:
            other.close()
        conn.close()
        if self.files is not None:
            self.files.close()


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
