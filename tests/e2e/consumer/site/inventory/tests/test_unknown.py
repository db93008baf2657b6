import pytest

from inventory import Ledger, OutOfStock


def test_unknown_sku_cannot_ship():
    with pytest.raises(OutOfStock):
        Ledger().ship("nut", 1)


def test_unknown_sku_is_absent():
    assert "nut" not in Ledger().stock


def test_receive_adds():
    # The same name as in test_ledger.py: run-time node IDs must keep them apart.
    ledger = Ledger()
    ledger.receive("nut", 2)
    assert ledger.stock == {"nut": 2}
