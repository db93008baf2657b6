"""pytest-sugar: its own progress display; the verdicts are pytest's."""
import pytest


def test_passes():
    pass


def test_fails():
    assert [1, 2] == [1, 3]


@pytest.mark.skip(reason="skipped on purpose")
def test_skipped():
    pass


@pytest.mark.xfail(reason="expected")
def test_xfails():
    assert False
