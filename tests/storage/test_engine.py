"""The engine's per-database set-up: SQLite pragmas, write locking, readers beside writers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from labelworks.storage import migration
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.tables import memberships, vendors


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database with a short busy timeout, so lock waits end quickly."""
    database = Database(f"sqlite:///{tmp_path / 'engine.db'}", busy_timeout_ms=200)
    migration.upgrade(database)
    yield database
    database.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(sqlite_db: Database) -> None:
    """Every SQLite connection runs in WAL mode with foreign keys on and the busy timeout."""
    for transaction in (sqlite_db.read, sqlite_db.write):
        with transaction() as conn:
            pragmas = tuple(
                conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            )
        assert pragmas == ("wal", 1, 200, 1)  # synchronous 1 is NORMAL


def test_sqlite_enforces_foreign_keys(sqlite_db: Database) -> None:
    """A row pointing at a missing parent is refused, proving the pragma is in force."""
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), sqlite_db.write() as conn:
        conn.execute(memberships.insert().values(project_id=99, user_id=99, created_at=utcnow()))


def _vendor_count(conn: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(vendors)).scalar_one())


def test_open_read_does_not_block_a_writer(db: Database) -> None:
    """A writer commits while a read transaction is open, and the reader keeps its snapshot."""
    with db.read(snapshot=True) as reader:
        assert _vendor_count(reader) == 0
        with db.write() as writer:
            writer.execute(vendors.insert().values(name="Acme", created_at=utcnow()))
        assert _vendor_count(reader) == 0
    with db.read() as conn:
        assert _vendor_count(conn) == 1


def test_sqlite_writers_take_the_lock_at_begin(sqlite_db: Database) -> None:
    """A second write transaction cannot start while one is open (BEGIN IMMEDIATE)."""
    with sqlite_db.write() as first:
        first.execute(vendors.insert().values(name="Acme", created_at=utcnow()))
        with pytest.raises(OperationalError, match="database is locked"), sqlite_db.write():
            pass
    with sqlite_db.read() as conn:
        assert _vendor_count(conn) == 1


def test_run_write_retries_a_locked_database(sqlite_db: Database) -> None:
    """A transient 'database is locked' rolls the attempt back and runs the work again."""
    calls: list[str] = []

    def work(conn: Any) -> str:
        name = f"attempt {len(calls) + 1}"
        calls.append(name)
        conn.execute(vendors.insert().values(name=name, created_at=utcnow()))
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
        return "done"

    assert sqlite_db.run_write(work) == "done"
    assert calls == ["attempt 1", "attempt 2"]
    with sqlite_db.read() as conn:
        assert [r for (r,) in conn.execute(select(vendors.c.name))] == ["attempt 2"]


def test_run_write_does_not_retry_real_errors(sqlite_db: Database) -> None:
    """An integrity error is raised at once: retrying cannot help."""
    calls: list[int] = []

    def work(conn: Any) -> None:
        calls.append(1)
        conn.execute(memberships.insert().values(project_id=9, user_id=9, created_at=utcnow()))

    with pytest.raises(IntegrityError):
        sqlite_db.run_write(work)
    assert calls == [1]


def test_read_transactions_are_read_only_on_sqlite(sqlite_db: Database) -> None:
    """A read transaction starts with a plain BEGIN, so it never holds the write lock."""
    with sqlite_db.read() as conn:
        conn.execute(text("SELECT 1"))
        with sqlite_db.write() as writer:
            writer.execute(vendors.insert().values(name="Acme", created_at=utcnow()))


_WRITER = """
import sys, time
from sqlalchemy import text
from labelworks.storage.engine import Database

db = Database(sys.argv[1], busy_timeout_ms=50)
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
for n in range(int(sys.argv[3])):
    with db.write() as conn:  # a read-then-write inside, held a little while
        count = conn.execute(text("SELECT count(*) FROM vendors")).scalar_one()
        time.sleep(0.001)
        conn.execute(
            text("INSERT INTO vendors (name, created_at) VALUES (:n, '2026-01-01')"),
            {"n": f"{sys.argv[4]}-{n}-{count}"},
        )
"""


def test_sqlite_writers_in_several_processes_take_turns(tmp_path: Path) -> None:
    """Three processes writing one SQLite file at once, with a busy timeout far shorter than
    their combined work, all finish: the writer lock file beside the database queues them,
    instead of SQLite's busy handler refusing them with 'database is locked'."""
    import subprocess
    import sys
    import time

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    database = Database(url)
    migration.upgrade(database)
    start = str(time.time() + 2)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, url, start, "150", f"p{i}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    failures = [w.communicate()[1] for w in writers if w.wait() != 0]
    with database.read() as conn:
        written = conn.execute(select(func.count()).select_from(vendors)).scalar_one()
    database.dispose()
    assert (failures, written, (tmp_path / "shared.db.writer").exists()) == ([], 450, True)
