import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from inventory.api import serve
from inventory.client import ApiClient

NEW_PRODUCT = {"sku": "KET-0011", "name": "Electric kettle", "price": "24.99", "category": "electronics", "stock": 9}


def test_health(api):
    assert api.get("/health") == (200, {"status": "ok"})


def test_server_listens_on_the_port_it_was_given(store, free_tcp_port):
    with serve(store, free_tcp_port) as server:
        assert server.server_address[1] == free_tcp_port
        with socket.create_connection(("127.0.0.1", free_tcp_port), timeout=2):
            pass


def test_list_products(api, catalog):
    status, body = api.get("/products")
    assert status == 200
    assert [p["sku"] for p in body] == sorted(p.sku for p in catalog)


@pytest.mark.parametrize("category, skus", [("books", ["BOK-0003", "BOK-0004"]), ("food", ["APP-0001", "BRD-0002"]), ("toys", [])])
def test_filter_by_category(api, category, skus):
    status, body = api.get(f"/products?category={category}")
    assert status == 200
    assert [p["sku"] for p in body] == skus


def test_get_product(api):
    status, body = api.get("/products/HDP-0006")
    assert status == 200
    assert body["price"] == "199.00"
    assert body["tags"] == ["audio", "wireless"]


def test_missing_product_is_404(api):
    status, body = api.get("/products/ZZZ-9999")
    assert status == 404
    assert "ZZZ-9999" in body["error"]


def test_create_product(api):
    assert api.post("/products", NEW_PRODUCT)[0] == 201
    status, body = api.get("/products/KET-0011")
    assert status == 200
    assert body["name"] == "Electric kettle"


def test_created_product_is_searchable(api):
    api.post("/products", NEW_PRODUCT)
    status, hits = api.get("/search?q=kettle")
    assert status == 200
    assert hits[0]["sku"] == "KET-0011"


def test_duplicate_product_is_409(api):
    status, body = api.post("/products", {"sku": "APP-0001", "name": "Again", "price": "1.00"})
    assert status == 409
    assert "already exists" in body["error"]


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"sku": "bad", "name": "x", "price": "1.00"}, "invalid SKU"),
        ({"sku": "NEW-0001", "name": "x", "price": "-3"}, "non-negative"),
        ({"sku": "NEW-0001", "name": "x"}, "missing price"),
        ({"sku": "NEW-0001", "name": "x", "price": "1", "category": "toys"}, "unknown category"),
        (["NEW-0001"], "JSON object"),
    ],
)
def test_invalid_product_is_400(api, payload, message):
    status, body = api.post("/products", payload)
    assert status == 400
    assert message in body["error"]


def test_body_must_be_json(api):
    status, body = api.request("POST", "/products", raw=b"{not json")
    assert (status, body) == (400, {"error": "request body is not JSON"})


def test_place_order(api):
    status, order = api.post("/orders", {"customer": "ada", "region": "DE", "lines": [{"sku": "APP-0001", "qty": 2}]})
    assert status == 201
    assert order["total"] == "7.47"  # 6.98 plus 7 % on food
    assert api.get("/products/APP-0001")[1]["stock"] == 118
    assert api.get(f"/orders/{order['order_id']}") == (200, order)


def test_coupon(api):
    payload = {"customer": "ada", "region": "US-OR", "lines": [{"sku": "TSH-0007", "qty": 2}], "coupon": "WELCOME5"}
    status, order = api.post("/orders", payload)
    assert (status, order["total"]) == (201, "32.00")


