import pytest


@pytest.mark.parametrize("n", range(2))
def test_cold(n):
    pass
