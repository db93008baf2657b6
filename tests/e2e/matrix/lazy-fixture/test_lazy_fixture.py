"""pytest-lazy-fixture: fixtures as parametrize values and as fixture
params; one of them is not what the test expects."""
import pytest


@pytest.fixture
def one():
    return 1


@pytest.fixture
def two():
    return 2


@pytest.mark.parametrize(
    "value,expected",
    [
        (pytest.lazy_fixture("one"), 1),
        (pytest.lazy_fixture("two"), 2),
        (pytest.lazy_fixture("two"), 3),
    ],
)
def test_parametrize(value, expected):
    assert value == expected


@pytest.fixture(params=[pytest.lazy_fixture("one"), pytest.lazy_fixture("two")])
def either(request):
    return request.param


def test_fixture_params(either):
    assert either in (1, 2)
