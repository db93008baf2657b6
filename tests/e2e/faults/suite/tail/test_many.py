"""200 quick tests, the biggest module of the tail suites: the shared tail
(10 % of 250 tests of equal guessed cost) is its first 25. TAIL_FAULT makes
one of them crash its interpreter (3) or hang until it is killed (5)."""
import os
import signal
import time

import pytest


@pytest.mark.parametrize("i", range(200))
def test_many(i):
    fault = os.environ.get("TAIL_FAULT")
    if fault == "crash" and i == 3:
        os.kill(os.getpid(), signal.SIGSEGV)
    if fault == "hang" and i == 5:
        time.sleep(600)
    time.sleep(0.01)
