"""The last module of the tail suites: the shared tail (20 % of 250 tests of
equal guessed cost, at the end of the collection) is its 50 tests.
TAIL_FAULT makes one of them crash its interpreter (30) or hang until it is
killed (32)."""
import os
import signal
import time

import pytest


@pytest.mark.parametrize("i", range(50))
def test_other(i):
    fault = os.environ.get("TAIL_FAULT")
    if fault == "crash" and i == 30:
        os.kill(os.getpid(), signal.SIGSEGV)
    if fault == "hang" and i == 32:
        time.sleep(600)
    time.sleep(0.01)
