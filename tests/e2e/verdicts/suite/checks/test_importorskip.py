"""Skipped as a whole: a dependency that is not installed."""
import pytest

pytest.importorskip("no_such_module_xyz")


def test_never_collected():
    pass
