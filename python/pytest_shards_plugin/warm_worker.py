"""A worker of the warm interpreter (warm.py): a child forked from the server
that runs CTest entries one at a time.

The first entry comes with the fork; after each entry that ended cleanly the
worker tells the server so and waits for the next one, as a shard runs its
tests one after another in one process. A fork per entry pays, besides the
fork, a copy-on-write fault for every page the entry touches (CPython writes
the reference count of each object it reads) and the exit of a large
process; a worker pays those once.

Each entry gets what a fresh pytest of its own would: the entry's stdin,
stdout and stderr, environment, working directory, TMPDIR, basetemp, cache
directory and journal, and the terminal reporter's and cache plugins' state
as the server had it before any test ran. What an entry leaves in modules it
imported stays for the next entry, as it would for the next test of a shard.

The worker's entries are one pytest session, as a shard's tests are:
- Session-scoped fixtures are set up once per worker and torn down when it
  ends; module, class and package scopes end with each entry
  (warm_session.py).
- The stream objects stay those of the server (a module may hold
  ``sys.stderr.write`` from import time, and pytest's capture holds its
  files): an entry's stdin, stdout and stderr become fds 0, 1 and 2 and the
  copies of them that pytest's capture and faulthandler keep.

A worker serves no other entry (it exits, and the server forks another for
the next one) when the entry:
- did not end with a verdict (interrupted, pytest's internal error);
- left a thread or a child process running, or a file descriptor open on its
  stdout or stderr (ctest would wait for those to close);
- left fixtures set up, or tore its session down (warm_session.py says
  when).
With reuse off (WARM_REUSE OFF) every worker serves one entry.
"""

import atexit
import os
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from pytest import ExitCode

from . import journal as journals
from . import pytest_compat
from .selection import read_node_ids, read_tail
from .tail import SharedTail
from .protocol import BASETEMP, CACHE_DIR, FINISH, JOURNAL, NODE_IDS, done, recv_frame, send_frame
from .warm_session import SessionKeeper, children_running

Exit = pytest.exit.Exception  # _pytest.outcomes.Exit

# Plugins whose per-session state each entry starts from as the server had it.
PRISTINE_PLUGINS = ("terminalreporter", "lfplugin", "nfplugin", "stepwiseplugin")
# Exit statuses after which the worker may serve again.
VERDICTS = (ExitCode.OK, ExitCode.TESTS_FAILED, ExitCode.NO_TESTS_COLLECTED)
PR_SET_CHILD_SUBREAPER = 36


def plugin_states(config):
    """{plugin name: its attributes} of PRISTINE_PLUGINS, copied."""
    states = {}
    for name in PRISTINE_PLUGINS:
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None and hasattr(plugin, "__dict__"):
            states[name] = _copied(vars(plugin))
    return states


def _copied(attributes):
    # Containers are copied one level deep: the reporter's stats, the cache
    # plugins' node ID sets and dicts.
    return {k: (type(v)(v) if type(v) in (dict, list, set) else v) for k, v in attributes.items()}


