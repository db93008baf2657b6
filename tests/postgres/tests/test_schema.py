"""The migration and the constraints it sets up."""
import psycopg2
import pytest

import ledger


def test_migration_ran_once_in_this_database(db):
    with db, db.cursor() as cur:
        cur.execute("SELECT version FROM schema_version")
        assert cur.fetchall() == [(ledger.SCHEMA_VERSION,)]


def test_every_table_exists(db):
    with db, db.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' ORDER BY table_name")
        assert [name for (name,) in cur.fetchall()] == sorted(ledger.TABLES)


def test_account_names_are_unique(db):
    ledger.open_account(db, "alice", 10)
    with pytest.raises(psycopg2.errors.UniqueViolation):
        ledger.open_account(db, "alice", 20)
    assert ledger.balance(db, "alice") == 10


def test_balance_cannot_be_negative(db):
    with pytest.raises(psycopg2.errors.CheckViolation):
        ledger.open_account(db, "overdrawn", -1)
    assert ledger.total(db) == (0, 0)


def test_transfer_needs_existing_accounts(db):
    ledger.open_account(db, "alice", 10)
    with pytest.raises(KeyError):
        ledger.transfer(db, "alice", "nobody", 5)
    with db, db.cursor() as cur, pytest.raises(psycopg2.errors.ForeignKeyViolation):
        cur.execute("INSERT INTO transfers (source, target, amount) VALUES (1, 999, 5)")


@pytest.mark.parametrize("amount", [0, -5])
def test_transfer_amounts_are_positive(db, amount):
    ledger.open_account(db, "alice", 10)
    ledger.open_account(db, "bob", 0)
    with pytest.raises(psycopg2.errors.CheckViolation):
        ledger.transfer(db, "alice", "bob", amount)
    assert (ledger.balance(db, "alice"), ledger.balance(db, "bob")) == (10, 0)


def test_identities_start_at_one_after_reset(db):
    assert ledger.open_account(db, "first") == 1
    assert ledger.open_account(db, "second") == 2
