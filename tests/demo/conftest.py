"""Fixtures of the inventory demo suite.

Everything a test writes goes under its own tmp_path, and servers bind the
port the free_tcp_port fixture hands out, so any number of these tests can
run at once. The exceptions are the tests marked `serial`: they use the
host-wide shared directories of inventory.shared and rely on the runner to
keep them apart.
"""

import getpass
import os
import socket
import tempfile

import pytest

from inventory.api import serve
from inventory.client import ApiClient
from inventory.models import Product
from inventory.shared import ReportOutbox, SharedCache
from inventory.store import Store

CATALOG = [
    Product("APP-0001", "Granny Smith apples", "3.49", "food", 120, ("fruit", "organic"), "Crisp green apples, 1 kg bag"),
    Product("BRD-0002", "Sourdough bread", "4.20", "food", 15, ("bakery",), "Slow fermented loaf baked daily"),
    Product("BOK-0003", "The Pragmatic Programmer", "39.95", "books", 7, ("software", "classic"), "Journey to mastery"),
    Product("BOK-0004", "Python Testing with pytest", "29.00", "books", 3, ("software", "testing"), "Simple, rapid, effective testing"),
    Product("CAB-0005", "USB-C charging cable", "9.99", "electronics", 250, ("usb", "cable"), "1 m braided cable for charging phones"),
    Product("HDP-0006", "Noise cancelling headphones", "199.00", "electronics", 2, ("audio", "wireless"), "Over-ear wireless headphones"),
    Product("TSH-0007", "Organic cotton t-shirt", "18.50", "clothing", 40, ("organic", "cotton"), "Plain crew neck shirt"),
    Product("SCK-0008", "Wool hiking socks", "12.00", "clothing", 0, ("wool", "hiking"), "Warm socks for long walks"),
    Product("MUG-0009", "Enamel camping mug", "8.75", "general", 60, ("camping", "hiking"), "Lightweight mug for camping trips"),
    Product("LMP-0010", "Desk lamp", "34.90", "general", 4, ("light", "office"), "Adjustable LED desk lamp"),
]


class _FallbackShardFixtures:
    """What pytest_shards_plugin provides, for runs without it (plain pytest, xdist)."""

    @pytest.fixture
    def free_tcp_port(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]


def pytest_configure(config):
    # Defining free_tcp_port here unconditionally would shadow the plugin's
    # fixture (conftest fixtures win), losing the shard's private port range.
    if not config.pluginmanager.hasplugin("pytest_shards_plugin"):
        config.pluginmanager.register(_FallbackShardFixtures(), "inventory-demo-shard-fallback")


@pytest.fixture
def catalog():
    return list(CATALOG)


@pytest.fixture
def store(tmp_path, catalog):
    with Store(tmp_path / "inventory.sqlite3") as db:
        db.add_products(catalog)
        yield db


@pytest.fixture
def empty_store(tmp_path):
    with Store(tmp_path / "empty.sqlite3") as db:
        yield db


@pytest.fixture
def api(store, free_tcp_port):
    """A client of the API served on this test's port."""
    with serve(store, free_tcp_port) as server:
        yield ApiClient(server.url)


@pytest.fixture
def slow_api(store, free_tcp_port):
    """The API behind a slow upstream: every request takes ~0.1 s."""
    with serve(store, free_tcp_port, latency=0.1) as server:
        yield ApiClient(server.url)


def _shared_location():
    """Where the host-wide shared directories live, and how long to queue for them.

    Under pytest-shards, TMPDIR is private to a shard, so the shared root is the
    parent of the shard tmp dirs: every shard of this suite sees it, a second
    build running at the same time does not (CTest's RESOURCE_LOCK is per ctest
    run too). There the runner must keep serial tests apart, so opening a busy
    directory fails at once (wait 0): a broken `serial` guarantee fails tests.

    Elsewhere (plain pytest, pytest-xdist, which ignores `serial`) the root is
    the system temp dir and openers queue on the directory lock instead.
    """
    shard_tmp = os.environ.get("PYTEST_SHARD_TMPDIR")
    if shard_tmp:
        return os.path.join(os.path.dirname(os.path.abspath(shard_tmp)), "inventory-shared"), 0.0
    return os.path.join(tempfile.gettempdir(), f"inventory-demo-shared-{getpass.getuser()}"), 120.0


def _require_serial_lock(request, lock):
    """Host-wide directories are only safe for tests the runner keeps apart."""
    marker = request.node.get_closest_marker("serial")
    held = None
    if marker is not None:
        # As pytest-shards reads it: serial("x") or serial(lock="x"); bare serial is "serial".
        held = marker.kwargs.get("lock", marker.args[0] if marker.args else None) or "serial"
    if held != lock:
        wanted = "serial" if lock == "serial" else f"serial({lock!r})"
        pytest.fail(f"{request.node.nodeid} uses a shared directory: mark it {wanted}", pytrace=False)


@pytest.fixture
def shared_cache(request):
    """The host-wide quote cache (lock: serial, what a bare serial marker holds), emptied for the test."""
    _require_serial_lock(request, "serial")
    root, wait = _shared_location()
    with SharedCache(os.path.join(root, "quote-cache"), wait=wait) as cache:
        cache.clear()
        yield cache


@pytest.fixture
def report_outbox(request):
    """The host-wide report outbox (lock: reports), emptied for the test."""
    _require_serial_lock(request, "reports")
    root, wait = _shared_location()
    with ReportOutbox(os.path.join(root, "reports-outbox"), wait=wait) as outbox:
        outbox.drain()
        yield outbox
