import os
import signal

import pytest


@pytest.mark.parametrize("n", range(4))
def test_restart(n):
    if n == 1:
        os.kill(os.getpid(), signal.SIGSEGV)
