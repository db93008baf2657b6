"""Waits until watch_check.py has seen test_1_fails's failure in watch's
output and says so by creating $WATCH_RELEASE. Collected after test_1, so
in one shard the failure still comes first."""
import os
import pathlib
import time


def test_waits_for_the_check():
    release = pathlib.Path(os.environ["WATCH_RELEASE"])
    deadline = time.monotonic() + 300
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert release.exists(), "no release: watch did not show the failure while this test ran"
