"""A tiny stock ledger whose tests ship inside the package."""


class OutOfStock(Exception):
    pass


class Ledger:
    def __init__(self):
        self.stock = {}

    def receive(self, sku, count):
        if count <= 0:
            raise ValueError("count must be positive")
        self.stock[sku] = self.stock.get(sku, 0) + count

    def ship(self, sku, count):
        if self.stock.get(sku, 0) < count:
            raise OutOfStock(sku)
        self.stock[sku] -= count
        return self.stock[sku]
