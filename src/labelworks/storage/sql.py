"""Fixed SQL for the hot path, run on the database driver's own cursor.

The annotators' next/submit cycle sends about fifteen small statements. Through SQLAlchemy
Core each costs 25–70 µs of Python (building the statement, its cache key, binding and
result processing) against 5–8 µs for the driver itself, so the busiest statements are
written once as text and run on the driver connection of the caller's SQLAlchemy
transaction: same connection, same transaction, same locks.

Parameters are written ``:name``; SQLite's driver takes that style, psycopg gets it
rewritten to ``%(name)s`` once. Date-times are stored as SQLAlchemy stores them on each
database (text on SQLite, ``timestamp`` on PostgreSQL), so rows written here and rows
written through Core stay comparable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def sqlite_time(value: datetime) -> str:
    """A naive date-time in SQLAlchemy's SQLite storage format (always with microseconds,
    so that text order is time order)."""
    return value.isoformat(" ", "microseconds")


def stored_day(at: datetime) -> str:
    """The UTC day of ``at`` as day columns hold it (``YYYY-MM-DD``, on both databases)."""
    return at.date().isoformat()


def read_time(value: Any) -> datetime:
    """A stored date-time back as ``datetime`` (SQLite hands back its text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class Sql:
    """One statement, written once for both databases (or once per database)."""

    __slots__ = ("postgresql", "sqlite")

    def __init__(self, text: str, *, postgresql: str | None = None) -> None:
        self.sqlite = text
        self.postgresql = _NAMED.sub(r"%(\1)s", postgresql or text)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Execute in ``conn``'s transaction; returns the driver's cursor."""
        driver = conn.connection.driver_connection
        assert driver is not None
        if conn.dialect.name == "postgresql":
            return driver.execute(self.postgresql, params)
        return driver.execute(
            self.sqlite,
            {k: sqlite_time(v) if isinstance(v, datetime) else v for k, v in params.items()},
        )

    def one(self, conn: Connection, params: Mapping[str, Any]) -> Sequence[Any] | None:
        """The first row, or ``None``."""
        row: Sequence[Any] | None = self.run(conn, params).fetchone()
        return row

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        rows: list[Sequence[Any]] = self.run(conn, params).fetchall()
        return rows
