"""Ordinary tests that take a little time, so that shards overlap."""
import os
import socket
import sqlite3
import time

import pytest


@pytest.mark.parametrize("n", range(24))
def test_sqlite_under_tmpdir(n):
    path = os.path.join(os.environ["TMPDIR"], os.environ.get("SUITE_DB", "db.sqlite"))
    with sqlite3.connect(path) as db:
        db.execute("create table if not exists t (n integer primary key)")
        db.execute("insert into t values (?)", (n,))
    time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("n", range(8))
def test_port_from_shard_range(n, free_tcp_port, shard_port_range):
    assert free_tcp_port in shard_port_range
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
        s.bind(("127.0.0.1", free_tcp_port))
        s.listen()
    time.sleep(0.1)


def test_shard_index_fixture(shard_index):
    assert shard_index == int(os.environ.get("PYTEST_SHARD_INDEX", "0"))
