"""The supplier is remote: every call waits out a simulated network round trip."""

from decimal import Decimal

import pytest

from inventory import NotFoundError
from inventory.supplier import SupplierGateway, SupplierUnavailable, fetch_quotes, restock

pytestmark = pytest.mark.io_bound


@pytest.mark.parametrize("sku", ["APP-0001", "BOK-0003", "HDP-0006", "SCK-0008"])
def test_quotes_are_deterministic_per_sku(sku):
    gateway = SupplierGateway(latency=0.05)
    first, second = gateway.fetch_quote(sku), gateway.fetch_quote(sku)
    assert first == second
    assert Decimal("1.00") <= first.unit_cost < Decimal("51.00")
    assert 10 <= first.available < 100 and 1 <= first.lead_days <= 14
    assert gateway.calls == 2


def test_supplier_without_the_sku():
    gateway = SupplierGateway(latency=0.05, catalog={"APP-0001"})
    with pytest.raises(NotFoundError, match="BOK-0003"):
        gateway.fetch_quote("BOK-0003")


def test_every_nth_call_fails():
    gateway = SupplierGateway(latency=0.05, fail_every=2)
    gateway.fetch_quote("APP-0001")
    with pytest.raises(SupplierUnavailable, match="call 2"):
        gateway.fetch_quote("APP-0001")


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_concurrency_does_not_change_the_quotes(catalog, workers):
    skus = [p.sku for p in catalog[:6]]
    quotes = fetch_quotes(SupplierGateway(latency=0.08), skus, workers=workers)
    expected = {sku: SupplierGateway(latency=0).fetch_quote(sku) for sku in skus}
    assert quotes == expected


def test_failed_calls_are_retried():
    gateway = SupplierGateway(latency=0.05, fail_every=3)
    quotes = fetch_quotes(gateway, ["APP-0001", "BRD-0002", "BOK-0003", "BOK-0004"], workers=1, retries=1)
    assert not any(isinstance(q, Exception) for q in quotes.values())
    assert gateway.calls == 5  # call 3 failed and was repeated


def test_errors_are_returned_per_sku():
    gateway = SupplierGateway(latency=0.05, catalog={"APP-0001"}, fail_every=0)
    quotes = fetch_quotes(gateway, ["APP-0001", "ZZZ-0001"], workers=2, retries=0)
    assert quotes["APP-0001"].sku == "APP-0001"
    assert isinstance(quotes["ZZZ-0001"], NotFoundError)


@pytest.mark.parametrize(
    "threshold, target, expected",
    [
        (1, 10, {"SCK-0008": 10}),
        (5, 20, {"SCK-0008": 20, "HDP-0006": 18, "BOK-0004": 17, "LMP-0010": 16}),
        (0, 50, {}),
    ],
)
def test_restock_tops_up_low_products(store, threshold, target, expected):
    gateway = SupplierGateway(latency=0.1)
    assert restock(store, gateway, threshold, target) == expected
    for sku, added in expected.items():
        assert store.get_product(sku).stock == target
    assert sorted(gateway.purchases) == sorted(expected.items())


def test_restock_is_limited_by_supplier_availability(store):
    gateway = SupplierGateway(latency=0.1)
    offer = gateway.fetch_quote("SCK-0008")
    added = restock(store, gateway, threshold=1, target=500)
    assert added == {"SCK-0008": offer.available}


def test_restock_skips_what_the_supplier_lacks(store):
    gateway = SupplierGateway(latency=0.1, catalog={"HDP-0006"})
    assert restock(store, gateway, threshold=3, target=5) == {"HDP-0006": 3}
    assert store.get_product("SCK-0008").stock == 0
