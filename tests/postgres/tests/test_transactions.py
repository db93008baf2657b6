"""Transactions: all or nothing, isolation between connections, locks."""
import threading

import psycopg2
import pytest

import ledger


@pytest.fixture
def alice_and_bob(db):
    ledger.open_account(db, "alice", 100)
    ledger.open_account(db, "bob", 50)
    return db


def test_transfer_moves_money(alice_and_bob):
    db = alice_and_bob
    ledger.transfer(db, "alice", "bob", 30)
    assert (ledger.balance(db, "alice"), ledger.balance(db, "bob")) == (70, 80)
    with db, db.cursor() as cur:
        cur.execute("SELECT source, target, amount FROM transfers")
        assert cur.fetchall() == [(1, 2, 30)]


def test_failed_transfer_changes_nothing(alice_and_bob):
    db = alice_and_bob
    with pytest.raises(ledger.InsufficientFunds):
        ledger.transfer(db, "bob", "alice", 51)
    assert ledger.total(db) == (150, 2)
    with db, db.cursor() as cur:
        cur.execute("SELECT count(*) FROM transfers")
        assert cur.fetchone() == (0,)


def test_rollback_undoes_every_statement(alice_and_bob):
    db = alice_and_bob
    with db.cursor() as cur:
        cur.execute("UPDATE accounts SET balance = 0")
        cur.execute("DELETE FROM accounts WHERE name = 'bob'")
    db.rollback()
    assert ledger.total(db) == (150, 2)


def test_uncommitted_writes_are_invisible_to_other_connections(alice_and_bob, connect):
    writer, reader = alice_and_bob, connect()
    with writer.cursor() as cur:
        cur.execute("UPDATE accounts SET balance = 999 WHERE name = 'alice'")
        assert ledger.balance(reader, "alice") == 100
    writer.commit()
    assert ledger.balance(reader, "alice") == 999


def test_savepoint_keeps_the_work_before_it(alice_and_bob):
    db = alice_and_bob
    with db, db.cursor() as cur:
        cur.execute("UPDATE accounts SET balance = balance + 1 WHERE name = 'alice'")
        cur.execute("SAVEPOINT before_bob")
        cur.execute("UPDATE accounts SET balance = 0 WHERE name = 'bob'")
        cur.execute("ROLLBACK TO SAVEPOINT before_bob")
    assert (ledger.balance(db, "alice"), ledger.balance(db, "bob")) == (101, 50)


def test_row_lock_makes_a_second_writer_wait(alice_and_bob, connect):
    holder, waiter = alice_and_bob, connect()
    with holder.cursor() as cur:
        cur.execute("SELECT * FROM accounts WHERE name = 'alice' FOR UPDATE")
        with waiter.cursor() as other:
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg2.errors.LockNotAvailable):
                other.execute("UPDATE accounts SET balance = 0 WHERE name = 'alice'")
        waiter.rollback()
    holder.commit()
    ledger.transfer(waiter, "alice", "bob", 1)
    assert ledger.balance(holder, "alice") == 99


def test_serializable_write_skew_is_refused(db, connect):
    """Two doctors go off call at once; SERIALIZABLE lets only one commit."""
    ledger.open_account(db, "on-call-a", 1)
    ledger.open_account(db, "on-call-b", 1)
    first, second = connect(), connect()
    for conn in (first, second):
        conn.set_session(isolation_level="SERIALIZABLE")
    barrier = threading.Barrier(2)
    outcomes = {}

    def go_off_call(conn, name):
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT sum(balance) FROM accounts WHERE name LIKE 'on-call-%%'")
                on_call = cur.fetchone()[0]
                barrier.wait()
                if on_call >= 2:
                    cur.execute("UPDATE accounts SET balance = 0 WHERE name = %s", (name,))
            outcomes[name] = "committed"
        except psycopg2.errors.SerializationFailure:
            outcomes[name] = "refused"

    threads = [threading.Thread(target=go_off_call, args=(conn, name))
               for conn, name in ((first, "on-call-a"), (second, "on-call-b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["committed", "refused"]
    assert ledger.total(db) == (1, 2)
