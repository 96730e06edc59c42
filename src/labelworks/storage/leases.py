"""Leasing: where an annotator stands in a project, the pick of the next item, the lease.

Locking, per database:

- SQLite: every write transaction starts with ``BEGIN IMMEDIATE`` (see ``engine``), so the
  read-check-write sequences run one writer at a time; no row locks are needed.
- PostgreSQL: the annotator's membership row is locked first, so one annotator's parallel
  requests serialise; the candidate item is picked with ``FOR UPDATE SKIP LOCKED``
  (concurrent annotators take different rows instead of queueing on the same one); counters
  only change on rows this transaction has locked.

Each step is one statement on PostgreSQL, where every statement is a network round trip:
the membership lock, the live lease and the day's count in one; the pick, the counter move,
the lease and the item's pre-annotations in one (data-modifying CTEs). SQLite, in-process,
runs the same steps as separate statements.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from labelworks.domain.assignment import POOL_FRESH, POOL_STARTED, AssignmentState
from labelworks.storage.sql import Sql, read_time
from labelworks.storage.tables import assignments, projects


def _is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


@dataclass(frozen=True, slots=True)
class HeldLease:
    id: int
    item_id: int
    expires_at: datetime
    guideline_version: int | None


@dataclass(frozen=True, slots=True)
class Standing:
    """The annotator's live lease in the project, and their submissions today (``None``
    when they label there without being a member, e.g. an admin: nothing is kept)."""

    held: HeldLease | None
    done_today: int | None


_LIVE = (
    "SELECT a.id, a.item_id, a.expires_at, a.guideline_version FROM assignments a "
    "WHERE a.annotator_id = :annotator AND a.project_id = :project AND a.state = 'leased' "
    "AND a.expires_at >= :now ORDER BY a.id LIMIT 1"
)
_LIVE_LEASE = Sql(_LIVE)
_STANDING = (
    "SELECT m.done_day, m.done_count, a.id, a.item_id, a.expires_at, a.guideline_version "
    "FROM memberships m LEFT JOIN assignments a ON a.annotator_id = m.user_id "
    "AND a.project_id = m.project_id AND a.state = 'leased' AND a.expires_at >= :now "
    "WHERE m.project_id = :project AND m.user_id = :annotator ORDER BY a.id LIMIT 1"
)
_STANDING_LOCKED = Sql(_STANDING, postgresql=_STANDING + " FOR UPDATE OF m")


def standing(conn: Connection, project_id: int, annotator_id: int, now: datetime) -> Standing:
    """Lock the annotator's membership (PostgreSQL) and read their live lease and count."""
    params = {"project": project_id, "annotator": annotator_id, "now": now}
    row = _STANDING_LOCKED.one(conn, params)
    if row is None:  # not a member: no row to lock or count on
        live = _LIVE_LEASE.one(conn, params)
        return Standing(None if live is None else _held(live), None)
    done = int(row[1]) if row[0] == now.date().isoformat() else 0
    return Standing(None if row[2] is None else _held(row[2:]), done)


def _held(row: Any) -> HeldLease:
    return HeldLease(int(row[0]), int(row[1]), read_time(row[2]), row[3])


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
    overlap = conn.execute(
        select(projects.c.overlap).where(projects.c.id == project_id)
    ).scalar_one()
    # Sorted so that concurrent reclaimers lock items in one order (no deadlock).
    for item_id in sorted(per_item):
        move_counters(conn, item_id, int(overlap), leased=-per_item[item_id])
    return len(rows)


def pool_after(delta: str, table: str = "") -> str:
    """SQL for ``domain.assignment.pool_of`` over the row's counters plus ``delta`` (SET
    expressions see the old row, hence old + delta)."""
    load = f"{table}n_submitted + {table}n_leased + {delta}"
    return (
        f"CASE WHEN {load} >= :overlap THEN NULL "
        f"WHEN {load} > 0 THEN {POOL_STARTED} ELSE {POOL_FRESH} END"
    )


