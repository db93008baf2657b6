"""Serial tests: tests of one lock must never overlap."""
import time

import pytest


@pytest.mark.serial
@pytest.mark.parametrize("n", range(2))
def test_default_lock(n):
    time.sleep(0.3)


@pytest.mark.serial("db")
def test_db_lock():
    time.sleep(0.3)


@pytest.mark.serial(lock="db")
def test_db_lock_keyword():
    time.sleep(0.3)


@pytest.mark.serial(exclusive=True)
def test_alone():
    time.sleep(0.2)
