"""Pricing and tax engine: discounts, regional taxes, rounding and a quote cache."""

from collections import OrderedDict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from inventory.errors import ValidationError

CENT = Decimal("0.01")

# Standard rate per region, and reduced rates per (region, category).
TAX_RATES = {
    "US-CA": Decimal("0.0725"),
    "US-NY": Decimal("0.04"),
    "US-OR": Decimal("0"),
    "DE": Decimal("0.19"),
    "FR": Decimal("0.20"),
    "GB": Decimal("0.20"),
    "JP": Decimal("0.10"),
}
REDUCED_RATES = {
    ("DE", "food"): Decimal("0.07"),
    ("DE", "books"): Decimal("0.07"),
    ("FR", "food"): Decimal("0.055"),
    ("FR", "books"): Decimal("0.055"),
    ("GB", "food"): Decimal("0"),
    ("GB", "books"): Decimal("0"),
    ("JP", "food"): Decimal("0.08"),
}


def money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def tax_rate(region, category="general"):
    if region not in TAX_RATES:
        raise ValidationError(f"unknown tax region {region!r}; known: {', '.join(sorted(TAX_RATES))}")
    return REDUCED_RATES.get((region, category), TAX_RATES[region])


@dataclass(frozen=True)
class PercentOff:
    """A percentage off every line, or only the lines of one category."""

    percent: Decimal
    category: str = None

    def line_discount(self, line):
        if self.category and line.category != self.category:
            return Decimal(0)
        return line.amount * Decimal(self.percent) / 100


@dataclass(frozen=True)
class BulkDiscount:
    """A percentage off a line once it reaches a quantity."""

    min_quantity: int
    percent: Decimal

    def line_discount(self, line):
        if line.quantity < self.min_quantity:
            return Decimal(0)
        return line.amount * Decimal(self.percent) / 100


@dataclass(frozen=True)
class Coupon:
    """A fixed amount off the order when the subtotal reaches a minimum."""

    code: str
    amount_off: Decimal
    min_subtotal: Decimal = Decimal(0)


@dataclass(frozen=True)
class QuoteLine:
    sku: str
    quantity: int
    gross: Decimal
    discount: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Quote:
    region: str
    lines: tuple
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def quote(lines, region, rules=(), coupon=None):
    """Prices order lines: the best line rule applies, then the coupon, then tax.

    Only the single best rule applies to a line (rules do not stack). The coupon
    is spread over the lines in proportion to their net amount so that each
    line is taxed at its own rate.
    """
    if not lines:
        raise ValidationError("a quote needs at least one line")
    nets = []
    priced = []
    for line in lines:
        best = max((rule.line_discount(line) for rule in rules), default=Decimal(0))
        discount = money(min(best, line.amount))
        priced.append((line, discount))
        nets.append(line.amount - discount)
    net_total = sum(nets, Decimal(0))
    coupon_off = Decimal(0)
    if coupon is not None and net_total >= coupon.min_subtotal:
        coupon_off = min(money(coupon.amount_off), net_total)
    result = []
    remaining_coupon = coupon_off
    for index, ((line, discount), net) in enumerate(zip(priced, nets)):
        if index == len(priced) - 1:
            share = remaining_coupon
        else:
            share = money(coupon_off * net / net_total) if net_total else Decimal(0)
            remaining_coupon -= share
        taxable = net - share
        tax = money(taxable * tax_rate(region, line.category))
        result.append(QuoteLine(line.sku, line.quantity, money(line.amount), discount + share, tax))
    subtotal = sum((q.gross for q in result), Decimal(0))
    discount = sum((q.discount for q in result), Decimal(0))
    tax = sum((q.tax for q in result), Decimal(0))
    return Quote(region, tuple(result), subtotal, discount, tax, subtotal - discount + tax)


class QuoteCache:
    """A small LRU cache of quotes; counts hits and misses for the reports."""

    def __init__(self, capacity=256):
        if capacity <= 0:
            raise ValidationError("cache capacity must be positive")
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._entries = OrderedDict()

    def __len__(self):
        return len(self._entries)

    def quote(self, lines, region, rules=(), coupon=None):
        key = (tuple(lines), region, tuple(rules), coupon)
        if key in self._entries:
            self.hits += 1
            self._entries.move_to_end(key)
            return self._entries[key]
        self.misses += 1
        result = quote(lines, region, rules, coupon)
        self._entries[key] = result
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return result


def price_table(products, regions, quantities=(1, 10, 100), rules=()):
    """All-in prices for every (sku, region, quantity): what the storefront caches."""
    from inventory.models import OrderLine

    table = {}
    for product in products:
        for region in regions:
            for quantity in quantities:
                line = OrderLine(product.sku, quantity, product.price, product.category)
                table[(product.sku, region, quantity)] = quote([line], region, rules).total
    return table
