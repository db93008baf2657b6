"""WORLD_FAIL=<test name> in ctest's environment makes that test fail: the
failed-first checks use it."""
import os
import time

import pytest


def _maybe_fail(name):
    time.sleep(0.1)
    assert os.environ.get("WORLD_FAIL") != name, f"{name} told to fail"


def test_flaky():
    _maybe_fail("test_flaky")


@pytest.mark.parametrize("n", range(4))
def test_steady(n):
    _maybe_fail(f"test_steady[{n}]")


@pytest.mark.xdist_group("cache")
@pytest.mark.parametrize("n", range(3))
def test_grouped(n):
    _maybe_fail(f"test_grouped[{n}]")
