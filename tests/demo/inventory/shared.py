"""Directories shared by several processes, guarded by an exclusive file lock.

The storefront keeps a quote cache and a report outbox in fixed, well-known
directories that every worker process of a host uses. Whoever opens one holds
an exclusive lock on it until closing it; a second opener either waits for
the lock or, with wait=0, fails at once with CacheBusyError.
"""

import fcntl
import json
import os
import re
import time

from inventory.errors import CacheBusyError, NotFoundError, ValidationError

KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class LockedDir:
    LOCK_NAME = ".lock"

    def __init__(self, path, wait=0.0, poll=0.02):
        self.path = os.fspath(path)
        os.makedirs(self.path, exist_ok=True)
        self._fd = os.open(os.path.join(self.path, self.LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self._fd)
                    self._fd = None
                    holder = self._holder()
                    raise CacheBusyError(f"{self.path} is in use by process {holder}") from None
                time.sleep(poll)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())

    def _holder(self):
        try:
            with open(os.path.join(self.path, self.LOCK_NAME)) as f:
                return f.read().strip() or "?"
        except OSError:
            return "?"

    @property
    def closed(self):
        return self._fd is None

    def close(self):
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if self._fd is None:
            raise ValidationError(f"{self.path} is closed")

    def _entries(self):
        return sorted(n for n in os.listdir(self.path) if not n.startswith("."))


class SharedCache(LockedDir):
    """JSON values by key, one file per key."""

    def _file(self, key):
        if not KEY.match(key):
            raise ValidationError(f"invalid cache key {key!r}")
        return os.path.join(self.path, key + ".json")

    def put(self, key, value):
        self._check_open()
        path = self._file(key)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(value, f, sort_keys=True)
        os.replace(tmp, path)

    def get(self, key, default=None):
        self._check_open()
        try:
            with open(self._file(key)) as f:
                return json.load(f)
        except FileNotFoundError:
            return default

    def keys(self):
        self._check_open()
        return [n[: -len(".json")] for n in self._entries() if n.endswith(".json")]

    def clear(self):
        self._check_open()
        for name in self._entries():
            os.remove(os.path.join(self.path, name))


class ReportOutbox(LockedDir):
    """Numbered report files waiting to be mailed: 0001-<slug>.json, 0002-..."""

    def publish(self, slug, payload):
        self._check_open()
        if not KEY.match(slug):
            raise ValidationError(f"invalid report name {slug!r}")
        numbers = [int(n.split("-", 1)[0]) for n in self._entries() if n[:4].isdigit()]
        name = f"{max(numbers, default=0) + 1:04d}-{slug}.json"
        with open(os.path.join(self.path, name), "w") as f:
            json.dump(payload, f, sort_keys=True, indent=1)
        return name

    def pending(self):
        self._check_open()
        return [n for n in self._entries() if n.endswith(".json")]

    def read(self, name):
        self._check_open()
        try:
            with open(os.path.join(self.path, name)) as f:
                return json.load(f)
        except FileNotFoundError:
            raise NotFoundError(f"no report {name} in {self.path}") from None

    def drain(self):
        """Removes and returns every pending report, oldest first."""
        reports = [(name, self.read(name)) for name in self.pending()]
        for name, _ in reports:
            os.remove(os.path.join(self.path, name))
        return reports
