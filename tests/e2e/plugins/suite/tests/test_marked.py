"""Tests that a user's plugin skips (marked slow, as pytest-astropy does
without --run-slow) beside tests it leaves alone."""
import pytest


def test_plain():
    pass


@pytest.mark.slow
def test_slow():
    pass


@pytest.mark.slow
@pytest.mark.parametrize("n", range(2))
def test_slow_param(n):
    pass
