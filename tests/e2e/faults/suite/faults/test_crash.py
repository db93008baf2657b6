"""Tests that kill their interpreter, each between ordinary tests."""
import os
import signal


def test_before_segv():
    assert sum(range(4)) == 6


def test_segv():
    os.kill(os.getpid(), signal.SIGSEGV)


def test_after_segv():
    assert "shard".upper() == "SHARD"


def test_before_exit():
    assert len("abc") == 3


def test_exit():
    os._exit(3)


def test_after_exit():
    assert [1, 2] + [3] == [1, 2, 3]


def test_before_oom_kill():
    assert {1, 2} | {3} == {1, 2, 3}


def test_oom_kill():
    # What the kernel's OOM killer does: SIGKILL, no chance to clean up.
    os.kill(os.getpid(), signal.SIGKILL)


def test_after_oom_kill():
    assert "x".join("ab") == "axb"
