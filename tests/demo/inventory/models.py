"""Value objects of the inventory domain."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from inventory.errors import ValidationError

SKU_PATTERN = re.compile(r"^[A-Z]{3}-\d{4}$")
CATEGORIES = ("general", "food", "books", "electronics", "clothing")


def validate_sku(sku):
    if not isinstance(sku, str) or not SKU_PATTERN.match(sku):
        raise ValidationError(f"invalid SKU {sku!r}: expected three capitals, '-', four digits")
    return sku


def parse_price(value):
    """Parses a price given as str, int or Decimal; floats are refused (rounding)."""
    if isinstance(value, float):
        raise ValidationError(f"price {value!r} is a float; pass a string or Decimal")
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"invalid price {value!r}") from None
    if not price.is_finite() or price < 0:
        raise ValidationError(f"price must be a non-negative number, got {value!r}")
    if price.as_tuple().exponent < -2:
        raise ValidationError(f"price {value!r} has more than two decimals")
    return price.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal
    category: str = "general"
    stock: int = 0
    tags: tuple = ()
    description: str = ""

    def __post_init__(self):
        validate_sku(self.sku)
        if not self.name or not self.name.strip():
            raise ValidationError(f"{self.sku}: name must not be empty")
        object.__setattr__(self, "price", parse_price(self.price))
        if self.category not in CATEGORIES:
            raise ValidationError(f"{self.sku}: unknown category {self.category!r}")
        if not isinstance(self.stock, int) or isinstance(self.stock, bool) or self.stock < 0:
            raise ValidationError(f"{self.sku}: stock must be a non-negative integer")
        object.__setattr__(self, "tags", tuple(sorted({t.strip().lower() for t in self.tags if t.strip()})))

    def with_stock(self, stock):
        return Product(self.sku, self.name, self.price, self.category, stock, self.tags, self.description)

    def to_dict(self):
        return {
            "sku": self.sku,
            "name": self.name,
            "price": str(self.price),
            "category": self.category,
            "stock": self.stock,
            "tags": list(self.tags),
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict):
            raise ValidationError("product must be a JSON object")
        missing = [k for k in ("sku", "name", "price") if k not in data]
        if missing:
            raise ValidationError(f"product is missing {', '.join(missing)}")
        return cls(
            sku=data["sku"],
            name=data["name"],
            price=data["price"],
            category=data.get("category", "general"),
            stock=data.get("stock", 0),
            tags=tuple(data.get("tags", ())),
            description=data.get("description", ""),
        )


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal
    category: str = "general"

    def __post_init__(self):
        validate_sku(self.sku)
        if not isinstance(self.quantity, int) or self.quantity <= 0:
            raise ValidationError(f"{self.sku}: quantity must be a positive integer")
        object.__setattr__(self, "unit_price", parse_price(self.unit_price))

    @property
    def amount(self):
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Order:
    order_id: int
    customer: str
    region: str
    lines: tuple = field(default_factory=tuple)
    total: Decimal = Decimal("0.00")

    @property
    def units(self):
        return sum(line.quantity for line in self.lines)
