"""Slow enough to be killed in the middle."""
import time

import pytest


@pytest.mark.parametrize("n", range(40))
def test_slow(n):
    time.sleep(0.25)
