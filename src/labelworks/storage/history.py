"""Restoring finished annotations with an import: the rows a submit would have left.

A submit writes an assignment (closed, ``submitted``), the annotation pointing at it, the
item's counters and queue pool, and the annotator's count of the day; restored history
writes the same, in bulk, so that leasing, counts, "an annotator never gets the same item
twice" (the assignment per item and annotator) and exports see it as submitted work.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from labelworks.storage.leases import pool_after
from labelworks.storage.sql import Sql, sqlite_time, stored_day
from labelworks.storage.tables import (
    annotations_table,
    items,
    memberships,
    users,
    vendors,
)


@dataclass(frozen=True, slots=True)
class RestoredAnnotation:
    """One annotation to store: its item, annotator and what the export said of it."""

    item_id: int
    annotator_id: int
    value: str
    created_at: datetime
    seconds: float | None
    guideline_version: int | None
    key: str


def user_ids(
    conn: Connection, emails: Collection[str], *, only_vendor: str | None = None
) -> dict[str, int]:
    """Ids of the users with these (normalised) emails; absent ones are left out, and so
    are people of other vendors than ``only_vendor`` (when given)."""
    if not emails:
        return {}
    query = select(users.c.email, users.c.id).where(users.c.email.in_(emails))
    if only_vendor is not None:
        query = query.join(vendors, vendors.c.id == users.c.vendor_id).where(
            vendors.c.name == only_vendor
        )
    return {str(r.email): int(r.id) for r in conn.execute(query)}


_ASSIGN = (
    "INSERT INTO assignments (project_id, item_id, annotator_id, state, leased_at, "
    "expires_at, closed_at, lease_count, guideline_version, retest) "
    "VALUES ({p}, {p}, {p}, 'submitted', {p}, {p}, {p}, 1, {p}, false)"
)
# The assignment is found by the (item, annotator, retest) key, which is unique: one
# statement per annotation, no ids handed back and forth.
_ANNOTATE = (
    "INSERT INTO annotations (assignment_id, project_id, item_id, annotator_id, value, "
    "seconds, guideline_version, idempotency_key, created_at, after_expiry) VALUES ("
    "(SELECT id FROM assignments WHERE item_id = {p} AND annotator_id = {p} AND NOT retest), "
    "{p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, false)"
)


def insert_history(
    conn: Connection, project_id: int, restored: Sequence[RestoredAnnotation]
) -> None:
    """Store each annotation with its closed assignment (two driver-level
    ``executemany``: through SQLAlchemy's insert with ``RETURNING`` it took most of a
    history import's time)."""
    if not restored:
        return
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"

    def moment(at: datetime) -> Any:
        return at if postgres else sqlite_time(at)

    conn.exec_driver_sql(
        _ASSIGN.format(p=mark),
        [
            (
                project_id,
                r.item_id,
                r.annotator_id,
                *(moment(r.created_at),) * 3,
                r.guideline_version,
            )
            for r in restored
        ],
    )
    conn.exec_driver_sql(
        _ANNOTATE.format(p=mark),
        [
            (
                r.item_id,
                r.annotator_id,
                project_id,
                r.item_id,
                r.annotator_id,
                r.value,
                r.seconds,
                r.guideline_version,
                r.key,
                moment(r.created_at),
            )
            for r in restored
        ],
    )


# As a submit moves them (``assignments._MOVE_SUBMITTED``), by ``:n`` at once.
_ADD_SUBMITTED = Sql(
    f"UPDATE items SET n_submitted = n_submitted + :n, pool = {pool_after(':n')} "
    "WHERE id = :item_id AND NOT gold"
)


def add_submitted(conn: Connection, counts: Mapping[int, int], overlap: int) -> None:
    """Count ``counts[item]`` more submitted annotations on each item (not gold items)."""
    if not counts:
        return
    sql = _ADD_SUBMITTED.postgresql if conn.dialect.name == "postgresql" else _ADD_SUBMITTED.sqlite
    rows = [{"item_id": item_id, "n": n, "overlap": overlap} for item_id, n in counts.items()]
    conn.exec_driver_sql(sql, rows)


def full_items(conn: Connection, item_ids: Collection[int], overlap: int) -> list[int]:
    """Which of the items have reached their overlap (their own target, or the project's)."""
    out: list[int] = []
    wanted = sorted(item_ids)
    for at in range(0, len(wanted), 1000):
        chunk = wanted[at : at + 1000]
        rows = conn.execute(
            select(items.c.id)
            .where(
                items.c.id.in_(chunk),
                items.c.gold.is_(False),
                items.c.n_submitted >= func.coalesce(items.c.target, overlap),
            )
            .order_by(items.c.id)
        )
        out.extend(int(r[0]) for r in rows)
    return out


def recount_day(conn: Connection, project_id: int, user_id: int, now: datetime) -> None:
    """Set the member's count of the day from their annotations (restored ones may be
    dated today)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    done = conn.execute(
        select(func.count())
        .select_from(annotations_table)
        .where(
            annotations_table.c.project_id == project_id,
            annotations_table.c.annotator_id == user_id,
            annotations_table.c.created_at >= midnight,
        )
    ).scalar_one()
    conn.execute(
        update(memberships)
        .where(memberships.c.project_id == project_id, memberships.c.user_id == user_id)
        .values(done_day=stored_day(midnight), done_count=int(done))
    )
