"""The warm server's workers (warm_server.py), kept as xdist's controller
keeps its nodes: one WorkerState per forked child, from its fork to its
reaping, in a Pool that gives entries to them, follows their messages and
their clients', reaps them, and ends the idle ones the server does not keep.

A worker takes entries in collection order only, as an xdist worker gets
its tests: what a test leaves in a module must never reach a test that
pytest runs before it. Of the idle workers whose tests all come before an
entry's, the one that ran the latest test takes it (it fits fewer entries to
come); at most max_idle wait idle, and the one beyond that which ran the
latest test ends.
"""

import functools
import os
import selectors
import signal
import socket
import sys
import time

from . import protocol

FINISH_SECONDS = 30  # for an idle worker to tear its session down when asked to end
# Idle workers kept for entries to come: each holds its own memory, and one
# that ran late tests fits few entries.
MAX_IDLE = max(4, 2 * (os.cpu_count() or 1))


def _killpg(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class WorkerState:
    """What the server knows of one forked child."""

    def __init__(self, pid, channel=None, last_index=None):
        self.pid = pid
        self.channel = channel  # socket pair end to a worker that serves on; None: one entry
        self.last_index = last_index  # collection index of the last test its entries ran
        self.client = None  # the connection of the client whose entry it runs
        self.idle = False  # it waits for an entry
        self.killed = False  # killed, not reaped yet: never idle again
        self.deadline = None  # asked to end (finish): killed after this monotonic time

    def __repr__(self):
        return f"<worker {self.pid}>"


class Pool:
    """The forked children of `server` (a warm_server.Server: its selector,
    log, activity time and become_child), by pid."""

    def __init__(self, server, max_idle=MAX_IDLE, reuse=True):
        self.server = server
        self.max_idle = max_idle
        self.reuse = reuse
        self.workers = {}

    def __bool__(self):
        return bool(self.workers)

    def __iter__(self):
        return iter(list(self.workers.values()))

    def running(self):
        return [w for w in self if w.client is not None]

    def idle(self):
        return [w for w in self if w.idle]

    def fitting_worker(self, first):
        """The idle worker whose tests all come before collection index
        `first`, the one that ran the latest of those; None if none does."""
        fits = [w for w in self.idle() if w.last_index < first]
        return max(fits, key=lambda w: w.last_index, default=None)

    # --- entries ---

    def assign(self, conn, entry, fds, span):
        """Gives the entry, whose tests are at collection indices `span`
        (first, last; None: unknown ones), to an idle worker, or forks one
        for it; returns the entry in a forked child."""
        self.reap()  # no entry for a worker that died waiting
        while span is not None:
            worker = self.fitting_worker(span[0])
            if worker is None:
                break
            worker.idle = False
            try:
                protocol.send_frame(worker.channel, entry, fds)
            except OSError:
                continue  # it died waiting: reap() forgets it
            worker.last_index = span[1]
            self.started(worker, conn)
            return None
        return self.fork(conn, entry, fds, span)

    def fork(self, conn, entry, fds, span):
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
            self.server.become_child(conn)
            entry["fds"] = list(fds)
            entry["channel"] = theirs
            return entry
        try:
            os.setpgid(pid, pid)  # the child does so too; whichever runs first
        except OSError:
            pass
        if ours is not None:
            theirs.close()
        worker = self.add(pid, ours, span[1] if ours is not None else None)
        self.started(worker, conn)
        return None

    def add(self, pid, channel, last_index):
        worker = self.workers[pid] = WorkerState(pid, channel, last_index)
        if channel is not None:
            self.server.selector.register(channel, selectors.EVENT_READ,
                                          functools.partial(self.worker_message, worker))
        return worker

    def started(self, worker, conn):
        worker.client = conn
        self.server.selector.register(conn, selectors.EVENT_READ,
                                      functools.partial(self.client_message, worker))
        if not protocol.reply(conn, protocol.started(worker.pid)):
            self.kill(worker, signal.SIGKILL)

    # --- messages ---

    def worker_message(self, worker):
        """A worker's entry ended and it waits for the next, or it exits."""
        try:
            message, _ = protocol.recv_frame(worker.channel)
        except (OSError, ValueError, EOFError):
            message = None
        if message is None or worker.killed:
            self.server.selector.unregister(worker.channel)  # reap() tells its client
            return
        conn, worker.client = worker.client, None
        if conn is not None:
            protocol.reply(conn, protocol.exited_after(message))
            self.server.selector.unregister(conn)
            conn.close()
        worker.idle = True
        self.server.last_activity = time.monotonic()
        idle = self.idle()
        if len(idle) > self.max_idle:  # end the one least likely to fit again
            self.end_idle(max(idle, key=lambda w: w.last_index))

    def client_message(self, worker):
        """A kill request, or the end of the client (its runner died)."""
        conn = worker.client
        if conn is None:
            return
        try:
            message, _ = protocol.recv_frame(conn)
        except (OSError, ValueError, EOFError):
            message = None
        if message is None:
            self.server.selector.unregister(conn)
            self.kill(worker, signal.SIGKILL)
            return
        sig = protocol.kill_signal(message, signal.SIGKILL)
        if sig is not None:
            self.kill(worker, sig)

    # --- ends ---

    def kill(self, worker, sig):
        worker.killed = True
        worker.idle = False
        _killpg(worker.pid, sig)

    def stop(self):
        """Kills the workers that run an entry, asks idle ones to end."""
        for worker in self.running():
            self.kill(worker, signal.SIGKILL)
        for worker in self.idle():  # they tear their sessions down first
            self.end_idle(worker)
        self.expire_finishing()

    def end_idle(self, worker):
        """Asks an idle worker to tear its session down and exit."""
        worker.idle = False
        worker.deadline = time.monotonic() + FINISH_SECONDS
        try:
            protocol.send_frame(worker.channel, protocol.finish())
        except OSError:
            self.kill(worker, signal.SIGKILL)

    def expire_finishing(self):
        now = time.monotonic()
        for worker in self:
            if worker.deadline is not None and now > worker.deadline:
                self.server.log(f"worker {worker.pid} did not end within {FINISH_SECONDS} s: "
                                "killed")
                worker.deadline = None
                self.kill(worker, signal.SIGKILL)

    def reap(self):
        while self.workers:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.forget(pid)
            if worker is None or worker.client is None:
                continue
            _killpg(pid, signal.SIGKILL)  # what the child left running in its group
            exit_code, sig = -1, 0
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
            elif os.WIFEXITED(status):
                exit_code = os.WEXITSTATUS(status)
            protocol.reply(worker.client, protocol.exited(exit_code, sig, usage.ru_maxrss))
            self.unregister(worker.client)
            worker.client.close()
            self.server.last_activity = time.monotonic()

    def forget(self, pid):
        """Drops a reaped child; returns what the server knew of it (None:
        not one of its workers)."""
        worker = self.workers.pop(pid, None)
        if worker is not None and worker.channel is not None:
            self.unregister(worker.channel)
            worker.channel.close()
        return worker

    def unregister(self, sock):
        try:
            self.server.selector.unregister(sock)
        except (KeyError, ValueError):
            pass

    def close_sockets(self):
        """In a forked child: closes the server's ends of every worker's."""
        for worker in self:
            for sock in (worker.client, worker.channel):
                if sock is not None:
                    sock.close()
