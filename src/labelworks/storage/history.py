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

from sqlalchemy import Connection, func, insert, select, update

from labelworks.storage.leases import pool_after
from labelworks.storage.sql import Sql, stored_day
from labelworks.storage.tables import (
    annotations_table,
    assignments,
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


def insert_history(
    conn: Connection, project_id: int, restored: Sequence[RestoredAnnotation]
) -> list[int]:
    """Store each annotation with its closed assignment; returns the annotation ids."""
    if not restored:
        return []
    leased = conn.execute(
        insert(assignments).returning(assignments.c.id, sort_by_parameter_order=True),
        [
            {
                "project_id": project_id,
                "item_id": r.item_id,
                "annotator_id": r.annotator_id,
                "state": "submitted",
                "leased_at": r.created_at,
                "expires_at": r.created_at,
                "closed_at": r.created_at,
                "guideline_version": r.guideline_version,
            }
            for r in restored
        ],
    )
    ids = [int(row[0]) for row in leased]
    stored = conn.execute(
        insert(annotations_table).returning(annotations_table.c.id, sort_by_parameter_order=True),
        [
            {
                "assignment_id": assignment_id,
                "project_id": project_id,
                "item_id": r.item_id,
                "annotator_id": r.annotator_id,
                "value": r.value,
                "seconds": r.seconds,
                "guideline_version": r.guideline_version,
                "idempotency_key": r.key,
                "created_at": r.created_at,
            }
            for assignment_id, r in zip(ids, restored, strict=True)
        ],
    )
    return [int(row[0]) for row in stored]


# As a submit moves them (``assignments._MOVE_SUBMITTED``), by ``:n`` at once.
_ADD_SUBMITTED = Sql(
    f"UPDATE items SET n_submitted = n_submitted + :n, pool = {pool_after(':n')} "
    "WHERE id = :item_id AND NOT gold"
)


def add_submitted(conn: Connection, counts: Mapping[int, int], overlap: int) -> None:
    """Count ``counts[item]`` more submitted annotations on each item (not gold items)."""
    for item_id, n in counts.items():
        _ADD_SUBMITTED.run(conn, {"item_id": item_id, "n": n, "overlap": overlap})


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
