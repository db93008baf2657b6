"""SQLite persistence of products and orders."""

import sqlite3
import threading
from decimal import Decimal

from inventory.errors import ConflictError, NotFoundError, OutOfStockError, ValidationError
from inventory.models import Order, OrderLine, Product
from inventory.pricing import quote

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    category TEXT NOT NULL,
    stock INTEGER NOT NULL CHECK (stock >= 0),
    tags TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    region TEXT NOT NULL,
    total_cents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS order_lines (
    order_id INTEGER NOT NULL REFERENCES orders(order_id),
    sku TEXT NOT NULL REFERENCES products(sku),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    category TEXT NOT NULL
);
"""


def _cents(amount):
    return int((amount * 100).to_integral_value())


def _amount(cents):
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class Store:
    """Products and orders in one SQLite file. Safe to share between threads."""

    def __init__(self, path):
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False)
        self._conn.execute("PRAGMA foreign_keys = ON")
        # WAL with NORMAL sync: durable enough for a shop, one fsync per checkpoint.
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self):
        with self._lock:
            self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # Products

    def add_product(self, product):
        with self._lock, self._conn:
            try:
                self._conn.execute(
                    "INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        product.sku,
                        product.name,
                        _cents(product.price),
                        product.category,
                        product.stock,
                        "|".join(product.tags),
                        product.description,
                    ),
                )
            except sqlite3.IntegrityError:
                raise ConflictError(f"product {product.sku} already exists") from None
        return product

    def add_products(self, products):
        """Adds all products or none of them."""
        with self._lock:
            try:
                with self._conn:
                    for product in products:
                        self._conn.execute(
                            "INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (
                                product.sku,
                                product.name,
                                _cents(product.price),
                                product.category,
                                product.stock,
                                "|".join(product.tags),
                                product.description,
                            ),
                        )
            except sqlite3.IntegrityError as error:
                raise ConflictError(f"import rejected: {error}") from None
        return len(products)

    def _row_to_product(self, row):
        sku, name, cents, category, stock, tags, description = row
        return Product(sku, name, _amount(cents), category, stock, tuple(t for t in tags.split("|") if t), description)

    def get_product(self, sku):
        with self._lock:
            row = self._conn.execute("SELECT * FROM products WHERE sku = ?", (sku,)).fetchone()
        if row is None:
            raise NotFoundError(f"no product {sku}")
        return self._row_to_product(row)

    def list_products(self, category=None):
        query = "SELECT * FROM products"
        params = ()
        if category is not None:
            query += " WHERE category = ?"
            params = (category,)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY sku", params).fetchall()
        return [self._row_to_product(row) for row in rows]

    def update_price(self, sku, price):
        from inventory.models import parse_price

        cents = _cents(parse_price(price))
        with self._lock, self._conn:
            cursor = self._conn.execute("UPDATE products SET price_cents = ? WHERE sku = ?", (cents, sku))
        if cursor.rowcount == 0:
            raise NotFoundError(f"no product {sku}")

    def adjust_stock(self, sku, delta):
        """Adds delta (may be negative) to the stock and returns the new level."""
        with self._lock, self._conn:
            row = self._conn.execute("SELECT stock FROM products WHERE sku = ?", (sku,)).fetchone()
            if row is None:
                raise NotFoundError(f"no product {sku}")
            new_stock = row[0] + delta
            if new_stock < 0:
                raise OutOfStockError(sku, -delta, row[0])
            self._conn.execute("UPDATE products SET stock = ? WHERE sku = ?", (new_stock, sku))
        return new_stock

    def low_stock(self, threshold):
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM products WHERE stock < ? ORDER BY stock, sku", (threshold,)
            ).fetchall()
        return [self._row_to_product(row) for row in rows]

    # Orders

    def place_order(self, customer, region, items, rules=(), coupon=None):
        """Reserves stock for [(sku, quantity)] and records the order atomically."""
        if not customer:
            raise ValidationError("an order needs a customer")
        if not items:
            raise ValidationError("an order needs at least one line")
        with self._lock:
            with self._conn:
                lines = []
                for sku, quantity in items:
                    row = self._conn.execute(
                        "SELECT price_cents, category, stock FROM products WHERE sku = ?", (sku,)
                    ).fetchone()
                    if row is None:
                        raise NotFoundError(f"no product {sku}")
                    cents, category, stock = row
                    line = OrderLine(sku, quantity, _amount(cents), category)
                    if quantity > stock:
                        raise OutOfStockError(sku, quantity, stock)
                    self._conn.execute("UPDATE products SET stock = stock - ? WHERE sku = ?", (quantity, sku))
                    lines.append(line)
                priced = quote(lines, region, rules, coupon)
                cursor = self._conn.execute(
                    "INSERT INTO orders (customer, region, total_cents) VALUES (?, ?, ?)",
                    (customer, region, _cents(priced.total)),
                )
                order_id = cursor.lastrowid
                self._conn.executemany(
                    "INSERT INTO order_lines VALUES (?, ?, ?, ?, ?)",
                    [(order_id, l.sku, l.quantity, _cents(l.unit_price), l.category) for l in lines],
                )
        return self.get_order(order_id)

    def get_order(self, order_id):
        with self._lock:
            row = self._conn.execute(
                "SELECT customer, region, total_cents FROM orders WHERE order_id = ?", (order_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no order {order_id}")
            line_rows = self._conn.execute(
                "SELECT sku, quantity, unit_price_cents, category FROM order_lines WHERE order_id = ? ORDER BY rowid",
                (order_id,),
            ).fetchall()
        lines = tuple(OrderLine(sku, qty, _amount(cents), cat) for sku, qty, cents, cat in line_rows)
        return Order(order_id, row[0], row[1], lines, _amount(row[2]))

    def orders_for(self, customer):
        with self._lock:
            ids = [r[0] for r in self._conn.execute(
                "SELECT order_id FROM orders WHERE customer = ? ORDER BY order_id", (customer,)
            )]
        return [self.get_order(order_id) for order_id in ids]

    def units_sold(self):
        """{sku: units} over every order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT sku, SUM(quantity) FROM order_lines GROUP BY sku ORDER BY sku"
            ).fetchall()
        return dict(rows)

    def revenue(self):
        with self._lock:
            cents = self._conn.execute("SELECT COALESCE(SUM(total_cents), 0) FROM orders").fetchone()[0]
        return _amount(cents)
