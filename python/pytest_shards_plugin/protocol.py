"""What the runner and the plugin say to each other, the plugin's side
(src/run/protocol.h is the runner's). tests/protocol/golden.json holds an
example of each message, and both sides' tests check against it
(tests/unit/protocol_test.cc, tests/plugin/test_protocol.py): a message
changed on one side alone fails a test.

The pytest command line of a run (PytestArgv in the runner) gives every
run of a suite the same arguments but for the per-entry options PER_ENTRY:
``--basetemp``, ``-o cache_dir``, ``--shards-node-ids`` (a JSON file
``{"node_ids": [...], "paths": {module part: absolute path}}``, read by
selection.read_node_ids) and ``--shards-journal``. The collection-errors
entry gives the files of its modules as arguments, and
``--shards-collection-errors`` (a file of the same format, of those modules)
instead of ``--shards-node-ids``.

The warm interpreter's protocol (``pytest-shards-warm/1``, warm.py): frames
of a 4-byte big-endian length and a JSON object, file descriptors attached
to the first bytes (SCM_RIGHTS). The client sends ``{"op": "run", "argv",
"env", "cwd"}`` with its stdin, stdout and stderr attached. ``argv`` is the
entry's pytest command line after ``python -m pytest``: it must equal the
server's own but for PER_ENTRY (the server refuses it otherwise, and the
entry runs a fresh pytest). The server answers ``{"event": "started",
"pid"}`` (the worker leads its own process group), later ``{"event":
"exited", "exit_code", "signal", "peak_rss_kb"}`` (from the worker when it
serves on, else from wait4). Meanwhile the client may send ``{"op":
"kill", "signal"}``; when its connection closes the server kills the
worker's group. ``{"event": "stale", "file"}`` instead of ``started``: a
module file changed since the server imported it; the server exits and the
client starts another (as after ``{"event": "stopping"}``). ``{"op":
"ping"}`` gets ``{"event": "pong", "pid", "format"}``; ``{"op": "quit"}``
stops it; anything else gets ``{"event": "refused", "why"}``.

Between the server and a worker it forked, over their socket pair: the
server sends an entry (the run message with its PER_ENTRY values added by
name, and the client's descriptors) or ``{"op": "finish"}`` (tear the
session down and exit); the worker sends ``{"event": "done", "exit_code",
"peak_rss_kb"}`` after each entry it serves on from.
"""

import json
import socket
import struct

FORMAT = "pytest-shards-warm/1"

# The per-entry options of a run's pytest command line; CACHE_DIR comes
# after -o.
BASETEMP = "--basetemp"
CACHE_DIR = "cache_dir"
NODE_IDS = "--shards-node-ids"
JOURNAL = "--shards-journal"
PER_ENTRY = (BASETEMP, CACHE_DIR, NODE_IDS, JOURNAL)
# The collection-errors entry's instead of NODE_IDS (it never runs warm).
COLLECTION_ERRORS = "--shards-collection-errors"

# Requests, by their "op".
RUN, KILL, PING, QUIT, FINISH = "run", "kill", "ping", "quit", "finish"

HEADER = struct.Struct(">I")
MAX_FRAME = 64 << 20
MAX_FDS = 3  # stdin, stdout, stderr


# --- frames ------------------------------------------------------------------


def send_frame(sock, message, fds=()):
    data = json.dumps(message, separators=(",", ":")).encode()
    data = HEADER.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(sock, [data], list(fds))
        data = data[sent:]
    if data:
        sock.sendall(data)


def recv_frame(sock, want_fds=False):
    """(message, fds) of the next frame; (None, []) at the end of the stream."""
    fds = []
    if want_fds:
        first, fds, _, _ = socket.recv_fds(sock, HEADER.size, MAX_FDS)
    else:
        first = sock.recv(HEADER.size)
    if not first:
        return None, fds
    (size,) = HEADER.unpack(_recv_exactly(sock, first, HEADER.size))
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes")
    return json.loads(_recv_exactly(sock, b"", size)), fds


def reply(sock, message):
    """Sends message; False when the peer is gone."""
    try:
        send_frame(sock, message)
        return True
    except OSError:
        return False


def _recv_exactly(sock, data, size):
    while len(data) < size:
        more = sock.recv(size - len(data))
        if not more:
            raise EOFError("connection closed inside a frame")
        data += more
    return data


# --- the pytest command line -------------------------------------------------


def entry_options(argv):
    """(the arguments every entry shares, {option: value} of the per-entry
    ones) of a run's pytest command line."""
    common, own = [], {}
    args = iter(argv)
    for arg in args:
        name, equals, value = arg.partition("=")
        if equals and name in PER_ENTRY:
            own[name] = value
        elif arg == "-o":
            value = next(args, "")
            if value.startswith(CACHE_DIR + "="):
                own[CACHE_DIR] = value.partition("=")[2]
            else:
                common += [arg, value]
        else:
            common.append(arg)
    return common, own


def entry(message, common_args):
    """The entry of a run message, for a worker: the message with its
    per-entry options added by name; None when its arguments are not
    `common_args` and every per-entry option."""
    common, own = entry_options(message.get("argv", []))
    if common != common_args or set(own) != set(PER_ENTRY):
        return None
    return {**message, **own}


def kill_signal(message, default):
    """The signal a kill request asks for; None for another message."""
    if message.get("op") != KILL:
        return None
    return int(message.get("signal", default))


# --- the server's and the worker's messages ----------------------------------


def started(pid):
    return {"event": "started", "pid": pid}


def exited(exit_code, signal, peak_rss_kb):
    return {"event": "exited", "exit_code": exit_code, "signal": signal,
            "peak_rss_kb": peak_rss_kb}


def exited_after(done):
    """What the client learns of an entry a worker said it is done with."""
    return exited(int(done.get("exit_code", -1)), 0, int(done.get("peak_rss_kb", 0)))


def stale(file):
    return {"event": "stale", "file": file}


def stopping():
    return {"event": "stopping"}


def refused(why):
    return {"event": "refused", "why": why}


def pong(pid):
    return {"event": "pong", "pid": pid, "format": FORMAT}


def finish():
    return {"op": FINISH}


def done(exit_code, peak_rss_kb):
    return {"event": "done", "exit_code": exit_code, "peak_rss_kb": peak_rss_kb}
