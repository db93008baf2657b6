"""A small JSON HTTP API over the store, on http.server.

Routes:
  GET  /health                 {"status": "ok"}
  GET  /products[?category=c]  list of products
  GET  /products/<sku>         one product
  POST /products               create a product (201)
  POST /orders                 {"customer", "region", "lines": [{"sku", "qty"}], "coupon"?}
  GET  /orders/<id>            one order
  GET  /search?q=...           [{"sku", "score"}]
"""

import contextlib
import json
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from inventory.errors import ConflictError, NotFoundError, OutOfStockError, ValidationError
from inventory.models import Product
from inventory.pricing import Coupon
from inventory.search import SearchIndex

COUPONS = {
    "WELCOME5": Coupon("WELCOME5", Decimal("5.00"), Decimal("20.00")),
    "BIG20": Coupon("BIG20", Decimal("20.00"), Decimal("200.00")),
}
MAX_BODY = 1 << 20


def order_to_dict(order):
    return {
        "order_id": order.order_id,
        "customer": order.customer,
        "region": order.region,
        "total": str(order.total),
        "lines": [{"sku": l.sku, "qty": l.quantity, "unit_price": str(l.unit_price)} for l in order.lines],
    }


class App:
    """The routing and the state, independent of the HTTP plumbing."""

    def __init__(self, store, latency=0.0):
        self.store = store
        self.latency = latency
        self.index = SearchIndex()
        self._index_lock = threading.Lock()
        for product in store.list_products():
            self.index.add_product(product)

    def handle(self, method, path, query, body):
        """Returns (status, json-able payload)."""
        if self.latency:
            time.sleep(self.latency)  # the upstream warehouse system is slow
        parts = [p for p in path.split("/") if p]
        try:
            if method == "GET" and parts == ["health"]:
                return 200, {"status": "ok"}
            if method == "GET" and parts == ["products"]:
                category = query.get("category", [None])[0]
                return 200, [p.to_dict() for p in self.store.list_products(category)]
            if method == "GET" and len(parts) == 2 and parts[0] == "products":
                return 200, self.store.get_product(parts[1]).to_dict()
            if method == "POST" and parts == ["products"]:
                product = self.store.add_product(Product.from_dict(body))
                with self._index_lock:
                    self.index.add_product(product)
                return 201, product.to_dict()
            if method == "POST" and parts == ["orders"]:
                return 201, order_to_dict(self._place_order(body))
            if method == "GET" and len(parts) == 2 and parts[0] == "orders":
                if not parts[1].isdigit():
                    raise ValidationError(f"order id {parts[1]!r} is not a number")
                return 200, order_to_dict(self.store.get_order(int(parts[1])))
            if method == "GET" and parts == ["search"]:
                text = query.get("q", [""])[0]
                with self._index_lock:
                    hits = self.index.search(text, limit=int(query.get("limit", ["10"])[0]))
                return 200, [{"sku": sku, "score": score} for sku, score in hits]
        except ValidationError as error:
            return 400, {"error": str(error)}
        except NotFoundError as error:
            return 404, {"error": str(error)}
        except (ConflictError, OutOfStockError) as error:
            return 409, {"error": str(error)}
        if parts and parts[0] in ("health", "products", "orders", "search"):
            return 405, {"error": f"{method} not allowed on {path}"}
        return 404, {"error": f"no route {path}"}

    def _place_order(self, body):
        if not isinstance(body, dict):
            raise ValidationError("order must be a JSON object")
        lines = body.get("lines")
        if not isinstance(lines, list) or not lines:
            raise ValidationError("order needs a non-empty 'lines' list")
        items = []
        for line in lines:
            if not isinstance(line, dict) or "sku" not in line or not isinstance(line.get("qty"), int):
                raise ValidationError("each line needs 'sku' and an integer 'qty'")
            items.append((line["sku"], line["qty"]))
        coupon = None
        if body.get("coupon"):
            coupon = COUPONS.get(body["coupon"])
            if coupon is None:
                raise ValidationError(f"unknown coupon {body['coupon']!r}")
        return self.store.place_order(body.get("customer", ""), body.get("region", ""), items, coupon=coupon)


class Handler(BaseHTTPRequestHandler):
    server_version = "inventory/1.0"

    def log_message(self, format, *args):  # keep test output clean
        pass

    def _dispatch(self, method):
        url = urlsplit(self.path)
        body = None
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._send(413, {"error": "request body too large"})
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return self._send(400, {"error": "request body is not JSON"})
        status, payload = self.server.app.handle(method, url.path, parse_qs(url.query), body)
        self._send(status, payload)

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64  # bursts of concurrent clients must not overflow the backlog

    def handle_error(self, request, client_address):
        # A client that gave up (timeout) is routine, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, address, app):
        super().__init__(address, Handler)
        self.app = app

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@contextlib.contextmanager
def serve(store, port, host="127.0.0.1", latency=0.0):
    """Runs the API in a background thread for the duration of the block."""
    server = Server((host, port), App(store, latency))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