@pytest.mark.parametrize(
    "payload, status, message",
    [
        ({"customer": "ada", "region": "DE", "lines": [{"sku": "HDP-0006", "qty": 3}]}, 409, "only 2 in stock"),
        ({"customer": "ada", "region": "DE", "lines": [{"sku": "ZZZ-9999", "qty": 1}]}, 404, "ZZZ-9999"),
        ({"customer": "ada", "region": "DE", "lines": []}, 400, "non-empty"),
        ({"customer": "ada", "region": "DE", "lines": [{"sku": "APP-0001", "qty": "2"}]}, 400, "integer 'qty'"),
        ({"customer": "ada", "region": "XX", "lines": [{"sku": "APP-0001", "qty": 1}]}, 400, "unknown tax region"),
        ({"customer": "ada", "region": "DE", "lines": [{"sku": "APP-0001", "qty": 1}], "coupon": "FREE"}, 400, "unknown coupon"),
        ({"region": "DE", "lines": [{"sku": "APP-0001", "qty": 1}]}, 400, "customer"),
    ],
)
def test_rejected_orders(api, payload, status, message):
    got_status, body = api.post("/orders", payload)
    assert got_status == status
    assert message in body["error"]


def test_rejected_order_leaves_stock_alone(api):
    api.post("/orders", {"customer": "ada", "region": "DE", "lines": [{"sku": "APP-0001", "qty": 1}, {"sku": "HDP-0006", "qty": 9}]})
    assert api.get("/products/APP-0001")[1]["stock"] == 120


@pytest.mark.parametrize("path, status", [("/orders/999", 404), ("/orders/abc", 400), ("/nowhere", 404)])
def test_bad_paths(api, path, status):
    assert api.get(path)[0] == status


def test_wrong_method_is_405(api):
    assert api.request("DELETE", "/products/APP-0001")[0] == 405


@pytest.mark.parametrize("query, first", [("headphones", "HDP-0006"), ("python testing", "BOK-0004"), ("camping mug", "MUG-0009")])
def test_search_endpoint(api, query, first):
    status, hits = api.get("/search?q=" + query.replace(" ", "+"))
    assert status == 200
    assert hits[0]["sku"] == first


def test_parallel_orders_never_oversell(api):
    payload = {"customer": "rush", "region": "DE", "lines": [{"sku": "LMP-0010", "qty": 1}]}
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: api.post("/orders", payload)[0], range(16)))
    assert sorted(statuses) == [201] * 4 + [409] * 12
    assert api.get("/products/LMP-0010")[1]["stock"] == 0


# Behind a slow upstream every request takes about 0.1 s: these tests spend
# their time waiting, which is what parallel shards hide best.


@pytest.mark.io_bound
@pytest.mark.parametrize("path", ["/health", "/products", "/products/BOK-0003", "/search?q=organic"])
def test_slow_upstream_still_answers(slow_api, path):
    assert slow_api.get(path)[0] == 200


@pytest.mark.io_bound
def test_slow_upstream_order_flow(slow_api):
    status, order = slow_api.post("/orders", {"customer": "eve", "region": "JP", "lines": [{"sku": "BRD-0002", "qty": 5}]})
    assert status == 201
    assert slow_api.get(f"/orders/{order['order_id']}")[1]["total"] == order["total"] == "22.68"
    assert slow_api.get("/products/BRD-0002")[1]["stock"] == 10


@pytest.mark.io_bound
def test_slow_upstream_serves_clients_concurrently(slow_api):
    barrier = threading.Barrier(4, timeout=5)

    def fetch(sku):
        barrier.wait()
        return slow_api.get(f"/products/{sku}")[1]["sku"]

    skus = ["APP-0001", "BRD-0002", "BOK-0003", "BOK-0004"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(fetch, skus)) == skus


@pytest.mark.io_bound
def test_client_times_out_on_a_slow_upstream(store, free_tcp_port):
    with serve(store, free_tcp_port, latency=0.2) as server:
        with pytest.raises(OSError):  # socket.timeout / URLError
            ApiClient(server.url, timeout=0.05).get("/health")
        assert ApiClient(server.url, timeout=2).get("/health")[0] == 200


@pytest.mark.io_bound
@pytest.mark.parametrize(
    "region, total",
    [("DE", "42.75"), ("FR", "42.15"), ("GB", "39.95"), ("US-CA", "42.85")],  # books: 7 %, 5.5 %, 0 %, 7.25 %
)
def test_slow_upstream_book_orders(slow_api, region, total):
    payload = {"customer": "kim", "region": region, "lines": [{"sku": "BOK-0003", "qty": 1}]}
    assert slow_api.post("/orders", payload)[1]["total"] == total
