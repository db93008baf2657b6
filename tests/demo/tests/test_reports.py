import json
import re
import time
from decimal import Decimal

import pytest

from inventory import NotFoundError, Product
from inventory.reports import category_report, render, render_markdown, render_text, sales_report, stock_report

D = Decimal


def test_stock_report_has_a_row_per_product(catalog):
    report = stock_report(catalog)
    assert [row[0] for row in report.rows] == sorted(p.sku for p in catalog)


def test_stock_report_values(catalog):
    report = stock_report(catalog)
    row = next(r for r in report.rows if r[0] == "BOK-0003")
    assert row[3] == D("279.65")  # 7 x 39.95
    assert report.footer["total_value"] == sum(p.price * p.stock for p in catalog)


@pytest.mark.parametrize("threshold, low", [(0, 0), (1, 1), (4, 3), (5, 4), (1000, 10)])
def test_low_stock_flags(catalog, threshold, low):
    report = stock_report(catalog, low_stock_threshold=threshold)
    assert report.footer["low_stock"] == low
    assert sum(row[4] == "LOW" for row in report.rows) == low


def test_category_report(catalog):
    report = category_report(catalog)
    rows = {row[0]: row[1:] for row in report.rows}
    assert rows["books"] == (2, 10, D("366.65"))
    assert report.footer == {"categories": 5}


def test_sales_report_ranks_by_units(store):
    store.place_order("ada", "US-OR", [("MUG-0009", 1), ("APP-0001", 4)])
    store.place_order("bob", "US-OR", [("MUG-0009", 2)])
    report = sales_report(store)
    assert report.rows == [("APP-0001", "Granny Smith apples", 4), ("MUG-0009", "Enamel camping mug", 3)]
    assert report.footer["revenue"] == D("40.21")


def test_text_rendering_aligns_columns(catalog):
    text = render_text(stock_report(catalog[:2]))
    lines = text.splitlines()
    assert lines[:2] == ["Stock", "====="]
    header, rule, rows = lines[2], lines[3], lines[4:6]
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    assert [m.start() for m in re.finditer(r"\S+", header)] == starts
    for row in rows:
        assert row[starts[2]:].split()[0].isdigit()  # the stock column
    assert lines[-1].startswith("total_value: ")


def test_markdown_escapes_pipes():
    product = Product("PIP-0001", "Pipe | wrench", "10.00", stock=1)
    markdown = render_markdown(stock_report([product]))
    assert "Pipe \\| wrench" in markdown
    assert markdown.splitlines()[2].count("|") == 6


def test_json_rendering_is_plain_data(catalog):
    data = json.loads(render(stock_report(catalog), "json"))
    assert data["footer"]["products"] == len(catalog)
    assert all(isinstance(row[3], str) for row in data["rows"])


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_every_format_carries_title_and_rows(catalog, fmt):
    output = render(category_report(catalog), fmt)
    assert "Categories" in output
    for category in ("books", "clothing", "electronics", "food", "general"):
        assert category in output


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(stock_report([]), "pdf")


def test_empty_report_renders():
    assert render_text(stock_report([])).splitlines()[-1] == "total_value: 0.00"


# The outbox is one directory the whole host mails from: these tests hold its
# lock while they run, so the runner must keep them apart (lock "reports").


@pytest.mark.serial("reports")
@pytest.mark.io_bound
def test_outbox_numbers_reports_in_order(report_outbox, catalog):
    names = []
    for slug in ("stock", "categories", "stock"):
        names.append(report_outbox.publish(slug, stock_report(catalog).to_dict()))
        time.sleep(0.05)  # the mailer polls the outbox between publications
    assert names == ["0001-stock.json", "0002-categories.json", "0003-stock.json"]
    assert report_outbox.pending() == names


@pytest.mark.serial("reports")
@pytest.mark.io_bound
def test_draining_the_outbox_empties_it(report_outbox, catalog):
    report_outbox.publish("categories", category_report(catalog).to_dict())
    time.sleep(0.1)
    drained = report_outbox.drain()
    assert [name for name, _ in drained] == ["0001-categories.json"]
    assert drained[0][1]["title"] == "Categories"
    assert report_outbox.pending() == []


@pytest.mark.serial("reports")
def test_reading_a_missing_report(report_outbox):
    with pytest.raises(NotFoundError, match="0007-nothing.json"):
        report_outbox.read("0007-nothing.json")
