"""Tests of python/pytest_shards_plugin/protocol.py against the golden
examples of tests/protocol/golden.json, which tests/unit/protocol_test.cc
checks the runner's side against: a message changed on one side alone
fails one of them."""

import json
import os
import socket
import sys

import pytest

from conftest import PLUGIN_DIR

sys.path.insert(0, str(PLUGIN_DIR))
import pytest_shards_plugin.protocol as protocol  # noqa: E402
from pytest_shards_plugin.selection import read_node_ids, read_tail  # noqa: E402
from pytest_shards_plugin.warm_server import Server  # noqa: E402

GOLDEN = json.loads((PLUGIN_DIR.parent / "tests" / "protocol" / "golden.json").read_text())


def test_the_per_entry_options_are_taken_from_the_golden_command_line():
    argv = GOLDEN["runner_to_server"]["run"]["argv"]
    assert argv == GOLDEN["pytest_argv"][3:], "after python -m pytest"
    common, own = protocol.entry_options(argv)
    assert common == GOLDEN["entry_options"]["common"]
    assert own == GOLDEN["entry_options"]["own"]
    assert set(own) == set(protocol.PER_ENTRY)


def test_the_golden_run_request_becomes_the_golden_entry():
    run = GOLDEN["runner_to_server"]["run"]
    assert run["op"] == protocol.RUN
    entry = protocol.entry(run, GOLDEN["entry_options"]["common"])
    assert entry == GOLDEN["server_to_worker"]["entry"]
    # Arguments that are not the server's, or a per-entry option missing:
    # the server refuses the entry.
    assert protocol.entry(run, GOLDEN["entry_options"]["common"] + ["-x"]) is None
    without_journal = [a for a in run["argv"] if not a.startswith(protocol.JOURNAL)]
    assert protocol.entry({**run, "argv": without_journal},
                          GOLDEN["entry_options"]["common"]) is None


def test_the_server_builds_the_golden_events():
    events = GOLDEN["server_to_runner"]
    assert protocol.started(4242) == events["started"]
    assert protocol.exited(1, 0, 52100) == events["exited"]
    assert protocol.exited(-1, 9, 0) == events["killed"]
    assert protocol.stale("/proj/tests/test_a.py") == events["stale"]
    assert protocol.stopping() == events["stopping"]
    assert protocol.refused(events["refused"]["why"]) == events["refused"]
    assert protocol.pong(4000) == events["pong"]
    assert protocol.FORMAT == GOLDEN["format"]
    # What the runner learns of an entry a worker is done with.
    done = GOLDEN["worker_to_server"]["done"]
    assert protocol.exited_after(done) == protocol.exited(0, 0, 52100)


def test_the_worker_and_the_server_exchange_the_golden_messages():
    assert protocol.done(0, 52100) == GOLDEN["worker_to_server"]["done"]
    assert protocol.finish() == GOLDEN["server_to_worker"]["finish"]


def test_the_server_reads_the_golden_requests():
    requests = GOLDEN["runner_to_server"]
    assert protocol.kill_signal(requests["kill"], 9) == 15
    assert protocol.kill_signal(requests["ping"], 9) is None
    # Every request but kill (which comes on a running entry's connection)
    # has its method in the server's table.
    server = Server("/nonexistent", 0, 60, [])
    try:
        assert set(server.requests) == set(requests) - {protocol.KILL}
    finally:
        server.selector.close()


def test_the_golden_node_id_file_is_read(tmp_path):
    path = tmp_path / "ids.json"
    path.write_text(json.dumps(GOLDEN["node_ids_file"]))
    ids, paths = read_node_ids(str(path))
    assert ids == GOLDEN["node_ids_file"]["node_ids"]
    assert paths == GOLDEN["node_ids_file"]["paths"]
    assert read_tail(str(path)) is None


def test_the_golden_node_id_file_with_a_tail_is_read(tmp_path):
    golden = GOLDEN["node_ids_file_with_tail"]
    path = tmp_path / "ids.json"
    path.write_text(json.dumps(golden))
    assert read_node_ids(str(path)) == (golden["node_ids"], golden["paths"])
    assert read_tail(str(path)) == golden["tail"]
    broken = dict(golden, tail=dict(golden["tail"], groups=["not a list"]))
    path.write_text(json.dumps(broken))
    with pytest.raises(pytest.UsageError, match="malformed tail"):
        read_tail(str(path))


def test_frames_are_the_golden_bytes():
    frame = GOLDEN["frame"]
    left, right = socket.socketpair()
    with left, right:
        protocol.send_frame(left, frame["message"])
        assert right.recv(100) == bytes.fromhex(frame["hex"])
        left.sendall(bytes.fromhex(frame["hex"]))
        assert protocol.recv_frame(right) == (frame["message"], [])


@pytest.mark.skipif(not hasattr(socket, "send_fds"), reason="no SCM_RIGHTS")
def test_frames_carry_descriptors():
    left, right = socket.socketpair()
    r, w = os.pipe()
    protocol.send_frame(left, {"op": "run", "x": "é"}, [w])
    message, fds = protocol.recv_frame(right, want_fds=True)
    assert message == {"op": "run", "x": "é"} and len(fds) == 1
    os.write(fds[0], b"!")
    assert os.read(r, 1) == b"!"
    for fd in (r, w, *fds):
        os.close(fd)
    left.close()
    assert protocol.recv_frame(right) == (None, [])
    right.close()
