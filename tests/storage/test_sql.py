"""Fixed SQL on the driver cursor (storage.sql): one text for both databases, and the rows
it writes read back through SQLAlchemy exactly as rows written through it."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from labelworks.storage.engine import Database
from labelworks.storage.sql import Sql, read_time, sqlite_time
from labelworks.storage.tables import vendors


def test_named_parameters_become_psycopg_ones_and_casts_stay() -> None:
    """``:name`` is rewritten for psycopg; ``::type`` casts and ``12:30`` are left alone."""
    query = Sql("SELECT CAST(:x AS INTEGER), a::text, '12:30' FROM t WHERE b = :y_2")
    assert (query.sqlite, query.postgresql) == (
        "SELECT CAST(:x AS INTEGER), a::text, '12:30' FROM t WHERE b = :y_2",
        "SELECT CAST(%(x)s AS INTEGER), a::text, '12:30' FROM t WHERE b = %(y_2)s",
    )


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_sqlite_times_read_back_and_sort_as_times(moment: datetime) -> None:
    """The SQLite text form always has microseconds (text order is time order) and reads
    back to the same moment."""
    text = sqlite_time(moment)
    assert (len(text), read_time(text)) == (26, moment)


def test_rows_written_on_the_driver_cursor_read_back_through_core(db: Database) -> None:
    """A date-time written by fixed SQL is the same value SQLAlchemy reads, and a fixed-SQL
    read of a row written through Core gives it back too."""
    moment = datetime(2026, 12, 2, 7, 0, 0)
    insert = Sql("INSERT INTO vendors (name, created_at) VALUES (:name, :at) RETURNING id")
    with db.write() as conn:
        row = insert.one(conn, {"name": "Acme", "at": moment})
        conn.execute(vendors.insert().values(name="Globex", created_at=moment))
    assert row is not None
    with db.read() as conn:
        core = [tuple(r) for r in conn.execute(select(vendors.c.name, vendors.c.created_at))]
        fixed = [
            (name, read_time(at))
            for name, at in Sql("SELECT name, created_at FROM vendors ORDER BY id").all(conn, {})
        ]
    assert (core, fixed) == ([("Acme", moment), ("Globex", moment)],) * 2
