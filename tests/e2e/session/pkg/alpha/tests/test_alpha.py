import pytest

from pkg.alpha import square


@pytest.mark.parametrize("n", [0, 3, 7])
def test_square(n):
    assert square(n) == n * n


def test_square_fails_on_purpose():
    assert square(2) == 5


def test_records_a_property(record_property):
    record_property("answer", 42)
    assert square(1) == 1
