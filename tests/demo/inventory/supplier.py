"""A remote supplier reached over a slow network, and the restocking job using it.

The gateway is a local stand-in for a supplier's web service: every call
waits `latency` seconds the way a real round trip would, which makes the
restocking job I/O-bound.
"""

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from inventory.errors import InventoryError, NotFoundError


class SupplierUnavailable(InventoryError):
    pass


@dataclass(frozen=True)
class SupplierQuote:
    sku: str
    unit_cost: Decimal
    available: int
    lead_days: int


class SupplierGateway:
    def __init__(self, latency=0.05, catalog=None, fail_every=0):
        self.latency = latency
        self.catalog = catalog  # None: the supplier carries every SKU
        self.fail_every = fail_every
        self.calls = 0
        self.purchases = []
        self._lock = threading.Lock()

    def _round_trip(self):
        with self._lock:
            self.calls += 1
            call = self.calls
        time.sleep(self.latency)
        if self.fail_every and call % self.fail_every == 0:
            raise SupplierUnavailable(f"supplier timed out on call {call}")

    def fetch_quote(self, sku):
        self._round_trip()
        if self.catalog is not None and sku not in self.catalog:
            raise NotFoundError(f"supplier does not carry {sku}")
        # Deterministic per SKU, like a real price list.
        digest = hashlib.sha256(sku.encode()).digest()
        cents = 100 + int.from_bytes(digest[:2], "big") % 5000
        return SupplierQuote(sku, Decimal(cents) / 100, 10 + digest[2] % 90, 1 + digest[3] % 14)

    def purchase(self, sku, quantity):
        self._round_trip()
        with self._lock:
            self.purchases.append((sku, quantity))
        return quantity


def fetch_quotes(gateway, skus, workers=4, retries=1):
    """Quotes for many SKUs with concurrent requests; {sku: quote or exception}."""

    def one(sku):
        for attempt in range(retries + 1):
            try:
                return gateway.fetch_quote(sku)
            except SupplierUnavailable as error:
                if attempt == retries:
                    return error
            except NotFoundError as error:
                return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(skus, pool.map(one, skus)))


def restock(store, gateway, threshold, target, workers=4):
    """Brings every product below threshold up to target, as far as the supplier has units.

    Returns {sku: units added}. SKUs the supplier cannot quote are skipped.
    """
    low = store.low_stock(threshold)
    quotes = fetch_quotes(gateway, [p.sku for p in low], workers=workers)
    added = {}
    for product in low:
        offer = quotes[product.sku]
        if isinstance(offer, Exception):
            continue
        wanted = min(target - product.stock, offer.available)
        if wanted <= 0:
            continue
        gateway.purchase(product.sku, wanted)
        store.adjust_stock(product.sku, wanted)
        added[product.sku] = wanted
    return added
