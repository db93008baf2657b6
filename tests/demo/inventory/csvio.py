"""CSV import and export of the product catalog."""

import csv
import io
from dataclasses import dataclass, field

from inventory.errors import ValidationError
from inventory.models import Product

COLUMNS = ("sku", "name", "price", "category", "stock", "tags", "description")
REQUIRED = ("sku", "name", "price")


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    products: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def export_products(products, stream):
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for product in products:
        writer.writerow(
            [
                product.sku,
                product.name,
                str(product.price),
                product.category,
                product.stock,
                "|".join(product.tags),
                product.description,
            ]
        )
        count += 1
    return count


def export_to_string(products):
    buffer = io.StringIO()
    export_products(products, buffer)
    return buffer.getvalue()


def import_products(stream):
    """Reads products; bad rows are reported with their line number, not raised.

    A SKU that appears twice is an error on its second line.
    """
    reader = csv.DictReader(stream)
    result = ImportResult()
    if reader.fieldnames is None:
        result.errors.append(RowError(1, "empty file: expected a header row"))
        return result
    header = [name.strip().lower() for name in reader.fieldnames]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        result.errors.append(RowError(1, f"header lacks column(s): {', '.join(missing)}"))
        return result
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        result.errors.append(RowError(1, f"unknown column(s): {', '.join(unknown)}"))
        return result
    reader.fieldnames = header
    seen = set()
    for row in reader:
        line = reader.line_num
        if None in row:
            result.errors.append(RowError(line, "too many fields"))
            continue
        if all(not (value or "").strip() for value in row.values()):
            continue
        try:
            stock_text = (row.get("stock") or "0").strip()
            try:
                stock = int(stock_text)
            except ValueError:
                raise ValidationError(f"stock {stock_text!r} is not an integer") from None
            product = Product(
                sku=(row["sku"] or "").strip(),
                name=(row["name"] or "").strip(),
                price=(row["price"] or "").strip(),
                category=(row.get("category") or "general").strip() or "general",
                stock=stock,
                tags=tuple((row.get("tags") or "").split("|")),
                description=(row.get("description") or "").strip(),
            )
        except ValidationError as error:
            result.errors.append(RowError(line, str(error)))
            continue
        if product.sku in seen:
            result.errors.append(RowError(line, f"duplicate SKU {product.sku}"))
            continue
        seen.add(product.sku)
        result.products.append(product)
    return result


def import_from_string(text):
    return import_products(io.StringIO(text))
