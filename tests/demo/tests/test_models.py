from decimal import Decimal

import pytest

from inventory import Order, OrderLine, Product, ValidationError
from inventory.models import parse_price, validate_sku


@pytest.mark.parametrize("sku", ["ABC-0000", "XYZ-9999", "APP-0001", "QQQ-1234"])
def test_valid_skus_pass(sku):
    assert validate_sku(sku) == sku


@pytest.mark.parametrize(
    "sku",
    ["abc-0001", "AB-0001", "ABCD-0001", "ABC-001", "ABC0001", "ABC-00011", " ABC-0001", "", None, 1234],
)
def test_invalid_skus_are_rejected(sku):
    with pytest.raises(ValidationError, match="invalid SKU"):
        validate_sku(sku)


@pytest.mark.parametrize(
    "raw, expected",
    [("3.49", "3.49"), ("10", "10.00"), (7, "7.00"), (Decimal("0.5"), "0.50"), (" 2.10 ", "2.10"), ("0", "0.00")],
)
def test_parse_price_normalises_to_cents(raw, expected):
    price = parse_price(raw)
    assert price == Decimal(expected)
    assert str(price) == expected


@pytest.mark.parametrize("raw", ["-1", "abc", "", "1.234", "NaN", "Infinity", 1.5])
def test_parse_price_rejects_bad_values(raw):
    with pytest.raises(ValidationError):
        parse_price(raw)


def test_product_normalises_tags():
    product = Product("TAG-0001", "Tagged", "1.00", tags=(" Organic", "fruit", "organic ", ""))
    assert product.tags == ("fruit", "organic")


def test_product_round_trips_through_dict(catalog):
    for product in catalog:
        assert Product.from_dict(product.to_dict()) == product


def test_product_dict_is_json_friendly(catalog):
    data = catalog[0].to_dict()
    assert data["price"] == "3.49"
    assert isinstance(data["tags"], list)


@pytest.mark.parametrize("missing", ["sku", "name", "price"])
def test_from_dict_names_the_missing_field(missing):
    data = {"sku": "NEW-0001", "name": "New", "price": "1.00"}
    del data[missing]
    with pytest.raises(ValidationError, match=missing):
        Product.from_dict(data)


def test_from_dict_needs_an_object():
    with pytest.raises(ValidationError, match="JSON object"):
        Product.from_dict(["NEW-0001"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"category": "toys"}, "unknown category"),
        ({"stock": -1}, "stock"),
        ({"stock": True}, "stock"),
        ({"stock": 2.0}, "stock"),
        ({"name": "   "}, "name"),
    ],
)
def test_product_validation(kwargs, message):
    fields = {"sku": "VAL-0001", "name": "Valid", "price": "1.00"}
    fields.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        Product(**fields)


def test_with_stock_keeps_everything_else(catalog):
    original = catalog[1]
    changed = original.with_stock(99)
    assert changed.stock == 99
    assert changed.to_dict() | {"stock": original.stock} == original.to_dict()


@pytest.mark.parametrize(
    "quantity, unit_price, amount",
    [(1, "3.49", "3.49"), (3, "3.49", "10.47"), (12, "0.99", "11.88"), (100, "199.00", "19900.00")],
)
def test_order_line_amount(quantity, unit_price, amount):
    assert OrderLine("AMT-0001", quantity, unit_price).amount == Decimal(amount)


@pytest.mark.parametrize("quantity", [0, -3, 1.5])
def test_order_line_needs_positive_integer_quantity(quantity):
    with pytest.raises(ValidationError, match="quantity"):
        OrderLine("QTY-0001", quantity, "1.00")


def test_order_counts_units():
    lines = (OrderLine("AAA-0001", 2, "1.00"), OrderLine("BBB-0002", 5, "2.00"))
    assert Order(1, "ada", "DE", lines).units == 7
