import threading
from decimal import Decimal

import pytest

from inventory import ConflictError, NotFoundError, OutOfStockError, Product, ValidationError
from inventory.pricing import Coupon, quote
from inventory.reports import render_json, sales_report
from inventory.store import Store

D = Decimal


def test_products_come_back_as_stored(store, catalog):
    for product in catalog:
        assert store.get_product(product.sku) == product


def test_list_is_ordered_by_sku(store, catalog):
    assert [p.sku for p in store.list_products()] == sorted(p.sku for p in catalog)


@pytest.mark.parametrize(
    "category, count", [("food", 2), ("books", 2), ("electronics", 2), ("clothing", 2), ("general", 2)]
)
def test_list_filters_by_category(store, category, count):
    products = store.list_products(category)
    assert len(products) == count
    assert {p.category for p in products} == {category}


def test_duplicate_sku_is_a_conflict(store, catalog):
    with pytest.raises(ConflictError, match="APP-0001 already exists"):
        store.add_product(catalog[0])


def test_bulk_add_is_all_or_nothing(store):
    batch = [Product("NEW-0001", "New one", "1.00"), Product("APP-0001", "Clash", "1.00")]
    with pytest.raises(ConflictError):
        store.add_products(batch)
    with pytest.raises(NotFoundError):
        store.get_product("NEW-0001")


def test_unknown_product_is_not_found(store):
    with pytest.raises(NotFoundError, match="ZZZ-9999"):
        store.get_product("ZZZ-9999")


@pytest.mark.parametrize("price", ["5.55", "0", 12, D("1.10")])
def test_update_price(store, price):
    store.update_price("MUG-0009", price)
    assert store.get_product("MUG-0009").price == D(str(price)).quantize(D("0.01"))


def test_update_price_of_missing_product(store):
    with pytest.raises(NotFoundError):
        store.update_price("ZZZ-9999", "1.00")


def test_update_price_validates(store):
    with pytest.raises(ValidationError):
        store.update_price("MUG-0009", "-2")


@pytest.mark.parametrize("delta, expected", [(5, 20), (-15, 0), (0, 15), (-1, 14)])
def test_adjust_stock(store, delta, expected):
    assert store.adjust_stock("BRD-0002", delta) == expected
    assert store.get_product("BRD-0002").stock == expected


def test_stock_never_goes_negative(store):
    with pytest.raises(OutOfStockError) as excinfo:
        store.adjust_stock("HDP-0006", -3)
    assert (excinfo.value.requested, excinfo.value.available) == (3, 2)
    assert store.get_product("HDP-0006").stock == 2


@pytest.mark.parametrize("threshold, skus", [(1, ["SCK-0008"]), (4, ["SCK-0008", "HDP-0006", "BOK-0004"])])
def test_low_stock_lists_lowest_first(store, threshold, skus):
    assert [p.sku for p in store.low_stock(threshold)] == skus


def test_order_takes_stock_and_records_lines(store):
    order = store.place_order("ada", "DE", [("APP-0001", 3), ("BOK-0003", 1)])
    assert store.get_product("APP-0001").stock == 117
    assert store.get_product("BOK-0003").stock == 6
    assert [(l.sku, l.quantity) for l in order.lines] == [("APP-0001", 3), ("BOK-0003", 1)]
    assert order.units == 4


def test_order_total_matches_the_quote(store, catalog):
    order = store.place_order("ada", "US-CA", [("CAB-0005", 4)], coupon=Coupon("C5", D("5.00")))
    expected = quote(order.lines, "US-CA", coupon=Coupon("C5", D("5.00"))).total
    assert order.total == expected == D("37.49")  # 39.96 - 5.00 = 34.96, plus 7.25 % tax (2.53)


def test_failed_order_changes_nothing(store):
    with pytest.raises(OutOfStockError, match="HDP-0006"):
        store.place_order("ada", "DE", [("APP-0001", 1), ("HDP-0006", 5)])
    assert store.get_product("APP-0001").stock == 120
    assert store.orders_for("ada") == []


def test_order_of_unknown_product(store):
    with pytest.raises(NotFoundError):
        store.place_order("ada", "DE", [("ZZZ-9999", 1)])


@pytest.mark.parametrize("customer, items", [("", [("APP-0001", 1)]), ("ada", [])])
def test_order_needs_customer_and_lines(store, customer, items):
    with pytest.raises(ValidationError):
        store.place_order(customer, "DE", items)


def test_unknown_order(store):
    with pytest.raises(NotFoundError):
        store.get_order(42)


def test_orders_per_customer(store):
    first = store.place_order("ada", "DE", [("APP-0001", 1)])
    store.place_order("bob", "DE", [("APP-0001", 1)])
    second = store.place_order("ada", "FR", [("MUG-0009", 2)])
    assert [o.order_id for o in store.orders_for("ada")] == [first.order_id, second.order_id]


def test_units_sold_and_revenue(store):
    a = store.place_order("ada", "US-OR", [("APP-0001", 2), ("MUG-0009", 1)])
    b = store.place_order("bob", "US-OR", [("APP-0001", 3)])
    assert store.units_sold() == {"APP-0001": 5, "MUG-0009": 1}
    assert store.revenue() == a.total + b.total == D("26.20")


def test_data_survives_reopening(tmp_path, catalog):
    path = tmp_path / "persist.sqlite3"
    with Store(path) as db:
        db.add_products(catalog[:3])
        db.place_order("ada", "DE", [("APP-0001", 10)])
    with Store(path) as db:
        assert db.get_product("APP-0001").stock == 110
        assert len(db.orders_for("ada")) == 1


def test_each_test_has_its_own_database(store, empty_store):
    assert store.path != empty_store.path
    assert empty_store.list_products() == []
    assert len(store.list_products()) == 10


def test_concurrent_orders_never_oversell(store):
    results = []

    def buy():
        try:
            store.place_order("rush", "DE", [("HDP-0006", 1)])
            results.append("ok")
        except OutOfStockError:
            results.append("sold out")

    threads = [threading.Thread(target=buy) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok"] * 2 + ["sold out"] * 10
    assert store.get_product("HDP-0006").stock == 0


@pytest.mark.serial("reports")
def test_sales_report_is_queued_for_mailing(store, report_outbox):
    store.place_order("ada", "DE", [("APP-0001", 2)])
    name = report_outbox.publish("daily-sales", sales_report(store).to_dict())
    assert name == "0001-daily-sales.json"
    assert report_outbox.read(name)["footer"]["units"] == 2
    assert render_json(sales_report(store)).count("APP-0001") == 1
