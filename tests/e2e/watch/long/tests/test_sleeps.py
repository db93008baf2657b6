"""60 tests of a quarter second each: two entries take some 8 seconds, and
watch_check.py interrupts them a few seconds in. (No "slow" in any name:
Debian's pytest-astropy, when installed, skips what has that keyword.)"""
import time

import pytest


@pytest.mark.parametrize("n", range(60))
def test_sleeps(n):
    time.sleep(0.25)
