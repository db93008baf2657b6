"""The files a warm interpreter (warm.py) imported, watched: a request after
one of them changed starts a new interpreter instead of running old code."""

import ctypes
import os
import struct
import sys


class ImportedFiles:
    """Stamps of the files the server's modules came from (and its ini file),
    so that a request after a test file changed or an extension module was
    rebuilt starts a new server instead of running old code.

    Stat'ing every file per request cost about 2 ms of the server's loop for
    a suite like tests/demo (some 1,000 files). Where inotify exists, the
    directories of those files are watched instead, and a request stats only
    the files that something wrote, created, moved or deleted since the last
    one; every file again when the watch lost events."""

    def __init__(self, extra=()):
        files = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
        files = list(dict.fromkeys(f for f in [*files, *extra] if isinstance(f, str)))
        # Watched before the stamps are taken: a change in between is seen.
        self.by_path = {}  # watched path -> file as imported
        for file in files:
            for path in {os.path.abspath(file), os.path.realpath(file)}:
                self.by_path[path] = file
        self.watch = DirectoryWatch.start({os.path.dirname(p) for p in self.by_path})
        self.touched = {}  # files the watch reported, not yet found unchanged
        self.stamps = {file: self._stamp(file) for file in files}

    @staticmethod
    def _stamp(file):
        try:
            info = os.stat(file)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def changed(self):
        touched = self.watch.touched() if self.watch is not None else None
        if touched is None:
            candidates = self.stamps
        else:
            self.touched.update((self.by_path[p], None) for p in touched if p in self.by_path)
            candidates = list(self.touched)
        for file in candidates:
            if self._stamp(file) != self.stamps[file]:
                return file
            self.touched.pop(file, None)
        return None

    def close(self):
        if self.watch is not None:
            self.watch.close()
            self.watch = None


class DirectoryWatch:
    """inotify on a set of directories (Linux, through libc): which paths in
    them changed since the last call."""

    IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
    IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
    IN_DELETE_SELF, IN_MOVE_SELF = 0x400, 0x800
    IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED = 0x2000, 0x4000, 0x8000
    MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
            | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
    LOST = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED
    EVENT = struct.Struct("iIII")  # struct inotify_event, then its name

    def __init__(self, fd, directories):
        self.fd = fd
        self.directories = directories  # watch descriptor -> directory
        self.lost = False

    @classmethod
    def start(cls, directories):
        """A watch of every directory, or None where that cannot be had."""
        if not sys.platform.startswith("linux"):
            return None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            init, add = libc.inotify_init1, libc.inotify_add_watch
        except (OSError, AttributeError):
            return None
        fd = init(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        watched = {}
        for directory in directories:
            wd = add(fd, os.fsencode(directory), cls.MASK)
            if wd < 0:  # a directory gone, or the user's watch limit reached
                os.close(fd)
                return None
            watched[wd] = directory
        return cls(fd, watched)

    def touched(self):
        """The paths changed since the last call; None once the watch lost
        events (the queue overflowed, a directory moved): then stat them all."""
        paths = set()
        while not self.lost:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            offset = 0
            while offset < len(data):
                wd, mask, _, length = self.EVENT.unpack_from(data, offset)
                name = data[offset + self.EVENT.size : offset + self.EVENT.size + length]
                offset += self.EVENT.size + length
                if mask & self.LOST:
                    self.lost = True
                elif wd in self.directories:
                    name = os.fsdecode(name.rstrip(b"\0"))
                    paths.add(os.path.join(self.directories[wd], name))
        return None if self.lost else paths

    def close(self):
        os.close(self.fd)
