import pytest

from pkg.beta import classify, describe


def test_negative():
    assert classify(-1) == "negative"


def test_zero():
    assert classify(0) == "zero"


def test_describe_prints(capsys):
    assert describe(2) == "positive"


@pytest.mark.skip(reason="skipped on purpose")
def test_skipped():
    pass


@pytest.mark.xfail(reason="expected to fail")
def test_xfails():
    assert classify(1) == "zero"
