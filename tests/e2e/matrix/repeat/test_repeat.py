"""pytest-repeat: the repeat mark runs a test that many times (each a test
of its own, with its own node ID); one of the repeats fails."""
import pytest


@pytest.mark.repeat(3)
def test_three_times():
    pass


@pytest.mark.repeat(4)
@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(n):
    pass


@pytest.mark.repeat(3)
def test_second_repeat_fails(request):
    assert request.node.callspec.params["__pytest_repeat_step_number"] != 1


def test_count_from_addopts():
    pass
