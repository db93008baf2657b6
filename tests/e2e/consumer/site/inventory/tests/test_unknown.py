import pytest

from inventory import Ledger, OutOfStock


def test_unknown_sku_cannot_ship():
    with pytest.raises(OutOfStock):
        Ledger().ship("nut", 1)


def test_unknown_sku_is_absent():
    assert "nut" not in Ledger().stock
