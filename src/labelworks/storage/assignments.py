"""Submissions and skips: the other half of the concurrency-critical queries (leasing is in
``leases``, whose docstring gives the locking rules of both).

A submit on PostgreSQL is three statements: the caller with the (project, annotator) lock
taken through their assignment, the assignment with its item and project (rows locked),
and one statement that stores the annotation, closes the assignment, moves the item's
counters and counts the annotator's day. SQLite runs the last one as four statements.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from labelworks.domain.assignment import AssignmentState
from labelworks.storage.leases import move_counters, pool_after
from labelworks.storage.sql import Sql, read_time, stored_day
from labelworks.storage.tables import (
    annotations_table,
    assignments,
    late_submissions,
)
from labelworks.storage.users import UserRow, caller_query, user_from


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


_COLUMNS = (
    "a.id, a.project_id, a.item_id, a.annotator_id, a.state, a.leased_at, a.expires_at, "
    "a.guideline_version"
)
_WORK = (
    f"SELECT {_COLUMNS}, i.n_submitted, i.n_leased, i.payload, "
    "COALESCE(i.target, p.overlap), p.spec, i.gold, a.retest "
    "FROM assignments a JOIN items i ON i.id = a.item_id "
    "JOIN projects p ON p.id = a.project_id WHERE a.id = :id"
)
_WORK_LOCKED = Sql(_WORK, postgresql=_WORK + " FOR UPDATE OF a, i")


def _submitter_sql(*, session: bool) -> Sql:
    return caller_query(
        session=session,
        columns="a.id",
        joins="LEFT JOIN assignments a ON a.id = :id AND a.annotator_id = u.id",
        lock="pg_advisory_xact_lock(a.project_id, u.id)",
    )


_SUBMITTER_BY_TOKEN = _submitter_sql(session=False)
_SUBMITTER_BY_SESSION = _submitter_sql(session=True)
_OWNER = Sql(
    "SELECT 1 FROM assignments WHERE id = :id AND annotator_id = :annotator",
    postgresql="SELECT pg_advisory_xact_lock(project_id, annotator_id) FROM assignments "
    "WHERE id = :id AND annotator_id = :annotator",
)


def submitter(
    conn: Connection,
    *,
    token_hash: str | None,
    session_hash: str | None,
    assignment_id: int,
    now: datetime,
) -> tuple[UserRow | None, bool]:
    """Who an API token (or else a session) belongs to, and whether the assignment is
    theirs; if it is, the (project, annotator) lock of ``leases`` is taken (PostgreSQL) in
    the same statement, so a submit queues behind that annotator's lease as a lease does."""
    query = _SUBMITTER_BY_TOKEN if token_hash is not None else _SUBMITTER_BY_SESSION
    params = {"hash": token_hash or session_hash, "id": assignment_id, "now": now}
    row = query.one(conn, params)
    return (None, False) if row is None else (user_from(row), row[7] is not None)


def owned(conn: Connection, assignment_id: int, annotator_id: int) -> bool:
    """Whether the assignment is the annotator's; if so, with the lock taken as above."""
    return _OWNER.one(conn, {"id": assignment_id, "annotator": annotator_id}) is not None


@dataclass(frozen=True, slots=True)
class Work:
    """An assignment with what deciding on it needs: its item's counters, payload and
    whether it is gold, the item's overlap (its own target, else the project's) and the
    project's spec (one query; the rows locked on PostgreSQL)."""

    assignment: AssignmentRow
    n_submitted: int
    n_leased: int
    payload: str
    overlap: int
    spec: str
    gold: bool = False
    # A consistency audit of the annotator's own earlier item (``storage.retests``).
    retest: bool = False


def work_of(conn: Connection, assignment_id: int) -> Work | None:
    """The assignment, its item and its project, locked (PostgreSQL) for this transaction."""
    row = _WORK_LOCKED.one(conn, {"id": assignment_id})
    if row is None:
        return None
    return Work(
        _to_row(row),
        int(row[8]),
        int(row[9]),
        str(row[10]),
        int(row[11]),
        str(row[12]),
        bool(row[13]),
        bool(row[14]),
    )


def recorded_annotation(conn: Connection, assignment_id: int) -> tuple[int, str, str] | None:
    """The (annotation id, idempotency key, value as JSON) already recorded for the
    assignment."""
    row = conn.execute(
        select(
            annotations_table.c.id, annotations_table.c.idempotency_key, annotations_table.c.value
        ).where(annotations_table.c.assignment_id == assignment_id)
    ).first()
    return None if row is None else (int(row.id), str(row.idempotency_key), str(row.value))


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


_ANNOTATE = (
    "INSERT INTO annotations (assignment_id, project_id, item_id, annotator_id, value, "
    "seconds, guideline_version, idempotency_key, created_at, after_expiry) "
    "VALUES (:assignment_id, :project_id, :item_id, :annotator_id, :value, :seconds, "
    ":guideline_version, :idempotency_key, :created_at, :after_expiry) RETURNING id"
)
_CLOSE = "UPDATE assignments SET state = 'submitted', closed_at = :created_at WHERE id = :id"
_MOVE_SUBMITTED = (
    "UPDATE items SET n_submitted = n_submitted + 1, n_leased = n_leased + :leased, "
    f"pool = {pool_after(':delta')} WHERE id = :item_id AND NOT gold"
)
_COUNT_DAY = (
    "UPDATE memberships SET done_count = CASE WHEN done_day = :day THEN done_count + 1 "
    "ELSE 1 END, done_day = :day WHERE project_id = :project_id AND user_id = :annotator_id"
)
_SQLITE_SUBMIT = [Sql(_ANNOTATE), Sql(_CLOSE), Sql(_MOVE_SUBMITTED), Sql(_COUNT_DAY)]
_PG_SUBMIT = Sql(
    f"WITH annotated AS ({_ANNOTATE}), closed AS ({_CLOSE}), moved AS ({_MOVE_SUBMITTED}), "
    f"counted AS ({_COUNT_DAY}) SELECT id FROM annotated"
)


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
    """Store the annotation, close the assignment, move the item's counters and count the
    annotator's day (one statement on PostgreSQL)."""
    leased = -1 if still_leased else 0
    params = {
        **_work_row(a, value, seconds, key, now),
        "after_expiry": after_expiry,
        "id": a.id,
        "overlap": overlap,
        "leased": leased,
        "delta": 1 + leased,
        "day": stored_day(now),
    }
    if conn.dialect.name == "postgresql":
        row = _PG_SUBMIT.one(conn, params)
    else:
        insert_annotation, *rest = _SQLITE_SUBMIT
        row = insert_annotation.one(conn, params)
        for statement in rest:
            statement.run(conn, params)
    assert row is not None
    return int(row[0])


def count_day(conn: Connection, project_id: int, annotator_id: int, now: datetime) -> None:
    """Count one more submission in the annotator's day (a retest's, whose answer is not an
    annotation; ``record_submission`` counts its own in the same statement)."""
    _SQLITE_SUBMIT[-1].run(
        conn, {"project_id": project_id, "annotator_id": annotator_id, "day": stored_day(now)}
    )


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