_MOVE = Sql(
    "UPDATE items SET n_submitted = n_submitted + :submitted, n_leased = n_leased + :leased, "
    f"pool = {pool_after(':delta')} WHERE id = :item"
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


# The queue order walks the ``ix_items_next`` index (in progress, then priority, then id),
# passing over items the annotator already has a non-expired assignment for.
_PICK = (
    "SELECT id, payload FROM items WHERE project_id = :project AND pool IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM assignments WHERE assignments.item_id = items.id "
    "AND assignments.annotator_id = :annotator AND assignments.state != 'expired') "
    "ORDER BY pool, priority DESC, id LIMIT 1"
)
_LEASE = (
    "INSERT INTO assignments (project_id, item_id, annotator_id, state, leased_at, "
    "expires_at, guideline_version, lease_count) "
    "{source} "
    "ON CONFLICT (item_id, annotator_id) DO UPDATE SET state = 'leased', "
    "leased_at = excluded.leased_at, expires_at = excluded.expires_at, "
    "lease_count = assignments.lease_count + 1, "
    "guideline_version = excluded.guideline_version "
    "WHERE assignments.state = 'expired' RETURNING id, item_id"
)
_SQLITE_PICK = Sql(_PICK)
_SQLITE_LEASE = Sql(
    _LEASE.format(
        source="VALUES (:project, :item, :annotator, 'leased', :now, :expires, :guideline, 1)"
    )
)


def _pick_and_lease_cte(lock: str) -> Sql:
    text = (
        f"WITH picked AS ({_PICK} {lock}), "
        "moved AS (UPDATE items SET n_leased = items.n_leased + 1, "
        f"pool = {pool_after('1', 'items.')} FROM picked WHERE items.id = picked.id "
        "RETURNING items.id), "
        "leased AS ("
        + _LEASE.format(
            # Typed: a NULL parameter in a SELECT list would otherwise be text.
            source="SELECT CAST(:project AS INTEGER), moved.id, CAST(:annotator AS INTEGER), "
            "'leased', CAST(:now AS TIMESTAMP), CAST(:expires AS TIMESTAMP), "
            "CAST(:guideline AS INTEGER), 1 FROM moved"
        )
        + ") SELECT leased.id, leased.item_id, picked.payload, "
        "(SELECT json_agg(json_build_object('model', p.model, 'score', p.score, "
        "'value', p.value::json) ORDER BY p.id) FROM pre_annotations p "
        "WHERE p.item_id = leased.item_id) "
        "FROM leased JOIN picked ON picked.id = leased.item_id"
    )
    return Sql(text, postgresql=text)


_PG_SKIP_LOCKED = _pick_and_lease_cte("FOR UPDATE OF items SKIP LOCKED")
_PG_WAIT = _pick_and_lease_cte("FOR UPDATE OF items")


@dataclass(frozen=True, slots=True)
class Leased:
    """A new lease: its assignment, the item's payload (JSON text) and, when the same
    statement could read them, the item's pre-annotations (``None``: not read yet)."""

    assignment_id: int
    item_id: int
    payload: str
    pre_annotations: list[dict[str, Any]] | None


def pick_and_lease(
    conn: Connection,
    *,
    project_id: int,
    annotator_id: int,
    overlap: int,
    now: datetime,
    expires_at: datetime,
    guideline_version: int | None,
) -> Leased | None:
    """Lease the next item in queue order to the annotator; ``None`` when none is left.

    An earlier expired assignment of the same (item, annotator) is reused, keeping one row
    per pair, which the unique constraint guarantees. On PostgreSQL items other annotators
    are leasing right now are passed over; only when that leaves nothing does the pick wait
    for them, before concluding the queue is empty.
    """
    params = {
        "project": project_id,
        "annotator": annotator_id,
        "overlap": overlap,
        "now": now,
        "expires": expires_at,
        "guideline": guideline_version,
    }
    if _is_postgresql(conn):
        row = _PG_SKIP_LOCKED.one(conn, params) or _PG_WAIT.one(conn, params)
        if row is None:
            return None
        return Leased(int(row[0]), int(row[1]), str(row[2]), list(row[3] or []))
    picked = _SQLITE_PICK.one(conn, params)
    if picked is None:
        return None
    item_id = int(picked[0])
    move_counters(conn, item_id, overlap, leased=1)
    leased = _SQLITE_LEASE.one(conn, {**params, "item": item_id})
    assert leased is not None  # the pick excluded pairs with a live row
    return Leased(int(leased[0]), item_id, str(picked[1]), None)
