import pytest

from inventory import Ledger, OutOfStock


@pytest.fixture
def ledger():
    ledger = Ledger()
    ledger.receive("bolt", 10)
    return ledger


def test_receive_adds(ledger):
    ledger.receive("bolt", 5)
    assert ledger.stock["bolt"] == 15


@pytest.mark.parametrize("count", [0, -1])
def test_receive_rejects_non_positive(ledger, count):
    with pytest.raises(ValueError):
        ledger.receive("bolt", count)


class TestShip:
    @pytest.mark.parametrize("count,left", [(1, 9), (10, 0), ("a::b", None)])
    def test_ship_leaves(self, ledger, count, left):
        if left is None:
            with pytest.raises(TypeError):
                ledger.ship("bolt", count)
        else:
            assert ledger.ship("bolt", count) == left

    def test_ship_too_many(self, ledger):
        with pytest.raises(OutOfStock):
            ledger.ship("bolt", 11)
