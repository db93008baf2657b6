"""A small inventory and order service used as the pytest-shards demo suite.

Pure standard library: a SQLite store, a JSON HTTP API, a pricing and tax
engine, CSV import/export, reports, a text search index, a slow supplier
gateway and a few CPU-heavy helpers (forecasting, catalog fingerprints).
"""

from inventory.errors import (
    CacheBusyError,
    ConflictError,
    InventoryError,
    NotFoundError,
    OutOfStockError,
    ValidationError,
)
from inventory.models import Order, OrderLine, Product

__all__ = [
    "CacheBusyError",
    "ConflictError",
    "InventoryError",
    "NotFoundError",
    "Order",
    "OrderLine",
    "OutOfStockError",
    "Product",
    "ValidationError",
]
