import io

import pytest

from inventory import Product
from inventory.csvio import COLUMNS, export_products, export_to_string, import_from_string, import_products

HEADER = ",".join(COLUMNS)


def test_export_then_import_round_trips(catalog):
    result = import_from_string(export_to_string(catalog))
    assert result.ok
    assert result.products == catalog


def test_export_writes_a_header_and_one_row_per_product(catalog):
    text = export_to_string(catalog)
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert len(lines) == len(catalog) + 1


def test_export_reports_the_row_count(catalog):
    assert export_products(catalog, io.StringIO()) == len(catalog)


def test_tags_are_pipe_separated(catalog):
    assert "fruit|organic" in export_to_string(catalog[:1])


def test_names_with_commas_and_quotes_survive(catalog):
    tricky = Product("QUO-0001", 'Tea, "Earl Grey", loose', "6.00", "food", 1)
    result = import_from_string(export_to_string([tricky]))
    assert result.products == [tricky]


def test_export_to_a_file_and_back(tmp_path, catalog):
    path = tmp_path / "exports" / "catalog.csv"
    path.parent.mkdir()
    with path.open("w", newline="") as f:
        export_products(catalog, f)
    with path.open(newline="") as f:
        assert import_products(f).products == catalog


@pytest.mark.parametrize(
    "row, message",
    [
        ("abc-0001,Bad sku,1.00,general,1,,", "invalid SKU"),
        ("BAD-0001,,1.00,general,1,,", "name must not be empty"),
        ("BAD-0001,No price,,general,1,,", "invalid price"),
        ("BAD-0001,Negative,-1.00,general,1,,", "non-negative"),
        ("BAD-0001,Thousandths,1.001,general,1,,", "more than two decimals"),
        ("BAD-0001,Unknown,1.00,toys,1,,", "unknown category"),
        ("BAD-0001,Fractional,1.00,general,1.5,,", "not an integer"),
        ("BAD-0001,Negative stock,1.00,general,-4,,", "stock must be"),
        ("BAD-0001,Extra,1.00,general,1,,,surplus", "too many fields"),
    ],
)
def test_bad_rows_are_reported_with_their_line(row, message):
    text = "\n".join([HEADER, "GOD-0001,Good row,1.00,general,1,,", row]) + "\n"
    result = import_from_string(text)
    assert [p.sku for p in result.products] == ["GOD-0001"]
    assert len(result.errors) == 1
    assert result.errors[0].line == 3
    assert message in result.errors[0].message


def test_every_bad_row_is_reported_not_just_the_first():
    text = "\n".join([HEADER, "x,a,1,general,1,,", "y,b,1,general,1,,", "OKK-0001,c,1,general,1,,"]) + "\n"
    result = import_from_string(text)
    assert [str(e).split(":")[0] for e in result.errors] == ["line 2", "line 3"]
    assert len(result.products) == 1


def test_duplicate_sku_is_an_error_on_its_second_line():
    text = "\n".join([HEADER, "DUP-0001,First,1.00,,,,", "DUP-0001,Second,2.00,,,,"]) + "\n"
    result = import_from_string(text)
    assert [p.name for p in result.products] == ["First"]
    assert str(result.errors[0]) == "line 3: duplicate SKU DUP-0001"


@pytest.mark.parametrize(
    "header, message",
    [("sku,name", "lacks column(s): price"), ("name,category", "sku, price"), ("sku,name,price,colour", "unknown column(s): colour")],
)
def test_header_problems_stop_the_import(header, message):
    result = import_from_string(header + "\nAAA-0001,x,1.00\n")
    assert result.products == []
    assert result.errors[0].line == 1
    assert message in result.errors[0].message


def test_empty_file():
    result = import_from_string("")
    assert not result.ok
    assert "header" in result.errors[0].message


def test_minimal_columns_get_defaults():
    result = import_from_string("SKU, Name ,Price\nMIN-0001,Minimal,2.5\n")
    product = result.products[0]
    assert (product.category, product.stock, product.tags, str(product.price)) == ("general", 0, (), "2.50")


def test_blank_lines_are_skipped():
    text = HEADER + "\n\nBLK-0001,Blank around,1.00,,,,\n,,,,,,\n"
    result = import_from_string(text)
    assert result.ok
    assert [p.sku for p in result.products] == ["BLK-0001"]


def test_imported_products_load_into_the_store(empty_store, catalog):
    result = import_from_string(export_to_string(catalog))
    assert empty_store.add_products(result.products) == len(catalog)
    assert empty_store.list_products() == sorted(catalog, key=lambda p: p.sku)
