"""A warm worker's entries as one pytest session (warm_worker.py).

In a shard, session-scoped fixtures are set up once and torn down after its
last test; suites rely on that (a session fixture that calls
``multiprocessing.set_start_method`` fails the second time in a process).
A worker that runs several entries keeps the session set up between them:
the last item of an entry is torn down with a nextitem (KeepSession) that
keeps the session node on pytest's SetupState, and pytest's own
sessionfinish does not see it. The worker tears it down when it ends: with
an entry, within that entry's last teardown, as a shard's last test does;
when the server stops, after its last entry (end()).

Module, class and package scopes end with each entry: the next entry is not
known when one ends, and tearing them down in the next one would make it
carry an earlier entry's errors and output.

A worker keeps the session only when it serves on and the session holds
nothing of the entry's own: no thread or child process runs (a kept one
would outlive the entry that started it), and no set-up session fixture
uses shard_index or shard_port_range (each entry has its own ports: a kept
fixture would keep an earlier entry's, which another entry may lease now).
Else the entry's last teardown tears the session down too, and the worker
serves no other entry. tmp_path_factory is kept, and follows each entry's
basetemp.
"""

import contextlib
import os
import sys
import threading
import time
import traceback

import pytest

from . import journal as journals
from . import pytest_compat
from .messages import truncate
from .tail import run_items

# Session-scoped fixtures of the entry's own context: set up again in each
# entry; a kept fixture that uses them would keep an earlier entry's.
CONTEXT_FIXTURES = frozenset(("shard_index", "shard_port_range"))


class KeepSession:
    """The nextitem of an entry's last item: its teardown stops at the
    session (SetupState.teardown_exact keeps what nextitem descends from)."""

    nodeid = ""

    def __init__(self, session):
        self.session = session

    def listchain(self):
        return [self.session, self]


class SessionKeeper:
    """A plugin of the worker's session: runs each entry's test loop as
    pytest's, but for the teardown after its last item."""

    def __init__(self, session, serves_on):
        self.session = session
        self.serves_on = serves_on  # the worker may run another entry
        self.keep = KeepSession(session)
        self.kept_at_start = False  # the running entry began with the session set up
        self.journal = None  # the running entry's
        self.tail = None  # the running entry's SharedTail (tail.py), if it has one
        self.last = None  # (journal, node ID, path) of the last test that ran

    def start_entry(self, journal):
        """The entry's basetemp in the tmp_path_factory that kept fixtures
        may hold, and its own context fixtures."""
        session, config = self.session, self.session.config
        self.journal = journal
        self.kept_at_start = bool(pytest_compat.setup_state(session).stack)
        pytest_compat.renew_tmp_path_factory(config)
        end_context(session)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        """pytest's own loop, but for the nextitem of the entry's last item,
        and for the shared tail's items when the entry takes part in it."""
        items = self.tail.items(session.items) if self.tail is not None else session.items

        def before(item):
            self.last = (self.journal, item.nodeid, str(item.path))

        return run_items(session, items, self.keep, before)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item, nextitem):
        """The entry's last teardown: all but the session, and the session
        too when the worker cannot keep it (pytest's own teardown then finds
        nothing more to do). Within the item's teardown: its errors and
        output are the item's, as in a shard."""
        if nextitem is not self.keep:
            return
        state = pytest_compat.setup_state(item.session)
        try:
            state.teardown_exact(nextitem)
        finally:
            if not self.may_keep():
                state.teardown_exact(None)
            else:
                end_context(item.session)

    def may_keep(self):
        if not self.serves_on or any(
                t is not threading.main_thread() for t in threading.enumerate()):
            return False
        return not children_running() and not holds_context(self.session)

    @contextlib.contextmanager
    def finishing(self):
        """pytest's sessionfinish tears down what is set up: not a kept session."""
        stack = pytest_compat.setup_state(self.session).stack
        kept = dict(stack) if list(stack) == [self.session] else {}
        if kept:
            stack.clear()
        try:
            yield
        finally:
            stack.update(kept)

    def kept(self):
        """Whether the session is set up, or was never: the worker's next
        entry may be the next tests of one session."""
        stack = list(pytest_compat.setup_state(self.session).stack)
        if stack == [self.session]:
            return True
        return not stack and not self.kept_at_start and not self.session.items

    def end(self):
        """Tears a kept session down; False on an error. The error is the
        last test's: a "teardown" record in its journal (journal.h) makes it
        an error; the traceback goes to stderr."""
        state = pytest_compat.setup_state(self.session)
        if not state.stack:
            return True
        try:
            state.teardown_exact(None)
            return True
        except Exception:
            text = traceback.format_exc()
        sys.stderr.write(f"pytest-shards: error at teardown of the session:\n{text}")
        if self.last is not None:
            journal, node_id, path = self.last
            fd = journals._open_journal(journal)
            try:
                journals._append_line(fd, {
                    "event": "teardown", "nodeid": node_id, "path": path, "time": time.time(),
                    "message": truncate("error at teardown of the session, after this test "
                                        "(the warm worker's last):\n" + text)})
            finally:
                os.close(fd)
        return False


def end_context(session):
    """Tears the entry's context fixtures down, as a shard's session ends
    with its last test: the next entry sets up its own."""
    definitions = pytest_compat.fixture_definitions(session)
    for name in CONTEXT_FIXTURES:
        for definition in definitions.get(name, ()):
            pytest_compat.finish_fixture(definition, session)


def holds_context(session):
    """Whether a set-up session-scoped fixture uses (also through others) a
    fixture of the entry's own context."""
    alive = [(name, d) for name, defs in pytest_compat.fixture_definitions(session).items()
             for d in defs if d.cached_result is not None and d.scope == "session"]
    tainted = set(CONTEXT_FIXTURES)
    grown = True
    while grown:
        grown = False
        for name, definition in alive:
            if name not in tainted and tainted.intersection(definition.argnames):
                tainted.add(name)
                grown = True
    return bool(tainted - CONTEXT_FIXTURES)


def children_running():
    """Reaps exited children; whether any still runs."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True
