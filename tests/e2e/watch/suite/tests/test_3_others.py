import pytest


@pytest.mark.parametrize("n", range(4))
def test_passes(n):
    assert n >= 0


@pytest.mark.skip(reason="counted as skipped")
def test_skipped():
    pass
