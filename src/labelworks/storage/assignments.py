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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from labelworks.domain.assignment import POOL_FRESH, POOL_STARTED, AssignmentState
from labelworks.storage.sql import Sql, read_time
from labelworks.storage.tables import (
    annotations_table,
    assignments,
    late_submissions,
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


_LOCK_ANNOTATOR = Sql(
    "SELECT user_id FROM memberships WHERE project_id = :project AND user_id = :annotator "
    "FOR UPDATE"
)


def lock_annotator(conn: Connection, project_id: int, annotator_id: int) -> None:
    """Serialise one annotator's concurrent requests in a project (PostgreSQL row lock)."""
    if _is_postgresql(conn):
        _LOCK_ANNOTATOR.run(conn, {"project": project_id, "annotator": annotator_id})


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


# ``domain.assignment.pool_of`` over the row's counters after the move (SET expressions
# see the old row, hence old + delta).
_MOVE = Sql(
    "UPDATE items SET n_submitted = n_submitted + :submitted, n_leased = n_leased + :leased, "
    "pool = CASE WHEN n_submitted + n_leased + :delta >= :overlap THEN NULL "
    f"WHEN n_submitted + n_leased + :delta > 0 THEN {POOL_STARTED} ELSE {POOL_FRESH} END "
    "WHERE id = :item"
)


def move_counters(
    conn: Connection, item_id: int, overlap: int, *, submitted: int = 0, leased: int = 0
) -> None:
    """Shift an item's counters and its queue pool in one statement."""
    _MOVE.run(
        conn,
        {
            "item": item_id,
            "overlap": overlap,
            "submitted": submitted,
            "leased": leased,
            "delta": submitted + leased,
        },
    )


@dataclass(frozen=True, slots=True)
class HeldLease:
    id: int
    item_id: int
    expires_at: datetime
    guideline_version: int | None


_LIVE_LEASE = Sql(
    "SELECT id, item_id, expires_at, guideline_version FROM assignments "
    "WHERE annotator_id = :annotator AND project_id = :project AND state = 'leased' "
    "AND expires_at >= :now ORDER BY id LIMIT 1"
)


def live_lease(
    conn: Connection, project_id: int, annotator_id: int, now: datetime
) -> HeldLease | None:
    """The annotator's current unexpired lease in the project, if any."""
    row = _LIVE_LEASE.one(conn, {"annotator": annotator_id, "project": project_id, "now": now})
    if row is None:
        return None
    return HeldLease(int(row[0]), int(row[1]), read_time(row[2]), row[3])


_PICK = (
    "SELECT id, payload FROM items WHERE project_id = :project AND pool IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM assignments WHERE assignments.item_id = items.id "
    "AND assignments.annotator_id = :annotator AND assignments.state != 'expired') "
    "ORDER BY pool, priority DESC, id LIMIT 1"
)
_PICK_SKIP_LOCKED = Sql(_PICK, postgresql=_PICK + " FOR UPDATE OF items SKIP LOCKED")
_PICK_WAIT = Sql(_PICK, postgresql=_PICK + " FOR UPDATE OF items")


def pick_item(
    conn: Connection, project_id: int, annotator_id: int, *, skip_locked: bool = True
) -> tuple[int, str] | None:
    """The next item for the annotator in queue order, locked for this transaction: its id
    and payload.

    Walks the ``ix_items_next`` index (in progress, then priority, then id) and skips
    items the annotator already holds a non-expired assignment for. On PostgreSQL,
    ``skip_locked`` passes over rows other annotators are leasing right now; without it
    the query waits for them, which the caller uses before concluding the queue is empty.
    """
    query = _PICK_SKIP_LOCKED if skip_locked else _PICK_WAIT
    row = query.one(conn, {"project": project_id, "annotator": annotator_id})
    return None if row is None else (int(row[0]), str(row[1]))


_LEASE = Sql(
    "INSERT INTO assignments (project_id, item_id, annotator_id, state, leased_at, "
    "expires_at, guideline_version, lease_count) "
    "VALUES (:project, :item, :annotator, 'leased', :now, :expires, :guideline, 1) "
    "ON CONFLICT (item_id, annotator_id) DO UPDATE SET state = 'leased', "
    "leased_at = excluded.leased_at, expires_at = excluded.expires_at, "
    "lease_count = assignments.lease_count + 1, "
    "guideline_version = excluded.guideline_version "
    "WHERE assignments.state = 'expired' RETURNING id"
)


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
    row = _LEASE.one(
        conn,
        {
            "project": project_id,
            "item": item_id,
            "annotator": annotator_id,
            "now": now,
            "expires": expires_at,
            "guideline": guideline_version,
        },
    )
    assert row is not None  # the pick excluded pairs with a live row
    return int(row[0])


_COLUMNS = (
    "a.id, a.project_id, a.item_id, a.annotator_id, a.state, a.leased_at, a.expires_at, "
    "a.guideline_version"
)
_GET = Sql(f"SELECT {_COLUMNS} FROM assignments a WHERE a.id = :id")
_WORK = (
    f"SELECT {_COLUMNS}, i.n_submitted, i.n_leased, i.payload, p.overlap, p.spec "
    "FROM assignments a JOIN items i ON i.id = a.item_id "
    "JOIN projects p ON p.id = a.project_id WHERE a.id = :id"
)
_WORK_LOCKED = Sql(_WORK, postgresql=_WORK + " FOR UPDATE OF a, i")


def get(conn: Connection, assignment_id: int) -> AssignmentRow | None:
    row = _GET.one(conn, {"id": assignment_id})
    return None if row is None else _to_row(row)


@dataclass(frozen=True, slots=True)
class Work:
    """An assignment with what deciding on it needs: its item's counters and payload, its
    project's overlap and spec (one query; the rows locked on PostgreSQL)."""

    assignment: AssignmentRow
    n_submitted: int
    n_leased: int
    payload: str
    overlap: int
    spec: str


def work_of(conn: Connection, assignment_id: int) -> Work | None:
    """The assignment, its item and its project, locked (PostgreSQL) for this transaction."""
    row = _WORK_LOCKED.one(conn, {"id": assignment_id})
    if row is None:
        return None
    return Work(_to_row(row), int(row[8]), int(row[9]), str(row[10]), int(row[11]), str(row[12]))


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


_ANNOTATE = Sql(
    "INSERT INTO annotations (assignment_id, project_id, item_id, annotator_id, value, "
    "seconds, guideline_version, idempotency_key, created_at, after_expiry) "
    "VALUES (:assignment_id, :project_id, :item_id, :annotator_id, :value, :seconds, "
    ":guideline_version, :idempotency_key, :created_at, :after_expiry) RETURNING id"
)
_CLOSE = Sql("UPDATE assignments SET state = :state, closed_at = :now WHERE id = :id")


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
    row = _ANNOTATE.one(
        conn, {**_work_row(a, value, seconds, key, now), "after_expiry": after_expiry}
    )
    assert row is not None
    _CLOSE.run(conn, {"state": AssignmentState.SUBMITTED.value, "now": now, "id": a.id})
    move_counters(conn, a.item_id, overlap, submitted=1, leased=-1 if still_leased else 0)
    return int(row[0])


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


def _to_row(row: Sequence[Any]) -> AssignmentRow:
    return AssignmentRow(
        id=int(row[0]),
        project_id=int(row[1]),
        item_id=int(row[2]),
        annotator_id=int(row[3]),
        state=AssignmentState(row[4]),
        leased_at=read_time(row[5]),
        expires_at=read_time(row[6]),
        guideline_version=row[7],
    )
