"""The shared quote cache.

Tests that use the host-wide cache (the shared_cache fixture) hold its lock
while they run, so they are marked serial: a second holder would get
CacheBusyError. The lock mechanics themselves are tested on private
directories under tmp_path, which need no marker.
"""

import os
import subprocess
import sys
import time

import pytest

from inventory import CacheBusyError, ValidationError
from inventory.models import OrderLine
from inventory.pricing import quote
from inventory.shared import LockedDir, SharedCache

HOLD_LOCK = """
import sys
from inventory.shared import LockedDir
with LockedDir(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()  # hold the lock until the test closes our stdin
"""


@pytest.fixture
def lock_holder(tmp_path, pytestconfig):
    """Another process holding the lock of tmp_path/'held'."""
    path = tmp_path / "held"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(pytestconfig.rootpath),
        env={**os.environ, "PYTHONPATH": str(pytestconfig.rootpath)},
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield path, proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_busy_directory_names_the_holder(lock_holder):
    path, proc = lock_holder
    with pytest.raises(CacheBusyError, match=f"in use by process {proc.pid}"):
        LockedDir(path)


@pytest.mark.io_bound
def test_waiting_opener_gets_the_lock_once_released(lock_holder):
    path, proc = lock_holder
    with pytest.raises(CacheBusyError):
        LockedDir(path, wait=0.1)
    proc.stdin.close()
    proc.wait(timeout=10)
    with LockedDir(path, wait=5) as opened:
        assert not opened.closed


def test_lock_is_exclusive_within_one_process_too(tmp_path):
    with SharedCache(tmp_path / "c"):
        with pytest.raises(CacheBusyError):
            SharedCache(tmp_path / "c")
    with SharedCache(tmp_path / "c") as again:
        assert again.keys() == []


def test_closed_cache_refuses_use(tmp_path):
    cache = SharedCache(tmp_path / "c")
    cache.close()
    with pytest.raises(ValidationError, match="closed"):
        cache.get("x")


@pytest.mark.parametrize("key", ["", "../escape", "a/b", "x" * 101, "sp ace"])
def test_invalid_keys(tmp_path, key):
    with SharedCache(tmp_path / "c") as cache, pytest.raises(ValidationError, match="invalid cache key"):
        cache.put(key, 1)


# The host-wide cache.


@pytest.mark.serial
def test_shared_cache_round_trip(shared_cache):
    shared_cache.put("greeting", {"text": "hello", "n": [1, 2]})
    assert shared_cache.get("greeting") == {"text": "hello", "n": [1, 2]}
    assert shared_cache.get("absent", "default") == "default"
    assert shared_cache.keys() == ["greeting"]


@pytest.mark.serial
@pytest.mark.io_bound
def test_shared_cache_warm_up(shared_cache, catalog):
    # Warming the cache means asking the slow pricing service once per product.
    for product in catalog:
        time.sleep(0.02)
        total = quote([OrderLine(product.sku, 1, product.price, product.category)], "GB").total
        shared_cache.put(product.sku, str(total))
    assert shared_cache.keys() == sorted(p.sku for p in catalog)
    assert shared_cache.get("BOK-0003") == "39.95"  # books are zero-rated in GB


@pytest.mark.serial
def test_shared_cache_clear(shared_cache):
    for i in range(5):
        shared_cache.put(f"k{i}", i)
    shared_cache.clear()
    assert shared_cache.keys() == []


@pytest.mark.serial
def test_shared_cache_refuses_a_second_holder(shared_cache):
    with pytest.raises(CacheBusyError):
        SharedCache(shared_cache.path)
