"""Leases, submissions and skips: the concurrency-critical queries.

Locking, per database:

- SQLite: every write transaction starts with ``BEGIN IMMEDIATE`` (see ``engine``), so the
  read-check-write sequences below run one writer at a time; no row locks are needed.
- PostgreSQL: the candidate item is picked with ``FOR UPDATE SKIP LOCKED`` (concurrent
  annotators take different rows instead of queueing on the same one), the annotator's
  membership row is locked so one annotator's parallel requests serialise, and counters are
  only changed on rows this transaction has locked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from labelworks.domain.assignment import AssignmentState
from labelworks.storage.items import move_counters
from labelworks.storage.tables import (
    annotations_table,
    assignments,
    items,
    late_submissions,
    memberships,
    projects,
)


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    id: int
    project_id: int
    item_id: int
    annotator_id: int
    state: AssignmentState
    leased_at: datetime
    expires_at: datetime
    guideline_version: int | None


def _is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def lock_annotator(conn: Connection, project_id: int, annotator_id: int) -> None:
    """Serialise one annotator's concurrent requests in a project (PostgreSQL row lock)."""
    if _is_postgresql(conn):
        conn.execute(
            select(memberships.c.user_id)
            .where(memberships.c.project_id == project_id, memberships.c.user_id == annotator_id)
            .with_for_update()
        )


def reclaim_expired(conn: Connection, project_id: int, now: datetime) -> int:
    """Turn lapsed leases into ``expired`` and give their slots back; returns how many."""
    due = (
        select(assignments.c.id)
        .where(
            assignments.c.project_id == project_id,
            assignments.c.state == AssignmentState.LEASED.value,
            assignments.c.expires_at < now,
        )
        .order_by(assignments.c.id)
    )
    if _is_postgresql(conn):
        due = due.with_for_update(skip_locked=True)
    rows = conn.execute(
        update(assignments)
        .where(assignments.c.id.in_(due.scalar_subquery()))
        .values(state=AssignmentState.EXPIRED.value)
        .returning(assignments.c.item_id)
    ).all()
    if not rows:
        return 0
    per_item = Counter(r.item_id for r in rows)
    overlap = _project_overlap(conn, project_id)
    # Sorted so that concurrent reclaimers lock items in one order (no deadlock).
    for item_id in sorted(per_item):
        move_counters(conn, item_id, overlap, leased=-per_item[item_id])
    return len(rows)


def _project_overlap(conn: Connection, project_id: int) -> int:
    query = select(projects.c.overlap).where(projects.c.id == project_id)
    return int(conn.execute(query).scalar_one())


def live_lease(
    conn: Connection, project_id: int, annotator_id: int, now: datetime
) -> AssignmentRow | None:
    """The annotator's current unexpired lease in the project, if any."""
    row = conn.execute(
        select(assignments)
        .where(
            assignments.c.annotator_id == annotator_id,
            assignments.c.project_id == project_id,
            assignments.c.state == AssignmentState.LEASED.value,
            assignments.c.expires_at >= now,
        )
        .order_by(assignments.c.id)
        .limit(1)
    ).first()
    return None if row is None else _to_row(row)


def pick_item(
    conn: Connection, project_id: int, annotator_id: int, *, skip_locked: bool = True
) -> int | None:
    """The next item for the annotator in queue order, locked for this transaction.

    Walks the ``ix_items_next`` index (in progress, then priority, then id) and skips
    items the annotator already holds a non-expired assignment for. On PostgreSQL,
    ``skip_locked`` passes over rows other annotators are leasing right now; without it
    the query waits for them, which the caller uses before concluding the queue is empty.
    """
    already = exists().where(
        assignments.c.item_id == items.c.id,
        assignments.c.annotator_id == annotator_id,
        assignments.c.state != AssignmentState.EXPIRED.value,
    )
    query = (
        select(items.c.id)
        .where(items.c.project_id == project_id, items.c.pool.is_not(None), ~already)
        .order_by(items.c.pool, items.c.priority.desc(), items.c.id)
        .limit(1)
    )
    if _is_postgresql(conn):
        query = query.with_for_update(of=items, skip_locked=skip_locked)
    return conn.execute(query).scalar()


def lease(
    conn: Connection,
    *,
    project_id: int,
    item_id: int,
    annotator_id: int,
    overlap: int,
    now: datetime,
    expires_at: datetime,
    guideline_version: int | None,
) -> int:
    """Record a lease on a locked item with room; returns the assignment id.

    An earlier expired assignment of the same (item, annotator) is reused, keeping one row
    per pair, which the unique constraint guarantees.
    """
    move_counters(conn, item_id, overlap, leased=1)
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    fresh = upsert(assignments).values(
        project_id=project_id,
        item_id=item_id,
        annotator_id=annotator_id,
        state=AssignmentState.LEASED.value,
        leased_at=now,
        expires_at=expires_at,
        guideline_version=guideline_version,
    )
    # One statement either way: insert the pair's row, or revive its expired one.
    statement = fresh.on_conflict_do_update(
        index_elements=[assignments.c.item_id, assignments.c.annotator_id],
        set_={
            "state": AssignmentState.LEASED.value,
            "leased_at": now,
            "expires_at": expires_at,
            "lease_count": assignments.c.lease_count + 1,
            "guideline_version": guideline_version,
        },
        where=assignments.c.state == AssignmentState.EXPIRED.value,
    ).returning(assignments.c.id)
    return int(conn.execute(statement).scalar_one())


