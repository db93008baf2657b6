"""A hang with no TEST_TIMEOUT: only the entry's TIMEOUT stops it."""
import time


def test_first():
    assert "x" * 3 == "xxx"


def test_stuck():
    time.sleep(600)


def test_last():
    pass
