"""Serial tests: one lock each must never overlap; they share a file."""
import os
import tempfile
import time

import pytest

SHARED = os.path.join(tempfile.gettempdir(), "pytest-shards-e2e-shared.txt")


def _exclusive_use(name):
    # Holding the shared file for a while: an overlap would interleave writes.
    with open(SHARED, "a", encoding="utf-8") as f:
        f.write(f"begin {name}\n")
    time.sleep(0.3)
    with open(SHARED, "a", encoding="utf-8") as f:
        f.write(f"end {name}\n")


@pytest.mark.serial
@pytest.mark.parametrize("n", range(3))
def test_default_lock(n):
    _exclusive_use(f"default-{n}")


@pytest.mark.serial("db")
@pytest.mark.parametrize("n", range(3))
def test_db_lock(n):
    _exclusive_use(f"db-{n}")


@pytest.mark.serial(lock="db")
def test_db_lock_keyword():
    _exclusive_use("db-keyword")
