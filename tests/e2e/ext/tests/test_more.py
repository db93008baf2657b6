import pytest

import sizes


@pytest.mark.parametrize("n", sizes.SIZES)
def test_positive(n):
    assert sizes.square(n) > 0


@pytest.mark.skip(reason="shown as skipped on both sides")
def test_skipped():
    pass
