"""Browsing a project's items: filtered keyset pages in any of the table's orders, their
(bounded) count, one item in full, who works now. The filters are ``item_filters``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from labelworks.storage.item_filters import ItemFilter, beyond, conditions, key_column, order
from labelworks.storage.tables import annotations_table, assignments, items, users, vendors
from labelworks.storage.walls import within_wall


@dataclass(frozen=True, slots=True)
class ItemSummary:
    id: int
    external_id: str | None
    payload: str
    n_submitted: int
    n_leased: int
    priority: int
    target: int | None
    created_at: datetime


def cursor_key(conn: Connection, project_id: int, sort: str, item_id: int) -> tuple[bool, Any]:
    """Whether the project has item ``item_id``, and its value of the sort's key (where a
    page that starts or ends at it continues from)."""
    row = conn.execute(
        select(key_column(sort)).where(items.c.id == item_id, items.c.project_id == project_id)
    ).first()
    return (False, None) if row is None else (True, row[0])


def _summaries(conn: Connection, query: Any, wall: str | None) -> list[ItemSummary]:
    """``query`` (a select from items) with the columns of a table row added; behind a
    wall, ``n_submitted`` counts only the wall's annotations."""
    submitted: Any = items.c.n_submitted
    if wall is not None:
        submitted = (
            select(func.count())
            .where(
                annotations_table.c.item_id == items.c.id,
                within_wall(annotations_table.c.annotator_id, wall),
            )
            .scalar_subquery()
        )
    query = query.with_only_columns(
        items.c.id,
        items.c.external_id,
        items.c.payload,
        submitted.label("n_submitted"),
        items.c.n_leased,
        items.c.priority,
        items.c.target,
        items.c.created_at,
    )
    return [
        ItemSummary(
            int(r.id),
            r.external_id,
            str(r.payload),
            int(r.n_submitted),
            int(r.n_leased),
            int(r.priority),
            None if r.target is None else int(r.target),
            r.created_at,
        )
        for r in conn.execute(query)
    ]


def item_page(
    conn: Connection,
    project_id: int,
    overlap: int,
    f: ItemFilter,
    *,
    sort: str = "id",
    cursor: tuple[Any, int] | None = None,
    backwards: bool = False,
    limit: int,
) -> list[ItemSummary]:
    """Up to ``limit`` matching items in ``sort`` order after the cursor row (its sort key
    and id; ``None``: from the start), or the ``limit`` just before it with ``backwards``
    (still in ``sort`` order)."""
    where = conditions(conn.dialect.name, project_id, overlap, f)
    if cursor is not None:
        where.append(beyond(sort, cursor[0], cursor[1], backwards=backwards))
    query = (
        select(items.c.id)
        .where(and_(*where))
        .order_by(*order(sort, backwards=backwards))
        .limit(limit)
    )
    rows = _summaries(conn, query, f.wall)
    if backwards:
        rows.reverse()
    return rows


def items_by_ids(conn: Connection, ids: list[int], wall: str | None) -> list[ItemSummary]:
    """The table rows of items ``ids`` (of one page), in that order."""
    found = {r.id: r for r in _summaries(conn, select(items.c.id).where(items.c.id.in_(ids)), wall)}
    return [found[i] for i in ids if i in found]


def count_matching(conn: Connection, project_id: int, overlap: int, f: ItemFilter) -> int:
    """How many items ``f`` matches, exactly (reads every matching row)."""
    query = select(func.count()).where(and_(*conditions(conn.dialect.name, project_id, overlap, f)))
    return int(conn.execute(query).scalar_one())


# A filtered read walks the project's ids in ranges growing from FIRST_SPAN to LAST_SPAN.
FIRST_SPAN = 4096
LAST_SPAN = 262_144


def _id_bounds(conn: Connection, project_id: int) -> tuple[int, int] | None:
    """The project's smallest and largest item id (two index probes)."""
    low = conn.execute(select(func.min(items.c.id)).where(items.c.project_id == project_id))
    high = conn.execute(select(func.max(items.c.id)).where(items.c.project_id == project_id))
    first, last = low.scalar(), high.scalar()
    return None if first is None or last is None else (int(first), int(last))


