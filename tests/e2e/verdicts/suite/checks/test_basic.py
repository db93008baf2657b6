"""Ordinary outcomes: passed, failed, error, skipped, xfailed, xpassed."""
import pytest


def test_passes():
    assert 1 + 1 == 2


def test_fails():
    assert "verdict" == "verdicts"


@pytest.mark.parametrize("n", [1, 2, 3])
def test_parametrized(n):
    assert n != 2


@pytest.fixture
def broken_fixture():
    raise RuntimeError("the fixture breaks in setup")


def test_setup_error(broken_fixture):
    pass


@pytest.mark.skip(reason="skipped by a marker")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfails():
    assert False


@pytest.mark.xfail(reason="fixed already")
def test_xpasses():
    pass


@pytest.mark.xfail(strict=True, reason="strict: passing fails")
def test_strict_xpass_fails():
    pass
