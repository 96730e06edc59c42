"""Engine set-up and transactions, with each database's locking done properly.

SQLite: WAL journal, foreign keys on, a short busy timeout, and write transactions opened
with ``BEGIN IMMEDIATE`` so two writers never both read-then-upgrade (the deadlock that
deferred transactions produce under concurrency). Read transactions use a plain ``BEGIN`` and
run beside writers thanks to WAL.

PostgreSQL: READ COMMITTED with explicit row locks (``FOR UPDATE [SKIP LOCKED]``) taken by
the repositories that need them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

_READ_ONLY = "labelworks_read_only"


def utcnow() -> datetime:
    """Naive UTC timestamp: the one form stored in every DateTime column."""
    return datetime.now(UTC).replace(tzinfo=None)


class Database:
    """One engine plus the transaction helpers the services layer uses."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
            kwargs["pool_size"] = 8
            kwargs["max_overflow"] = 32
        elif self.dialect == "postgresql":
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 40
            kwargs["pool_pre_ping"] = True
        else:
            kwargs["poolclass"] = NullPool
        self.engine: Engine = create_engine(url, **kwargs)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, busy_timeout_ms)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction: commits on success, rolls back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction that never takes SQLite's write lock."""
        with self.engine.execution_options(**{_READ_ONLY: True}).begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit at the driver level so that SQLAlchemy's "begin" hook decides how a
        # transaction starts (pysqlite would otherwise emit its own deferred BEGIN).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
