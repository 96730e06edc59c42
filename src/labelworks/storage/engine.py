"""Engine set-up and transactions, with each database's locking done properly.

SQLite: WAL journal, foreign keys on, a short busy timeout, and write transactions opened
with ``BEGIN IMMEDIATE`` so two writers never both read-then-upgrade (the deadlock that
deferred transactions produce under concurrency). Read transactions use a plain ``BEGIN`` and
run beside writers thanks to WAL.

PostgreSQL: READ COMMITTED with explicit row locks (``FOR UPDATE [SKIP LOCKED]``) taken by
the repositories that need them.
"""

from __future__ import annotations

import fcntl
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

T = TypeVar("T")

# PostgreSQL deadlock and serialisation failures, SQLite lock timeouts: the transaction
# did nothing and can simply run again.
_RETRYABLE_SQLSTATES = {"40P01", "40001"}

_READ_ONLY = "labelworks_read_only"


def utcnow() -> datetime:
    """Naive UTC timestamp: the one form stored in every DateTime column."""
    return datetime.now(UTC).replace(tzinfo=None)


class Database:
    """One engine plus the transaction helpers the services layer uses."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> None:
        self.url = url
        # Caches above storage key on this, so two Database objects (tests, several apps in
        # one process) never see each other's cached answers.
        self.cache_scope = uuid.uuid4().hex
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
            # Recycling instead of pre-ping: a ping is one more round trip per transaction.
            kwargs["pool_recycle"] = 1800
        else:
            kwargs["poolclass"] = NullPool
        self.engine: Engine = create_engine(url, **kwargs)
        # SQLite has one writer at a time. Queueing writers on a lock hands the database
        # over the moment it is free; SQLite's own busy handler polls with sleeps of up to
        # 100 ms, which leaves it idle while waiters sleep. Threads queue on a thread lock,
        # then one per process on a lock file beside the database, so that several server
        # processes share one database file without meeting in the busy handler.
        self._writer = threading.Lock() if self.dialect == "sqlite" else None
        self._writer_wait = busy_timeout_ms / 1000
        self._writer_file: BinaryIO | None = None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, busy_timeout_ms)
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                # A file object, not a bare descriptor: closed when the Database goes.
                self._writer_file = open(f"{database}.writer", "ab")  # noqa: SIM115

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction: commits on success, rolls back on any exception."""
        held = self._writer is not None and self._writer.acquire(timeout=self._writer_wait)
        lock_file = self._writer_file if held else None
        try:
            if lock_file is not None:
                # Blocks without the GIL; the kernel hands the lock to the next process in
                # line the moment the holder's transaction ends (or its process dies).
                fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                with self.engine.begin() as conn:
                    yield conn
            finally:
                if lock_file is not None:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)
        finally:
            if held:
                assert self._writer is not None
                self._writer.release()

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read-only transaction that never takes SQLite's write lock.

        ``snapshot`` gives every statement the same view of the data (long exports);
        SQLite's WAL readers already have that, PostgreSQL needs REPEATABLE READ.
        """
        options: dict[str, Any] = {_READ_ONLY: True}
        if snapshot and self.is_postgresql:
            options["isolation_level"] = "REPEATABLE READ"
        with self.engine.execution_options(**options).begin() as conn:
            yield conn

    def run_write(self, work: Callable[[Connection], T], *, attempts: int = 8) -> T:
        """Run ``work`` in a write transaction, retrying transient lock conflicts."""
        for attempt in range(1, attempts + 1):
            try:
                with self.write() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if attempt == attempts or not _is_transient(exc):
                    raise
                time.sleep(random.uniform(0, 0.005 * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

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


def _is_transient(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)
