"""Exceptions raised by the inventory service."""


class InventoryError(Exception):
    """Base class of every error the service raises on purpose."""


class ValidationError(InventoryError):
    """Input data is malformed (bad SKU, negative price, ...)."""


class NotFoundError(InventoryError):
    """A product or order does not exist."""


class ConflictError(InventoryError):
    """The operation clashes with existing data (duplicate SKU, ...)."""


class OutOfStockError(InventoryError):
    """An order asks for more units than are in stock."""

    def __init__(self, sku, requested, available):
        super().__init__(f"{sku}: requested {requested}, only {available} in stock")
        self.sku = sku
        self.requested = requested
        self.available = available


class CacheBusyError(InventoryError):
    """Another process holds the lock of a shared directory."""
