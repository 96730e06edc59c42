"""Items and their pre-annotations: bulk insert with de-duplication, pages, counts."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, case, func, insert, literal, select, update

from labelworks.domain.assignment import POOL_FRESH, POOL_STARTED
from labelworks.storage.sql import Sql
from labelworks.storage.tables import (
    annotations_table,
    imports,
    items,
    pre_annotations,
)

_ITEM_COLUMNS = (
    "INSERT INTO items (project_id, external_id, payload, metadata, content_hash, priority, "
    "import_id, import_line, n_submitted, n_leased, pool, created_at) "
)
# Single-row statements: a multi-row INSERT … SELECT (or a savepoint) makes SQLite copy every
# page it touches to a statement journal first, which measured 6x the write calls and 15%
# more time; a failed row undoes only itself, and the caller gives up the whole import.
_SQLITE_INSERT = (
    _ITEM_COLUMNS + "VALUES ({project}, ?, ?, ?, ?, 0, {import_id}, ?, 0, 0, 1, '{now}') "
    "ON CONFLICT (project_id, content_hash) DO NOTHING"
)
_PG_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS import_rows (e text, p text, m text, h text, l integer) "
    "ON COMMIT DROP"
)
_PG_INSERT = (
    _ITEM_COLUMNS + "SELECT %s, e, p, m, h, 0, %s, l, 0, 0, 1, %s FROM import_rows ORDER BY l "
    "ON CONFLICT (project_id, content_hash) DO NOTHING"
)
# A larger page cache for the content-hash index, whose inserts land at random places: with
# SQLite's default 2 MB most of them spill and re-read pages. Measured on 1M items: 2 MB
# 10.7-12.8 s of CPU, 16 MB 10.2-10.8, 32 MB 8.6-9.3, 64 MB 9.0. 32 MB is already nearly
# full at 100k items, so peak memory stays flat from there on (+9 MB at 1M).
_SQLITE_IMPORT_CACHE_KIB = 32 * 1024


class NewItem(NamedTuple):
    """One row ready to store; JSON columns already serialised by the caller.

    A tuple in the order of the insert's parameters, so that a batch is handed to the
    driver as it is (building a parameter tuple per row cost ~5% of an import).
    """

    external_id: str | None
    payload: str
    metadata: str
    content_hash: str
    line: int


@dataclass(frozen=True, slots=True)
class ExistingExternal:
    external_id: str
    item_id: int
    content_hash: str
    import_id: int | None
    import_line: int | None


def start_import(conn: Connection, project_id: int, *, source: str, fmt: str, now: datetime) -> int:
    return int(
        conn.execute(
            insert(imports)
            .values(project_id=project_id, source=source, format=fmt, created_at=now)
            .returning(imports.c.id)
        ).scalar_one()
    )


def finish_import(conn: Connection, import_id: int, *, rows: int, inserted: int) -> None:
    conn.execute(
        update(imports)
        .where(imports.c.id == import_id)
        .values(rows=rows, inserted=inserted, skipped=rows - inserted)
    )


@contextmanager
def bulk_load(conn: Connection) -> Iterator[None]:
    """Set the connection up for ``insert_batch`` calls, and back afterwards.

    SQLite: a larger page cache for the import only (the pooled connection gets its usual
    size back, even when the import fails). PostgreSQL: the temporary table that each batch
    is copied into, dropped with the transaction.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_STAGE)
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def existing_external_ids(
    conn: Connection, project_id: int, external_ids: Sequence[str]
) -> list[ExistingExternal]:
    """Which of ``external_ids`` the project already has: item, content hash, import, line."""
    if not external_ids:
        return []
    rows = conn.execute(
        select(
            items.c.external_id,
            items.c.id,
            items.c.content_hash,
            items.c.import_id,
            items.c.import_line,
        ).where(items.c.project_id == project_id, items.c.external_id.in_(external_ids))
    )
    return [
        ExistingExternal(
            str(r.external_id), int(r.id), str(r.content_hash), r.import_id, r.import_line
        )
        for r in rows
    ]


