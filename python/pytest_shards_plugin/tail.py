"""The shared tail: groups of tests that every shard of a run collects and
takes one at a time, each group by one shard, once its own tests are done
(SHARDS with SHARED_TAIL ON; src/plan/shared_tail.h chooses them). The
shards then end together, whatever the learned durations got wrong.

The runner puts the tail in the node ID file (protocol.py): ``"tail":
{"groups": [[node ID, ...], ...], "claims": path, "entry": index,
"started": [node ID, ...]}``. A group is taken under an exclusive flock of
the claims file (src/run/tail_claims.h has its layout): word 0 counts the
groups taken, word 1 + g names group g's taker (entry index + 1). A shard
restarted after a crash first runs what its entry took and did not start.
"""

import fcntl
import os
import struct

import pytest

WORD = struct.Struct("<I")


class Claims:
    """The run's claims file, as one entry sees it."""

    def __init__(self, path, entry, groups):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.mark = entry + 1
        self.groups = groups

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def take(self):
        """The index of the next group, now the entry's; None when all are taken."""
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            taken = self._word(0)
            if taken >= self.groups:
                return None
            # The taker first: a shard killed in between left the group
            # untaken, and whoever takes it next writes over the mark.
            os.pwrite(self.fd, WORD.pack(self.mark), WORD.size * (1 + taken))
            os.pwrite(self.fd, WORD.pack(taken + 1), 0)
            return taken
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def mine(self):
        """The groups this entry took so far, in order."""
        fcntl.flock(self.fd, fcntl.LOCK_SH)
        try:
            taken = min(self._word(0), self.groups)
            return [g for g in range(taken) if self._word(1 + g) == self.mark]
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def _word(self, index):
        data = os.pread(self.fd, WORD.size, WORD.size * index)
        return WORD.unpack(data)[0] if len(data) == WORD.size else 0


class SharedTail:
    """One entry's part in the tail: which of pytest's items are the tail's,
    and the items to run after the entry's own, taken as they are needed."""

    def __init__(self, spec, journal_not_collected):
        self.groups = [list(group) for group in spec["groups"]]
        self.ids = {node_id for group in self.groups for node_id in group}
        self.started = set(spec.get("started", []))
        self.claims = Claims(spec["claims"], int(spec["entry"]), len(self.groups))
        # Called with a node ID of a taken group that pytest did not collect.
        self.journal_not_collected = journal_not_collected

    def items(self, items):
        """The entry's own items, then the tail's: first those of groups the
        entry took in an earlier run and did not start, then new groups.
        A generator: a group is taken only when its first item is needed."""
        by_id = {}
        for item in items:
            if item.nodeid in self.ids:
                by_id[item.nodeid] = item
            else:
                yield item
        for group in self.claims.mine():
            yield from self.group_items(group, by_id)
        while True:
            group = self.claims.take()
            if group is None:
                return
            yield from self.group_items(group, by_id)

    def group_items(self, group, by_id):
        for node_id in self.groups[group]:
            if node_id in self.started:
                continue  # ran, or crashed its pytest: the journal has it
            self.started.add(node_id)
            item = by_id.get(node_id)
            if item is None:
                self.journal_not_collected(node_id)
            else:
                yield item


def run_items(session, items, last_nextitem=None, before=None):
    """pytest's own test loop over an iterable of items that may grow while it
    runs: the next item is fetched before the current one runs, since its
    teardown needs it (nextitem). `before(item)` is called before each."""
    if session.config.option.collectonly:
        return True
    items = iter(items)
    item = next(items, None)
    while item is not None:
        following = next(items, None)
        if before is not None:
            before(item)
        nextitem = following if following is not None else last_nextitem
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)
        item = following
    return True


class TailLoop:
    """The test loop of a fresh pytest whose entry shares the tail."""

    def __init__(self, tail):
        self.tail = tail

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(
                "%d error%s during collection"
                % (session.testsfailed, "s" if session.testsfailed != 1 else "")
            )
        return run_items(session, self.tail.items(session.items))

    def pytest_unconfigure(self, config):
        self.tail.claims.close()
