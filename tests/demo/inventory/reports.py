"""Reports over the catalog and the sales: as text, Markdown or JSON."""

import json
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Report:
    title: str
    columns: tuple
    rows: list = field(default_factory=list)
    footer: dict = field(default_factory=dict)

    def to_dict(self):
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [[_plain(v) for v in row] for row in self.rows],
            "footer": {k: _plain(v) for k, v in self.footer.items()},
        }


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def stock_report(products, low_stock_threshold=5):
    """One row per product with its stock value; low-stock rows are flagged."""
    report = Report("Stock", ("sku", "name", "stock", "value", "flag"))
    total_value = Decimal("0.00")
    low = 0
    for product in sorted(products, key=lambda p: p.sku):
        value = product.price * product.stock
        total_value += value
        flag = "LOW" if product.stock < low_stock_threshold else ""
        low += bool(flag)
        report.rows.append((product.sku, product.name, product.stock, value, flag))
    report.footer = {"products": len(report.rows), "low_stock": low, "total_value": total_value}
    return report


def sales_report(store):
    """Units and revenue per SKU from the recorded orders."""
    report = Report("Sales", ("sku", "name", "units"))
    sold = store.units_sold()
    for sku, units in sorted(sold.items(), key=lambda item: (-item[1], item[0])):
        report.rows.append((sku, store.get_product(sku).name, units))
    report.footer = {"units": sum(sold.values()), "revenue": store.revenue()}
    return report


def category_report(products):
    """Products, units in stock and stock value per category."""
    totals = {}
    for product in products:
        count, units, value = totals.get(product.category, (0, 0, Decimal("0.00")))
        totals[product.category] = (count + 1, units + product.stock, value + product.price * product.stock)
    report = Report("Categories", ("category", "products", "units", "value"))
    for category in sorted(totals):
        report.rows.append((category, *totals[category]))
    report.footer = {"categories": len(totals)}
    return report


def render_text(report):
    cells = [list(map(str, report.columns))] + [[str(_plain(v)) for v in row] for row in report.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(report.columns))]
    lines = [report.title, "=" * len(report.title)]
    for index, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    for key, value in report.footer.items():
        lines.append(f"{key}: {_plain(value)}")
    return "\n".join(lines) + "\n"


def _md_escape(text):
    return str(text).replace("\\", "\\\\").replace("|", "\\|")


def render_markdown(report):
    lines = [f"## {report.title}", ""]
    lines.append("| " + " | ".join(report.columns) + " |")
    lines.append("|" + "|".join("---" for _ in report.columns) + "|")
    for row in report.rows:
        lines.append("| " + " | ".join(_md_escape(_plain(v)) for v in row) + " |")
    if report.footer:
        lines.append("")
        for key, value in report.footer.items():
            lines.append(f"- **{key}**: {_plain(value)}")
    return "\n".join(lines) + "\n"


def render_json(report):
    return json.dumps(report.to_dict(), indent=2, sort_keys=True)


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}


def render(report, fmt):
    try:
        return RENDERERS[fmt](report)
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(RENDERERS)}") from None