def get_for_update(conn: Connection, assignment_id: int) -> AssignmentRow | None:
    """Load an assignment, locking it on PostgreSQL."""
    query = select(assignments).where(assignments.c.id == assignment_id)
    if _is_postgresql(conn):
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else _to_row(row)


def get(conn: Connection, assignment_id: int) -> AssignmentRow | None:
    row = conn.execute(select(assignments).where(assignments.c.id == assignment_id)).first()
    return None if row is None else _to_row(row)


@dataclass(frozen=True, slots=True)
class ItemLoad:
    n_submitted: int
    n_leased: int
    payload: str


def lock_item(conn: Connection, item_id: int) -> ItemLoad:
    """Lock an item row (PostgreSQL) and read its counters and payload."""
    query = select(items.c.n_submitted, items.c.n_leased, items.c.payload).where(
        items.c.id == item_id
    )
    if _is_postgresql(conn):
        query = query.with_for_update()
    row = conn.execute(query).one()
    return ItemLoad(int(row.n_submitted), int(row.n_leased), str(row.payload))


def recorded_annotation(conn: Connection, assignment_id: int) -> tuple[int, str] | None:
    """The (annotation id, idempotency key) already recorded for the assignment."""
    row = conn.execute(
        select(annotations_table.c.id, annotations_table.c.idempotency_key).where(
            annotations_table.c.assignment_id == assignment_id
        )
    ).first()
    return None if row is None else (int(row.id), str(row.idempotency_key))


def recorded_late(conn: Connection, assignment_id: int, key: str) -> int | None:
    """The id of a late submission already kept for this assignment and key."""
    return conn.execute(
        select(late_submissions.c.id).where(
            late_submissions.c.assignment_id == assignment_id,
            late_submissions.c.idempotency_key == key,
        )
    ).scalar()


def _work_row(
    a: AssignmentRow, value: dict[str, Any], seconds: float | None, key: str, now: datetime
) -> dict[str, Any]:
    """Columns an annotation and a late submission share."""
    return {
        "assignment_id": a.id,
        "project_id": a.project_id,
        "item_id": a.item_id,
        "annotator_id": a.annotator_id,
        "value": json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False),
        "seconds": seconds,
        "guideline_version": a.guideline_version,
        "idempotency_key": key,
        "created_at": now,
    }


def record_submission(
    conn: Connection,
    a: AssignmentRow,
    *,
    value: dict[str, Any],
    seconds: float | None,
    key: str,
    now: datetime,
    overlap: int,
    after_expiry: bool,
    still_leased: bool,
) -> int:
    """Store the annotation, close the assignment and move the item's counters."""
    annotation_id = conn.execute(
        insert(annotations_table)
        .values(**_work_row(a, value, seconds, key, now), after_expiry=after_expiry)
        .returning(annotations_table.c.id)
    ).scalar_one()
    conn.execute(
        update(assignments)
        .where(assignments.c.id == a.id)
        .values(state=AssignmentState.SUBMITTED.value, closed_at=now)
    )
    move_counters(conn, a.item_id, overlap, submitted=1, leased=-1 if still_leased else 0)
    return int(annotation_id)


def record_late(
    conn: Connection,
    a: AssignmentRow,
    *,
    value: dict[str, Any],
    seconds: float | None,
    key: str,
    reason: str,
    now: datetime,
) -> int:
    """Keep a refused submission so no work is ever silently dropped, and close the
    assignment so the item is not offered to the annotator again."""
    conn.execute(
        update(assignments)
        .where(assignments.c.id == a.id)
        .values(state=AssignmentState.LATE.value, closed_at=now)
    )
    return int(
        conn.execute(
            insert(late_submissions)
            .values(**_work_row(a, value, seconds, key, now), reason=reason)
            .returning(late_submissions.c.id)
        ).scalar_one()
    )


def record_skip(
    conn: Connection, a: AssignmentRow, *, reason: str | None, now: datetime, overlap: int
) -> None:
    """Close a live lease as skipped and return its slot to the pool."""
    conn.execute(
        update(assignments)
        .where(assignments.c.id == a.id)
        .values(state=AssignmentState.SKIPPED.value, closed_at=now, skip_reason=reason)
    )
    if a.state is AssignmentState.LEASED:
        move_counters(conn, a.item_id, overlap, leased=-1)


def active_leases(conn: Connection, project_id: int, now: datetime) -> int:
    """How many unexpired leases the project has right now."""
    query = select(func.count()).where(
        assignments.c.project_id == project_id,
        assignments.c.state == AssignmentState.LEASED.value,
        assignments.c.expires_at >= now,
    )
    return int(conn.execute(query).scalar_one())


def _to_row(row: Any) -> AssignmentRow:
    return AssignmentRow(
        id=int(row.id),
        project_id=int(row.project_id),
        item_id=int(row.item_id),
        annotator_id=int(row.annotator_id),
        state=AssignmentState(row.state),
        leased_at=row.leased_at,
        expires_at=row.expires_at,
        guideline_version=row.guideline_version,
    )
