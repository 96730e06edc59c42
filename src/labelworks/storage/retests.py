"""Consistency audits in SQL: leasing an annotator's own earlier item again, unannounced,
and keeping their second answer beside a copy of the first.

A retest is an ``assignments`` row with ``retest`` set, so the annotator's client sees an
ordinary task (same id sequence, same routes); it holds no slot of its item, so item
counters and queue pools never move for it, and its answer goes to ``retests``, never to
``annotations``: consensus, review, exports and progress see each annotation once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from labelworks.domain.assignment import AssignmentState
from labelworks.storage.assignments import AssignmentRow, count_day
from labelworks.storage.leases import Lease, has_live_lease, work_left
from labelworks.storage.sql import Sql, read_time
from labelworks.storage.tables import assignments, items, retests, users
from labelworks.storage.walls import within_wall

_MINE = "an.project_id = :project AND an.annotator_id = :annotator"
# The newest annotation old enough to retest: ``after`` of theirs came since.
_CUTOFF = Sql(
    f"SELECT an.created_at FROM annotations an WHERE {_MINE} "
    "ORDER BY an.created_at DESC LIMIT 1 OFFSET :after"
)
_OLD_ENOUGH = Sql(f"SELECT count(*) FROM annotations an WHERE {_MINE} AND an.created_at <= :cutoff")
_NTH = Sql(
    f"SELECT an.created_at, an.id FROM annotations an WHERE {_MINE} "
    "AND an.created_at <= :cutoff ORDER BY an.created_at, an.id LIMIT 1 OFFSET :n"
)
# Candidates in the annotator's own order from a point, a batch at a time; which of them
# may be retested is decided on the batch (two lookups by primary and unique keys), so no
# plan the database picks for a generic prepared statement can walk their whole history.
_BATCH = 50
_FROM = Sql(
    f"SELECT an.item_id FROM annotations an WHERE {_MINE} AND an.created_at <= :cutoff "
    "AND (an.created_at, an.id) >= (:at, :id) ORDER BY an.created_at, an.id LIMIT :batch"
)
_BEFORE = Sql(
    f"SELECT an.item_id FROM annotations an WHERE {_MINE} "
    "AND (an.created_at, an.id) < (:at, :id) ORDER BY an.created_at, an.id LIMIT :batch"
)


def _eligible(conn: Connection, annotator_id: int, candidates: list[int]) -> int | None:
    """The first candidate that is not gold (gold is audited by its own answers) and not
    retested already (or being retested)."""
    if not candidates:
        return None
    gold = set(
        conn.execute(select(items.c.id).where(items.c.id.in_(candidates), items.c.gold)).scalars()
    )
    retested = set(
        conn.execute(
            select(assignments.c.item_id).where(
                assignments.c.item_id.in_(candidates),
                assignments.c.annotator_id == annotator_id,
                assignments.c.retest,
                assignments.c.state != AssignmentState.EXPIRED.value,
            )
        ).scalars()
    )
    return next((c for c in candidates if c not in gold and c not in retested), None)


_LEASE = Sql(
    "INSERT INTO assignments (project_id, item_id, annotator_id, state, leased_at, "
    "expires_at, guideline_version, lease_count, retest) "
    "VALUES (:project, :item, :annotator, 'leased', :now, :expires, :guideline, 1, :retest) "
    "ON CONFLICT (item_id, annotator_id, retest) DO UPDATE SET state = 'leased', "
    "leased_at = excluded.leased_at, expires_at = excluded.expires_at, "
    "lease_count = assignments.lease_count + 1, "
    "guideline_version = excluded.guideline_version "
    "WHERE assignments.state = 'expired' RETURNING id"
)
_PAYLOAD = Sql("SELECT payload FROM items WHERE id = :item")


def lease_retest(
    conn: Connection,
    *,
    project_id: int,
    annotator_id: int,
    after: int,
    point: float,
    now: datetime,
    expires_at: datetime,
    guideline_version: int | None,
) -> Lease | None:
    """A new lease re-serving one of the annotator's own ordinary items, or ``None`` (they
    hold a live lease, no ordinary work is left for them — a retest comes mixed into work,
    never after it — or nothing is old enough). The item is the first one not yet retested
    at or after ``point`` (in [0, 1)) of the way through their annotations with at least
    ``after`` newer ones, wrapping around (within a batch either side of the point). Call
    with the (project, annotator) lock held."""
    params: dict[str, Any] = {
        "project": project_id,
        "annotator": annotator_id,
        "after": after,
        "now": now,
    }
    if has_live_lease(conn, project_id, annotator_id, now):
        return None
    if not work_left(conn, project_id, annotator_id):
        return None
    cutoff = _CUTOFF.one(conn, params)
    if cutoff is None:
        return None
    params["cutoff"] = cutoff[0]
    counted = _OLD_ENOUGH.one(conn, params)
    n = 0 if counted is None else int(counted[0])
    start = _NTH.one(conn, {**params, "n": min(int(point * n), max(n - 1, 0))})
    if start is None:
        return None
    params.update(at=start[0], id=start[1], batch=_BATCH)
    item_id = _eligible(conn, annotator_id, [int(r[0]) for r in _FROM.all(conn, params)])
    if item_id is None:
        item_id = _eligible(conn, annotator_id, [int(r[0]) for r in _BEFORE.all(conn, params)])
    if item_id is None:
        return None  # a hundred ineligible neighbours: this lease is an ordinary one
    leased = _LEASE.one(
        conn,
        {
            **params,
            "item": item_id,
            "expires": expires_at,
            "guideline": guideline_version,
            "retest": True,
        },
    )
    assert leased is not None  # the pick excluded pairs with a live retest row
    payload = _PAYLOAD.one(conn, {"item": item_id})
    assert payload is not None  # a foreign key
    return Lease(int(leased[0]), item_id, expires_at, guideline_version, str(payload[0]), None)


_FIRST = Sql(
    "SELECT an.id, an.value, an.created_at FROM annotations an "
    "WHERE an.item_id = :item AND an.annotator_id = :annotator"
)
_RECORD = Sql(
    "INSERT INTO retests (assignment_id, project_id, item_id, annotator_id, first_id, "
    "first_value, first_at, value, seconds, guideline_version, idempotency_key, created_at) "
    "VALUES (:assignment, :project, :item, :annotator, :first_id, :first_value, :first_at, "
    ":value, :seconds, :guideline, :key, :now) RETURNING id"
)


def record(
    conn: Connection,
    a: AssignmentRow,
    *,
    value: dict[str, Any],
    seconds: float | None,
    key: str,
    now: datetime,
) -> int:
    """Keep the second answer beside a copy of the first (``None`` if the first was set
    aside meanwhile), close the assignment and count the annotator's day as any submit
    does, so their progress shows nothing special."""
    first = _FIRST.one(conn, {"item": a.item_id, "annotator": a.annotator_id})
    row = _RECORD.one(
        conn,
        {
            "assignment": a.id,
            "project": a.project_id,
            "item": a.item_id,
            "annotator": a.annotator_id,
            "first_id": None if first is None else int(first[0]),
            "first_value": None if first is None else str(first[1]),
            "first_at": None if first is None else read_time(first[2]),
            "value": json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False),
            "seconds": seconds,
            "guideline": a.guideline_version,
            "key": key,
            "now": now,
        },
    )
    assert row is not None
    conn.execute(
        update(assignments)
        .where(assignments.c.id == a.id)
        .values(state=AssignmentState.SUBMITTED.value, closed_at=now)
    )
    count_day(conn, a.project_id, a.annotator_id, now)
    return int(row[0])


def recorded(conn: Connection, assignment_id: int) -> tuple[int, str] | None:
    """The (retest id, idempotency key) already recorded for the assignment."""
    row = conn.execute(
        select(retests.c.id, retests.c.idempotency_key).where(
            retests.c.assignment_id == assignment_id
        )
    ).first()
    return None if row is None else (int(row.id), str(row.idempotency_key))


def skip(conn: Connection, a: AssignmentRow, *, reason: str | None, now: datetime) -> None:
    """Close a retest as skipped; it held no slot, so no counter moves."""
    conn.execute(
        update(assignments)
        .where(assignments.c.id == a.id)
        .values(state=AssignmentState.SKIPPED.value, closed_at=now, skip_reason=reason)
    )


@dataclass(frozen=True, slots=True)
class Pair:
    """One retest: who, which item, the two answers (JSON; the first ``None`` when it was
    set aside before the retest) and when each was given."""

    retest_id: int
    annotator_id: int
    email: str
    item_id: int
    first_value: str | None
    first_at: datetime | None
    value: str
    at: datetime


def pairs(conn: Connection, project_id: int, wall: str | None) -> list[Pair]:
    """Every retest of the project in the order they were given (within the caller's
    vendor wall)."""
    rows = conn.execute(
        select(
            retests.c.id,
            retests.c.annotator_id,
            users.c.email,
            retests.c.item_id,
            retests.c.first_value,
            retests.c.first_at,
            retests.c.value,
            retests.c.created_at,
        )
        .join(users, users.c.id == retests.c.annotator_id)
        .where(retests.c.project_id == project_id, within_wall(retests.c.annotator_id, wall))
        .order_by(retests.c.id)
    ).all()
    return [_pair(r) for r in rows]


def _pair(r: Sequence[Any]) -> Pair:
    return Pair(
        int(r[0]),
        int(r[1]),
        str(r[2]),
        int(r[3]),
        None if r[4] is None else str(r[4]),
        None if r[5] is None else read_time(r[5]),
        str(r[6]),
        read_time(r[7]),
    )
