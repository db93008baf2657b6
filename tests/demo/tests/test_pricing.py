from decimal import Decimal

import pytest

from inventory import OrderLine, Product, ValidationError
from inventory.pricing import (
    TAX_RATES,
    BulkDiscount,
    Coupon,
    PercentOff,
    QuoteCache,
    money,
    price_table,
    quote,
    tax_rate,
)

D = Decimal


def line(quantity, price, category="general", sku="LIN-0001"):
    return OrderLine(sku, quantity, price, category)


@pytest.mark.parametrize(
    "raw, expected",
    [("0.005", "0.01"), ("0.004", "0.00"), ("1.235", "1.24"), ("2.345", "2.35"), ("-1.235", "-1.24"), ("10", "10.00")],
)
def test_money_rounds_half_up_to_cents(raw, expected):
    assert money(D(raw)) == D(expected)


@pytest.mark.parametrize(
    "region, category, rate",
    [
        ("US-CA", "general", "0.0725"),
        ("US-CA", "food", "0.0725"),
        ("US-OR", "electronics", "0"),
        ("DE", "general", "0.19"),
        ("DE", "food", "0.07"),
        ("DE", "books", "0.07"),
        ("FR", "books", "0.055"),
        ("GB", "food", "0"),
        ("GB", "clothing", "0.20"),
        ("JP", "food", "0.08"),
    ],
)
def test_tax_rate_uses_reduced_rates_per_category(region, category, rate):
    assert tax_rate(region, category) == D(rate)


def test_unknown_region_lists_the_known_ones():
    with pytest.raises(ValidationError, match="unknown tax region 'XX'.*DE"):
        tax_rate("XX")


@pytest.mark.parametrize(
    "region, tax, total",
    [
        ("US-CA", "1.45", "21.45"),
        ("US-NY", "0.80", "20.80"),
        ("US-OR", "0.00", "20.00"),
        ("DE", "3.80", "23.80"),
        ("FR", "4.00", "24.00"),
        ("GB", "4.00", "24.00"),
        ("JP", "2.00", "22.00"),
    ],
)
def test_quote_applies_regional_tax(region, tax, total):
    result = quote([line(2, "10.00")], region)
    assert result.subtotal == D("20.00")
    assert result.tax == D(tax)
    assert result.total == D(total)


@pytest.mark.parametrize(
    "region, category, total",
    [("DE", "food", "21.40"), ("FR", "books", "21.10"), ("GB", "food", "20.00"), ("JP", "food", "21.60")],
)
def test_quote_applies_reduced_rates(region, category, total):
    assert quote([line(2, "10.00", category)], region).total == D(total)


def test_tax_is_rounded_per_line():
    # 3 x 3.49 = 10.47; 7.25 % of it is 0.759075, which rounds to 0.76.
    result = quote([line(3, "3.49", "food")], "US-CA")
    assert result.tax == D("0.76")
    assert result.total == D("11.23")


@pytest.mark.parametrize("quantity, discount", [(1, "0.00"), (9, "0.00"), (10, "1.00"), (25, "2.50")])
def test_bulk_discount_starts_at_minimum_quantity(quantity, discount):
    result = quote([line(quantity, "2.00")], "US-OR", rules=[BulkDiscount(10, D(5))])
    assert result.discount == D(discount)
    assert result.total == D("2.00") * quantity - D(discount)


def test_only_the_best_rule_applies():
    rules = [PercentOff(D(10)), BulkDiscount(10, D(5))]
    result = quote([line(10, "2.00")], "US-OR", rules=rules)
    assert result.discount == D("2.00")
    assert result.total == D("18.00")


def test_category_discount_only_touches_its_category():
    lines = [line(1, "29.00", "books", "BOK-0004"), line(2, "8.75", "general", "MUG-0009")]
    result = quote(lines, "US-OR", rules=[PercentOff(D(50), "books")])
    assert [q.discount for q in result.lines] == [D("14.50"), D("0.00")]
    assert result.total == D("32.00")


def test_discount_never_exceeds_the_line():
    result = quote([line(1, "5.00")], "DE", rules=[PercentOff(D(150))])
    assert result.total == D("0.00")


@pytest.mark.parametrize("price, applied", [("19.99", False), ("20.00", True), ("50.00", True)])
def test_coupon_needs_its_minimum_subtotal(price, applied):
    coupon = Coupon("C5", D("5.00"), D("20.00"))
    result = quote([line(1, price)], "US-OR", coupon=coupon)
    assert result.discount == (D("5.00") if applied else D("0.00"))


def test_coupon_is_capped_at_the_order_value():
    result = quote([line(1, "10.00")], "US-NY", coupon=Coupon("BIG", D("100.00")))
    assert result.discount == D("10.00")
    assert result.total == D("0.00")


