"""The interpreter dies after the last test, before pytest ends its session."""
import os
import signal

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    os.kill(os.getpid(), signal.SIGSEGV)
