"""Tests that hang, in Python's sleep and in a C call, between ordinary tests."""
import ctypes
import time


def test_before_hang():
    assert 2 ** 10 == 1024


def test_hang_in_sleep():
    time.sleep(600)


def test_between_hangs():
    assert "a,b".split(",") == ["a", "b"]


def test_hang_in_c():
    # pause() waits in libc for a signal; only the runner's SIGKILL ends it.
    ctypes.CDLL(None).pause()


def test_after_hang():
    assert max(3, 7) == 7