def test_coupon_is_spread_so_each_line_keeps_its_tax_rate():
    lines = [line(1, "10.00", "food", "FOD-0001"), line(1, "30.00", "general", "GEN-0002")]
    result = quote(lines, "DE", coupon=Coupon("C8", D("8.00")))
    assert [q.discount for q in result.lines] == [D("2.00"), D("6.00")]
    assert [q.tax for q in result.lines] == [D("0.56"), D("4.56")]
    assert result.total == D("37.12")


def test_coupon_shares_add_up_exactly():
    lines = [line(1, "1.00", sku=f"SHR-000{i}") for i in range(3)]
    result = quote(lines, "US-OR", coupon=Coupon("C1", D("1.00")))
    assert sum(q.discount for q in result.lines) == D("1.00")
    assert result.total == D("2.00")


def test_quote_needs_lines():
    with pytest.raises(ValidationError, match="at least one line"):
        quote([], "DE")


def test_quote_cache_counts_hits_and_misses():
    cache = QuoteCache()
    first = cache.quote([line(2, "10.00")], "DE")
    second = cache.quote([line(2, "10.00")], "DE")
    cache.quote([line(2, "10.00")], "FR")
    assert second is first
    assert (cache.hits, cache.misses, len(cache)) == (1, 2, 2)


def test_quote_cache_evicts_least_recently_used():
    cache = QuoteCache(capacity=2)
    a, b, c = ([line(1, "1.00", sku=f"LRU-000{i}")] for i in range(3))
    cache.quote(a, "DE")
    cache.quote(b, "DE")
    cache.quote(a, "DE")  # a is now the most recent
    cache.quote(c, "DE")  # evicts b
    cache.quote(a, "DE")
    cache.quote(b, "DE")
    assert (cache.hits, cache.misses) == (2, 4)


@pytest.mark.parametrize("capacity", [0, -1])
def test_quote_cache_needs_positive_capacity(capacity):
    with pytest.raises(ValidationError):
        QuoteCache(capacity)


# The storefront's full price table is expensive to build, so its tests share
# one module-scoped table and stay in one worker (or shard) to build it once.

TABLE_REGIONS = tuple(sorted(TAX_RATES))
TABLE_QUANTITIES = (1, 10, 100)
BULK = BulkDiscount(10, D(5))


@pytest.fixture(scope="module")
def table_products():
    categories = ("general", "food", "books", "electronics", "clothing")
    return [
        Product(f"TBL-{i:04d}", f"Item {i}", D(100 + i * 37) / 100, categories[i % len(categories)], i)
        for i in range(1200)
    ]


@pytest.fixture(scope="module")
def big_table(table_products):
    return price_table(table_products, TABLE_REGIONS, TABLE_QUANTITIES, rules=[BULK])


@pytest.mark.xdist_group("pricing-cache")
@pytest.mark.cpu_bound
class TestPriceTable:
    def test_covers_every_combination(self, big_table, table_products):
        assert len(big_table) == len(table_products) * len(TABLE_REGIONS) * len(TABLE_QUANTITIES)

    def test_bulk_units_are_cheaper_than_single_units(self, big_table, table_products):
        for product in table_products:
            for region in TABLE_REGIONS:
                single = big_table[(product.sku, region, 1)]
                for quantity in TABLE_QUANTITIES[1:]:
                    assert big_table[(product.sku, region, quantity)] / quantity < single, (product.sku, region)

    def test_tax_free_region_charges_the_net_price(self, big_table, table_products):
        for product in table_products:
            assert big_table[(product.sku, "US-OR", 1)] == product.price

    def test_every_total_is_whole_cents(self, big_table):
        assert all(total == total.quantize(D("0.01")) for total in big_table.values())

    def test_reduced_rates_show_in_the_table(self, big_table, table_products):
        food = next(p for p in table_products if p.category == "food")
        assert big_table[(food.sku, "DE", 1)] == money(food.price * D("1.07"))

    @pytest.mark.parametrize("region", TABLE_REGIONS)
    def test_matches_a_fresh_quote(self, big_table, table_products, region):
        for product in table_products[::25]:
            fresh = quote([OrderLine(product.sku, 10, product.price, product.category)], region, [BULK])
            assert big_table[(product.sku, region, 10)] == fresh.total


@pytest.mark.serial
def test_published_prices_land_in_the_shared_cache(shared_cache, catalog):
    table = price_table(catalog, ("DE", "US-CA"), (1,))
    for (sku, region, _), total in table.items():
        shared_cache.put(f"{sku}.{region}", str(total))
    assert len(shared_cache.keys()) == len(catalog) * 2
    assert shared_cache.get("APP-0001.DE") == str(money(D("3.49") * D("1.07")))
