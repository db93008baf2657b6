"""Several connections writing at once, from threads of one test."""
import random
import threading

import pytest

import ledger


def in_threads(connect, work, count):
    """Runs work(conn, i) for i in range(count), each in a thread with its own
    connection, all starting together; re-raises the first error."""
    connections = [connect() for _ in range(count)]
    barrier = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            barrier.wait()
            work(connections[i], i)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("writers", [2, 4, 8])
def test_concurrent_inserts_all_land(db, connect, writers):
    per_writer = 60
    in_threads(connect, lambda conn, i: ledger.record_events(conn, f"writer-{i}", per_writer),
               writers)
    with db, db.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT id), count(DISTINCT author) FROM events")
        assert cur.fetchone() == (writers * per_writer, writers * per_writer, writers)
        cur.execute("SELECT max(id) FROM events")
        assert cur.fetchone() == (writers * per_writer,)


def test_concurrent_upserts_lose_no_increment(db, connect):
    in_threads(connect, lambda conn, i: ledger.increment(conn, "hits", 100), 6)
    with db, db.cursor() as cur:
        cur.execute("SELECT name, value FROM counters")
        assert cur.fetchall() == [("hits", 600)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_concurrent_transfers_keep_the_total(db, connect, seed):
    names = [f"account-{i}" for i in range(6)]
    for name in names:
        ledger.open_account(db, name, 1000)

    def shuffle_money(conn, i):
        rng = random.Random(seed * 100 + i)
        for _ in range(40):
            source, target = rng.sample(names, 2)
            try:
                ledger.transfer(conn, source, target, rng.randint(1, 300))
            except ledger.InsufficientFunds:
                pass

    in_threads(connect, shuffle_money, 4)
    assert ledger.total(db) == (6000, 6)
    with db, db.cursor() as cur:
        cur.execute("SELECT min(balance) >= 0, count(*) FROM accounts")
        assert cur.fetchone() == (True, 6)
        cur.execute("SELECT count(*) FROM transfers")
        (transfers,) = cur.fetchone()
        assert 0 < transfers <= 4 * 40
