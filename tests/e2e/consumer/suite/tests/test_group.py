"""An xdist_group: these tests share state and must run in one process."""
import pytest

STATE = []


@pytest.mark.xdist_group("warm-cache")
@pytest.mark.parametrize("n", range(4))
def test_grouped(n):
    STATE.append(n)
    assert len(STATE) == n + 1
