"""pytest-timeout: the ini's limit (1 s) fires in a test that outlasts it, a
mark lifts it for another; the failure message is the plugin's."""
import time

import pytest


def test_fires_at_the_ini_limit():
    time.sleep(30)


@pytest.mark.timeout(20)
def test_mark_lifts_the_limit():
    time.sleep(1.2)


def test_quick():
    pass
