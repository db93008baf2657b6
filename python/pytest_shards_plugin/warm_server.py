"""The warm interpreter's socket loop (warm.py starts it at pytest's test
loop): it listens on ``DIR/socket``, answers the requests of protocol.py,
and hands each entry to its Pool of workers (warm_pool.py).

Every registration with the selector carries the method that handles its
events, so that select() dispatches with no table of tags; a request's
"op" picks its method from Server.requests.
"""

import ctypes
import errno
import os
import selectors
import signal
import socket
import struct
import sys
import time

import pytest

from . import protocol
from .selection import read_node_ids
from .warm_pool import MAX_IDLE, Pool

REQUEST_SECONDS = 10  # a client sends its request at once after connecting


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


class Server:
    """The socket loop. serve() returns None in the server when it stops, and
    the entry in a forked child, which then runs it."""

    def __init__(self, directory, watch_pid, idle_timeout, pytest_args, reuse=True,
                 max_idle=MAX_IDLE):
        self.directory = directory
        self.common_args = protocol.entry_options(pytest_args)[0]
        self.path = os.path.join(directory, "socket")
        self.watch_pid = watch_pid
        self.idle_timeout = idle_timeout
        self.pid = os.getpid()
        self.uid = os.getuid()
        self.selector = selectors.DefaultSelector()
        self.pool = Pool(self, max_idle, reuse)
        self.order = {}  # node ID -> (first, last) index in the collection (set by WarmPlugin)
        self.requests = {protocol.PING: self.ping, protocol.QUIT: self.quit,
                         protocol.RUN: self.run}
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
        self.selector.register(self.listener, selectors.EVENT_READ, self.accept)
        self.wake = os.pipe()
        for fd in self.wake:
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self.wake[1])
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self.selector.register(self.wake[0], selectors.EVENT_READ, self.drain_wake)
        if self.watch_pid and hasattr(os, "pidfd_open"):
            try:
                self.watch_fd = os.pidfd_open(self.watch_pid)
            except OSError as e:
                if e.errno == errno.ESRCH:
                    raise RuntimeError(f"the ctest to watch (pid {self.watch_pid}) is gone")
            else:
                self.selector.register(self.watch_fd, selectors.EVENT_READ, self.watched_ended)
        self.log(f"listening on {self.path}")
        self.last_activity = time.monotonic()  # idle from now: collecting is no idleness

    def _on_signal(self, signum, frame):
        if signum != signal.SIGCHLD:
            self.stopping = True

    def serve(self):
        while not (self.stopping and not self.pool):
            for key, _ in self.selector.select(timeout=0.5):
                request = self.handle(key)
                if request is not None:
                    return request  # in the child
            self.pool.reap()
            self.pool.expire_finishing()
            if self.stopping:
                self.stop("stopping")
            if not self.watched_alive():
                self.stop("the ctest it belongs to ended")
            idle = time.monotonic() - self.last_activity
            if not self.pool.running() and idle > self.idle_timeout:
                self.stop(f"idle for {self.idle_timeout:g} s")
        self.close()
        return None

    def handle(self, key):
        """One event of select(); returns the entry in a forked child."""
        # An earlier event of the same select() may have ended what this one
        # is about (assign() reaps a worker whose channel is in the list):
        # its socket is closed, or its fd number belongs to another by now.
        if self.selector.get_map().get(key.fd) is not key:
            return None
        return key.data()

    def watched_ended(self):
        self.selector.unregister(self.watch_fd)  # readable from now on
        self.stop("the ctest it belongs to ended")

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
        self.pool.stop()

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

    # --- requests ---

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
            message, fds = protocol.recv_frame(conn, want_fds=True)
            conn.settimeout(None)
            op = message.get("op") if isinstance(message, dict) else None
            return self.requests.get(op, self.bad_request)(conn, message, fds)
        except (OSError, ValueError, EOFError) as e:
            self.log(f"bad request: {e}")
            conn.close()
            return None
        finally:
            if os.getpid() == self.pid:
                for fd in fds:
                    os.close(fd)

    def ping(self, conn, message, fds):
        self.answer(conn, protocol.pong(self.pid))

    def quit(self, conn, message, fds):
        self.stop("asked to quit")
        conn.close()

    def bad_request(self, conn, message, fds):
        self.answer(conn, protocol.stopping() if self.stopping else
                    protocol.refused("bad request"))

    def run(self, conn, message, fds):
        """Starts the entry; returns it in a forked child."""
        if len(fds) != 3 or self.stopping:
            return self.bad_request(conn, message, fds)
        entry = protocol.entry(message, self.common_args)
        if entry is None:
            why = "the entry's pytest arguments differ from the warm interpreter's"
            return self.answer(conn, protocol.refused(why))
        changed = self.files.changed()
        if not changed:
            return self.pool.assign(conn, entry, fds, self.span(entry[protocol.NODE_IDS]))
        self.stop(f"stale: {changed} changed")  # first: a new server may take the path
        self.answer(conn, protocol.stale(changed))

    def answer(self, conn, message):
        protocol.reply(conn, message)
        conn.close()

    def span(self, path):
        """(first, last) collection index of the node IDs of an entry, or
        None when the server does not know them all."""
        try:
            spans = [self.order[i] for i in read_node_ids(path)[0]]
        except (pytest.UsageError, KeyError):
            return None
        return (min(f for f, _ in spans), max(last for _, last in spans)) if spans else None

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
        self.pool.close_sockets()
        conn.close()
        if self.files is not None:
            self.files.close()
