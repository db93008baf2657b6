"""Fixtures of the PostgreSQL example.

DATABASE_URL names this shard's database (pytest-shards expands
app_{shard} per shard); the session creates it and migrates it once. Every
test writes an evidence record (when POSTGRES_EXAMPLE_EVIDENCE is set) that
tests/e2e/postgres_check.py reads: which shard, database and server ran it,
and when.
"""
import json
import os
import pathlib
import time
import urllib.parse

import psycopg2
import pytest

import ledger


def database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise pytest.UsageError(
            "DATABASE_URL is not set; run this suite through ctest (tests/postgres/CMakeLists.txt) "
            "or point it at a server: DATABASE_URL=postgresql:///app?host=/run/postgresql")
    return url


def database_name(url):
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.lstrip("/"))


@pytest.fixture(scope="session")
def migrated_database():
    url = database_url()
    ledger.create_database(url, database_name(url))
    conn = psycopg2.connect(url)
    try:
        ledger.migrate(conn)
    finally:
        conn.close()
    return url


@pytest.fixture
def connect(migrated_database):
    """Opens connections to this shard's database; closes them after the test."""
    opened = []

    def open_connection():
        conn = psycopg2.connect(migrated_database)
        opened.append(conn)
        return conn

    yield open_connection
    for conn in opened:
        conn.close()


@pytest.fixture
def db(connect):
    conn = connect()
    ledger.reset(conn)
    return conn


def server_identity(conn):
    """The database and the postmaster behind a connection."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT current_database(), current_setting('data_directory'), "
                    "pg_postmaster_start_time()::text")
        database, data_directory, started = cur.fetchone()
    try:
        pid_file = pathlib.Path(data_directory) / "postmaster.pid"
        server_pid = int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        server_pid = None
    return {"database": database, "data_directory": data_directory,
            "server_started": started, "server_pid": server_pid}


@pytest.fixture(autouse=True)
def evidence(request, migrated_database):
    directory = os.environ.get("POSTGRES_EXAMPLE_EVIDENCE")
    start = time.time()
    yield
    if not directory:
        return
    conn = psycopg2.connect(migrated_database)
    try:
        identity = server_identity(conn)
    finally:
        conn.close()
    shard = os.environ.get("PYTEST_SHARD_INDEX", "0")
    record = {"nodeid": request.node.nodeid, "shard": int(shard), "pid": os.getpid(),
              "start": start, "end": time.time(), "database_url": migrated_database,
              **identity}
    path = pathlib.Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    with open(path / f"shard-{shard}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