def insert_batch(
    conn: Connection,
    project_id: int,
    import_id: int,
    batch: Sequence[NewItem],
    now: datetime,
) -> int:
    """Insert new items in order, passing over payloads the project already has.

    Returns how many were inserted. Call inside ``bulk_load`` (and ``batch_guard``). An
    external id the project already has raises ``IntegrityError`` (unless its payload is a
    duplicate too: skipped). SQLite: one driver-level ``executemany``. PostgreSQL: ``COPY``
    (binary) into a temporary table, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``,
    which skips duplicates as COPY alone cannot.
    """
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        with (
            driver.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy("COPY import_rows FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(["text", "text", "text", "text", "int4"])
            write = copy.write_row
            for it in batch:
                write(it)
        inserted = conn.exec_driver_sql(_PG_INSERT, (project_id, import_id, now)).rowcount
        conn.exec_driver_sql("TRUNCATE import_rows")
        return int(inserted)
    # The per-import values are written into the statement (integers, and the timestamp as
    # sqlite3 would bind it), so each row's parameters are the NewItem itself.
    sql = _SQLITE_INSERT.format(
        project=int(project_id), import_id=int(import_id), now=now.isoformat(" ")
    )
    return int(conn.exec_driver_sql(sql, list(batch)).rowcount)


@contextmanager
def batch_guard(conn: Connection) -> Iterator[None]:
    """Undo a refused ``insert_batch`` so that the transaction can still be queried.

    PostgreSQL aborts the whole transaction at an error, so the batch runs in a savepoint.
    SQLite undoes just the failed statement (rows before it in the batch stay, and the
    caller's checks tell them apart by line); a savepoint there would journal every page.
    """
    if conn.dialect.name == "postgresql":
        with conn.begin_nested():
            yield
    else:
        yield


def ids_for_hashes(
    conn: Connection, project_id: int, import_id: int, hashes: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """(item id, source line) of items this import created, by content hash."""
    if not hashes:
        return {}
    rows = conn.execute(
        select(items.c.content_hash, items.c.id, items.c.import_line).where(
            items.c.project_id == project_id,
            items.c.import_id == import_id,
            items.c.content_hash.in_(hashes),
        )
    )
    return {str(r.content_hash): (int(r.id), int(r.import_line)) for r in rows}


def insert_pre_annotations(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(pre_annotations), list(rows))


def count_items(conn: Connection, project_id: int) -> int:
    query = select(func.count()).select_from(items).where(items.c.project_id == project_id)
    return int(conn.execute(query).scalar_one())


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: int
    external_id: str | None
    payload: dict[str, Any]
    metadata: dict[str, Any]
    n_submitted: int
    n_leased: int
    created_at: datetime


def get(conn: Connection, item_id: int) -> ItemRow | None:
    row = conn.execute(select(items).where(items.c.id == item_id)).first()
    return None if row is None else _to_item(row)


def _to_item(row: Any) -> ItemRow:
    return ItemRow(
        id=int(row.id),
        external_id=row.external_id,
        payload=json.loads(row.payload),
        metadata=json.loads(row.metadata),
        n_submitted=int(row.n_submitted),
        n_leased=int(row.n_leased),
        created_at=row.created_at,
    )


def page(conn: Connection, project_id: int, *, after_id: int, limit: int) -> list[ItemRow]:
    """Items in import order after ``after_id`` (keyset pagination)."""
    rows = conn.execute(
        select(items)
        .where(items.c.project_id == project_id, items.c.id > after_id)
        .order_by(items.c.id)
        .limit(limit)
    )
    return [_to_item(r) for r in rows]


_PRE_ANNOTATIONS_OF = Sql(
    "SELECT model, score, value FROM pre_annotations WHERE item_id = :item ORDER BY id"
)


def pre_annotations_of(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    """The item's pre-annotations (model, score, value) in the order they were imported."""
    rows = _PRE_ANNOTATIONS_OF.all(conn, {"item": item_id})
    return [{"model": m, "score": score, "value": json.loads(v)} for m, score, v in rows]


def pre_annotations_by_item(
    conn: Connection, item_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """The pre-annotations (model, score, value) of each of ``item_ids`` that has some."""
    found: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(item_ids), 1000):
        chunk = list(item_ids[start : start + 1000])
        query = (
            select(
                pre_annotations.c.item_id,
                pre_annotations.c.model,
                pre_annotations.c.score,
                pre_annotations.c.value,
            )
            .where(pre_annotations.c.item_id.in_(chunk))
            .order_by(pre_annotations.c.id)
        )
        for item_id, model, score, value in conn.execute(query):
            found.setdefault(item_id, []).append(
                {"model": model, "score": score, "value": json.loads(value)}
            )
    return found


def annotation_values(conn: Connection, project_id: int) -> Iterator[dict[str, Any]]:
    """Every annotation value of the project, streamed (spec changes check label use)."""
    # Options on the statement, not the connection: connection options would stick and
    # turn the caller's next UPDATE into a server-side cursor on PostgreSQL.
    result = conn.execute(
        select(annotations_table.c.value).where(annotations_table.c.project_id == project_id),
        execution_options={"stream_results": True, "yield_per": 5000},
    )
    for (value,) in result:
        yield json.loads(value)


def refresh_pools(conn: Connection, project_id: int, overlap: int) -> None:
    """Recompute every item's pool after the project's overlap changed (gold items stay
    out of the queue)."""
    conn.execute(
        update(items)
        .where(items.c.project_id == project_id, ~items.c.gold)
        .values(pool=pool_expr(overlap))
    )


def pool_expr(overlap: int, delta: int = 0) -> Any:
    """SQL for ``domain.assignment.pool_of`` over the row's counters plus ``delta``; an
    item's own ``target`` overrides ``overlap``."""
    load = items.c.n_submitted + items.c.n_leased + delta
    return case(
        (load >= func.coalesce(items.c.target, overlap), None),
        (load > 0, literal(POOL_STARTED)),
        else_=literal(POOL_FRESH),
    )


def project_of(conn: Connection, item_id: int) -> int | None:
    found = conn.execute(select(items.c.project_id).where(items.c.id == item_id)).scalar()
    return None if found is None else int(found)