class Worker:
    """Runs entries in this forked child (WarmPlugin.pytest_runtestloop hands
    it the first request) until one must be its last; never returns."""

    def __init__(self, plugin, session, channel):
        self.plugin = plugin  # the WarmPlugin: collected items and records
        self.session = session
        self.config = session.config
        self.channel = channel  # to the server; None: serve one entry
        self.served = 0
        self.keeper = SessionKeeper(session, serves_on=channel is not None)
        if plugin.server.libc is not None and channel is not None:
            # Orphans of an entry's processes become ours: we see them.
            plugin.server.libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
        self.config.pluginmanager.register(self.keeper, "pytest-shards-warm-session")

    def serve(self, request):
        while True:
            status = self.run(request)
            if self.channel is None or not self.reusable(status):
                self.leave(status)
            streams = self.release_entry()
            if self.still_open(streams):
                self.leave(status)
            send_frame(self.channel, done(int(status), _peak_rss_kb()))
            request, fds = recv_frame(self.channel, want_fds=True)
            if request is None:  # the server is gone
                self.leave(0)
            if request.get("op") == FINISH:  # the server stops, or keeps fewer idle workers
                log = os.open(os.path.join(self.plugin.server.directory, "server.log"),
                              os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                _take_streams(self.config, [os.open(os.devnull, os.O_RDONLY), log, os.dup(log)])
                self.leave(0)
            request["fds"] = fds

    def run(self, request):
        """Runs one entry as pytest's wrap_session runs a session from its
        test loop on; returns the exit status."""
        session, config = self.session, self.config
        _reset_peak_rss()
        self.become_entry(request)
        session.exitstatus = ExitCode.OK
        try:
            self.plugin.entry_running = True
            config.hook.pytest_runtestloop(session=session)
            if session.testsfailed:
                session.exitstatus = ExitCode.TESTS_FAILED
            elif session.testscollected == 0:
                session.exitstatus = ExitCode.NO_TESTS_COLLECTED
        except session.Failed:
            session.exitstatus = ExitCode.TESTS_FAILED
        except (KeyboardInterrupt, Exit):
            excinfo = pytest.ExceptionInfo.from_current()
            session.exitstatus = ExitCode.INTERRUPTED
            if isinstance(excinfo.value, Exit) and excinfo.value.returncode is not None:
                session.exitstatus = excinfo.value.returncode
            config.hook.pytest_keyboard_interrupt(excinfo=excinfo)
        except BaseException:
            session.exitstatus = ExitCode.INTERNAL_ERROR
            config.notify_exception(pytest.ExceptionInfo.from_current(), config.option)
        finally:
            self.plugin.entry_running = False
            self.served += 1
            os.chdir(session.startpath)
            try:
                with self.keeper.finishing():
                    config.hook.pytest_sessionfinish(session=session,
                                                     exitstatus=session.exitstatus)
            except Exit as e:
                if e.returncode is not None:
                    session.exitstatus = e.returncode
                sys.stderr.write(f"{type(e).__name__}: {e}\n")
        return session.exitstatus

    def reusable(self, status):
        if status not in VERDICTS or not self.keeper.kept():
            return False
        if any(t is not threading.main_thread() for t in threading.enumerate()):
            return False
        return not children_running()

    def leave(self, status):
        """Ends the worker as a fresh pytest ends: the session's teardown,
        pytest_unconfigure, then the atexit functions that the suite's
        imports and tests registered."""
        try:
            if not self.keeper.end() and status == ExitCode.OK:
                status = ExitCode.TESTS_FAILED
            pytest_compat.unconfigure(self.config)
        finally:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(status))

    # --- an entry's start and end ---

    def become_entry(self, request):
        """Turns the session into the entry's shard."""
        session, config, plugin = self.session, self.config, self.plugin
        _take_streams(config, request["fds"])
        os.chdir(request["cwd"] or ".")
        _take_environment(request["env"])
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again
        config.option.basetemp = request[BASETEMP]
        self.keeper.start_entry(request[JOURNAL])
        config.cache = pytest_compat.new_cache(config, Path(request[CACHE_DIR]))
        for name, state in plugin.pristine.items():
            owner = config.pluginmanager.get_plugin(name)
            vars(owner).clear()
            vars(owner).update(_copied(state))

        # The entry's node IDs and journal, for the package's Journal.
        journal = plugin.journal(config)
        journal.fd = journals._open_journal(request[JOURNAL])
        parts = config.pluginmanager.get_plugin("pytest-shards-session-parts")
        if parts is not None:
            parts.open(request[JOURNAL])
        requested, _ = read_node_ids(request[NODE_IDS])
        tail = read_tail(request[NODE_IDS])
        journal.reports = {}
        journal.journaled = set()
        journal.write(event="session", pid=os.getpid())
        self.keeper.tail = SharedTail(tail, journal.journal_not_collected) if tail else None
        tail_ids = self.keeper.tail.ids if tail else set()
        wanted = set(requested) | tail_ids
        # In collection order, as a fresh pytest's selection keeps them.
        indices = sorted(i for node_id in wanted for i in plugin.positions.get(node_id, ()))
        items = [plugin.all_items[i] for i in indices]
        for node_id in requested:
            if node_id in plugin.positions or node_id in tail_ids:
                continue
            record = plugin.collector_results.get(node_id)
            if record is not None:
                journal.journaled.add(node_id)
                journal.write(**{k: v for k, v in record.items() if k != "time"})
            else:
                journal.journal_not_collected(node_id)
        session.items = items
        # pytest's cache records the node IDs a run collected (for --nf): the
        # entry's, as a fresh pytest over them would, not the whole suite's.
        new_first = config.pluginmanager.getplugin("nfplugin")
        if new_first is not None and hasattr(new_first, "cached_nodeids"):
            new_first.cached_nodeids = {item.nodeid for item in items}
        session.testscollected = len(items)
        session.testsfailed = 0
        session.shouldstop = session.shouldfail = False
        journal.write(event="collected", count=len(items))

        reporter = config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None:
            pytest_compat.restart_terminal(reporter, len(items))
            how = f"worker {os.getpid()}, its entry {self.served + 1}"
            reporter.write_line(
                f"pytest-shards: warm interpreter {plugin.server.pid}, {how}: "
                f"{len(items)} of {len(wanted)} requested items, rootdir {config.rootpath}"
            )

    def release_entry(self):
        """Lets go of the entry's streams and journal; returns the identities
        of its stdout and stderr, to see that nothing else holds them."""
        config = self.config
        streams = {_identity(1), _identity(2)}
        devnull = os.open(os.devnull, os.O_RDWR)
        _take_streams(config, [devnull, os.dup(devnull), os.dup(devnull)])
        streams.discard(_identity(1))
        journal = self.plugin.journal(config)
        if journal.fd is not None:
            os.close(journal.fd)
            journal.fd = None
        parts = config.pluginmanager.get_plugin("pytest-shards-session-parts")
        if parts is not None:
            parts.close()
        if self.keeper.tail is not None:
            self.keeper.tail.claims.close()
            self.keeper.tail = None
        return streams

    @staticmethod
    def still_open(streams):
        """Whether a descriptor of ours still refers to one of streams."""
        if not streams:
            return False
        try:
            fds = [int(name) for name in os.listdir("/proc/self/fd")]
        except OSError:
            return True  # cannot tell: do not risk it
        for fd in fds:
            try:
                if _identity(fd) in streams:
                    return True
            except OSError:
                pass  # the listing's own descriptor
        return False


def _identity(fd):
    info = os.fstat(fd)
    return (info.st_dev, info.st_ino)


def _reset_peak_rss():
    # Linux 4.0+: writing 5 resets VmHWM, so that each entry's peak is its own.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _take_environment(assignments):
    """Makes os.environ the entry's ("K=V" strings), changing only what
    differs from the server's (most of it is the same)."""
    wanted = dict(v.split("=", 1) for v in assignments if "=" in v)
    for name in [name for name in os.environ if name not in wanted]:
        del os.environ[name]
    for name, value in wanted.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def _take_streams(config, fds):
    """Makes fds (stdin, stdout, stderr; closed here) fds 0, 1 and 2, and the
    copies of them that pytest keeps: global capture puts its saved copies
    back when it suspends, faulthandler writes to a copy of stderr. The
    stream objects stay as they are, so that a module's reference to
    sys.stderr (or its write) from import time writes to the entry's."""
    sys.stdout.flush()
    sys.stderr.flush()
    for target, fd in enumerate(fds):
        for copy in [target, *pytest_compat.saved_stream_fds(config, target)]:
            os.dup2(fd, copy, inheritable=copy <= 2)
        os.close(fd)
