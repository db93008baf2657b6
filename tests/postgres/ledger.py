"""A small double-entry ledger on PostgreSQL: what the example suite tests.

Every function takes a psycopg2 connection. Money moves only inside one
transaction that locks both accounts in a fixed order, so that concurrent
transfers can neither deadlock nor lose an update.
"""
import psycopg2
from psycopg2 import sql

SCHEMA_VERSION = 1

# The migration a fresh database gets. Plain CREATE TABLE, as migration tools
# emit: it expects the database to be this shard's alone.
MIGRATION = """
CREATE TABLE schema_version (version integer NOT NULL);
CREATE TABLE accounts (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    balance bigint NOT NULL CHECK (balance >= 0)
);
CREATE TABLE transfers (
    id serial PRIMARY KEY,
    source integer NOT NULL REFERENCES accounts (id),
    target integer NOT NULL REFERENCES accounts (id),
    amount bigint NOT NULL CHECK (amount > 0)
);
CREATE TABLE events (
    id bigserial PRIMARY KEY,
    author text NOT NULL,
    seq integer NOT NULL,
    UNIQUE (author, seq)
);
CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL);
"""
TABLES = ("schema_version", "accounts", "transfers", "events", "counters")


class InsufficientFunds(Exception):
    pass


def create_database(url, name):
    """CREATE DATABASE name, through the server's maintenance database.

    An existing database is kept: several shards configured with one shared
    name must get as far as colliding in it.
    """
    conn = psycopg2.connect(url, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except (psycopg2.errors.DuplicateDatabase, psycopg2.errors.UniqueViolation):
        pass
    finally:
        conn.close()


def migrate(conn):
    with conn, conn.cursor() as cur:
        cur.execute(MIGRATION)
        cur.execute("INSERT INTO schema_version VALUES (%s)", (SCHEMA_VERSION,))


def reset(conn):
    """Empties every table but schema_version: a clean slate per test."""
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE accounts, transfers, events, counters RESTART IDENTITY CASCADE")


def open_account(conn, name, balance=0):
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO accounts (name, balance) VALUES (%s, %s) RETURNING id",
                    (name, balance))
        return cur.fetchone()[0]


def balance(conn, name):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT balance FROM accounts WHERE name = %s", (name,))
        row = cur.fetchone()
        if row is None:
            raise KeyError(name)
        return row[0]


def total(conn):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(sum(balance), 0), count(*) FROM accounts")
        return cur.fetchone()


def transfer(conn, source, target, amount):
    """Moves `amount` from source to target, or nothing at all."""
    with conn, conn.cursor() as cur:
        # Lock both rows in name order: two opposite transfers cannot deadlock.
        cur.execute("SELECT name, id, balance FROM accounts WHERE name IN (%s, %s) "
                    "ORDER BY name FOR UPDATE", (source, target))
        rows = {name: (id_, bal) for name, id_, bal in cur.fetchall()}
        if source not in rows or target not in rows:
            raise KeyError(source if source not in rows else target)
        if rows[source][1] < amount:
            raise InsufficientFunds(f"{source} has {rows[source][1]}, needs {amount}")
        cur.execute("UPDATE accounts SET balance = balance - %s WHERE name = %s", (amount, source))
        cur.execute("UPDATE accounts SET balance = balance + %s WHERE name = %s", (amount, target))
        cur.execute("INSERT INTO transfers (source, target, amount) VALUES (%s, %s, %s)",
                    (rows[source][0], rows[target][0], amount))


def record_events(conn, author, count):
    """Appends events author/0 .. author/count-1, one transaction each."""
    for seq in range(count):
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO events (author, seq) VALUES (%s, %s)", (author, seq))


def increment(conn, name, times):
    for _ in range(times):
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO counters VALUES (%s, 1) ON CONFLICT (name) "
                        "DO UPDATE SET value = counters.value + 1", (name,))
