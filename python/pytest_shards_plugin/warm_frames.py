"""Frames of the warm interpreter's protocol (warm.py): a 4-byte big-endian
length, a JSON object, and file descriptors attached to the first bytes
(SCM_RIGHTS)."""

import json
import socket
import struct

HEADER = struct.Struct(">I")
MAX_FRAME = 64 << 20
MAX_FDS = 3  # stdin, stdout, stderr


def send_frame(sock, message, fds=()):
    data = json.dumps(message).encode()
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


def _recv_exactly(sock, data, size):
    while len(data) < size:
        more = sock.recv(size - len(data))
        if not more:
            raise EOFError("connection closed inside a frame")
        data += more
    return data