def matching_keys(
    conn: Connection,
    project_id: int,
    overlap: int,
    f: ItemFilter,
    sort: str = "id",
    *,
    limit: int,
    above: int | None = None,
    below: int | None = None,
    descending: bool = False,
) -> list[tuple[int, Any]]:
    """(id, value of the sort's key) of the first ``limit`` items ``f`` matches in id order
    (from the end with ``descending``), with ids strictly between ``above`` and ``below``.

    Read in growing ranges of ids, each an index range scan, so the database stops once it
    has ``limit`` of them whatever it guesses about the filters: PostgreSQL cannot estimate
    a LIKE or a JSON test, guesses them rare, and would otherwise read the whole table and
    sort it to find the first fifty of a filter that one item in ten matches.
    """
    bounds = _id_bounds(conn, project_id)
    if bounds is None:
        return []
    low = bounds[0] if above is None else max(bounds[0], above + 1)
    high = bounds[1] if below is None else min(bounds[1], below - 1)
    found: list[tuple[int, Any]] = []
    span = FIRST_SPAN
    while low <= high and len(found) < limit:
        start, end = (
            (max(low, high - span + 1), high) if descending else (low, min(high, low + span - 1))
        )
        where = conditions(conn.dialect.name, project_id, overlap, f, (start, end))
        query = (
            select(items.c.id, key_column(sort))
            .where(*where)
            .order_by(items.c.id.desc() if descending else items.c.id)
            .limit(limit - len(found))
        )
        found.extend((int(r[0]), r[1]) for r in conn.execute(query))
        if descending:
            high = start - 1
        else:
            low = end + 1
        span = min(2 * span, LAST_SPAN)
    return found


def queue_settings(conn: Connection, item_id: int) -> tuple[int | None, int]:
    """The item's own target (``None``: the project's overlap) and its priority."""
    row = conn.execute(select(items.c.target, items.c.priority).where(items.c.id == item_id)).one()
    return (None if row[0] is None else int(row[0]), int(row[1]))


def metadata_sample(conn: Connection, project_id: int, limit: int) -> list[str]:
    """The metadata (JSON text) of the project's first ``limit`` items."""
    query = (
        select(items.c.metadata)
        .where(items.c.project_id == project_id)
        .order_by(items.c.id)
        .limit(limit)
    )
    return [str(m) for m in conn.execute(query).scalars()]


@dataclass(frozen=True, slots=True)
class AnnotationView:
    annotator: str
    vendor: str | None
    value: dict[str, Any]
    seconds: float | None
    guideline_version: int | None
    created_at: datetime
    after_expiry: bool


def annotations_of_item(
    conn: Connection, item_id: int, wall: str | None = None
) -> list[AnnotationView]:
    rows = conn.execute(
        select(
            users.c.email,
            vendors.c.name.label("vendor"),
            annotations_table.c.value,
            annotations_table.c.seconds,
            annotations_table.c.guideline_version,
            annotations_table.c.created_at,
            annotations_table.c.after_expiry,
        )
        .join(users, users.c.id == annotations_table.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(
            annotations_table.c.item_id == item_id,
            within_wall(annotations_table.c.annotator_id, wall),
        )
        .order_by(annotations_table.c.id)
    )
    return [
        AnnotationView(
            r.email,
            r.vendor,
            json.loads(r.value),
            r.seconds,
            r.guideline_version,
            r.created_at,
            bool(r.after_expiry),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class ActiveLease:
    annotator: str
    vendor: str | None
    item_id: int
    leased_at: datetime
    expires_at: datetime


def active_leases(
    conn: Connection, project_id: int, now: datetime, wall: str | None = None
) -> list[ActiveLease]:
    """Who holds a live lease right now, newest first."""
    rows = conn.execute(
        select(
            users.c.email,
            vendors.c.name.label("vendor"),
            assignments.c.item_id,
            assignments.c.leased_at,
            assignments.c.expires_at,
        )
        .join(users, users.c.id == assignments.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(
            assignments.c.project_id == project_id,
            assignments.c.state == "leased",
            assignments.c.expires_at >= now,
            within_wall(assignments.c.annotator_id, wall),
        )
        .order_by(assignments.c.leased_at.desc())
        .limit(200)
    )
    return [ActiveLease(r.email, r.vendor, int(r.item_id), r.leased_at, r.expires_at) for r in rows]


def submitted_since(conn: Connection, project_id: int, annotator_id: int, since: datetime) -> int:
    query = select(func.count()).where(
        annotations_table.c.project_id == project_id,
        annotations_table.c.annotator_id == annotator_id,
        annotations_table.c.created_at >= since,
    )
    return int(conn.execute(query).scalar_one())


def open_items(conn: Connection, project_id: int) -> int:
    """Items that still take leases (answered from the partial ``ix_items_next`` index)."""
    query = select(func.count()).where(items.c.project_id == project_id, items.c.pool.is_not(None))
    return int(conn.execute(query).scalar_one())
