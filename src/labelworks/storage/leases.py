"""Leasing: who is asking and where they stand, the pick of the next item, the lease.

Locking, per database:

- SQLite: every write transaction starts with ``BEGIN IMMEDIATE`` (see ``engine``), so the
  read-check-write sequences run one writer at a time; no row locks are needed.
- PostgreSQL: a transaction-scoped advisory lock on (project, annotator) comes first, so
  one annotator's parallel requests in a project run one at a time (never two leases); the
  candidate item is picked with ``FOR UPDATE SKIP LOCKED`` (concurrent annotators take
  different rows instead of queueing on the same one); counters only change on rows this
  transaction has locked.

On PostgreSQL every statement is a network round trip, so a lease is two: the caller, the
project, their membership and day's count with the advisory lock taken, in one; then the
live lease or else the pick, the counter move, the new lease and the item's pre-annotations
in one (data-modifying CTEs). SQLite, in-process, runs the same steps as small statements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from labelworks.domain.assignment import POOL_FRESH, POOL_STARTED, AssignmentState
from labelworks.storage.projects import PROJECT_COLUMNS, PROJECT_WIDTH, ProjectRow, project_from
from labelworks.storage.sql import Sql, read_time, stored_day
from labelworks.storage.tables import assignments
from labelworks.storage.users import UserRow, caller_query, user_from


def _is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's standing in the project, read with every lease: submissions today, why
    they are paused (``None``: they are not), and where they are in the qualification test
    (passed, failed attempts, answers in the current attempt)."""

    done_today: int
    paused: str | None
    qualified: bool
    failed_attempts: int
    answered: int
    acknowledged: int | None = None


@dataclass(frozen=True, slots=True)
class Seat:
    """The caller a credential names (``None``: nobody active), the project they asked
    for (``None``: no such project), and their standing there (``None``: not a member)."""

    user: UserRow | None
    project: ProjectRow | None
    standing: Standing | None

    @property
    def member(self) -> bool:
        return self.standing is not None


_STANDING_COLUMNS = (
    "m.done_day, m.done_count, m.paused_at, m.pause_reason, m.qualified_at, m.qual_attempt, "
    "m.qual_answered, m.ack_version"
)


def _seat_sql(*, session: bool) -> Sql:
    return caller_query(
        session=session,
        columns=f"{PROJECT_COLUMNS}, m.user_id, {_STANDING_COLUMNS}",
        joins="LEFT JOIN projects p ON p.name = :name "
        "LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = u.id",
        lock="pg_advisory_xact_lock(p.id, u.id)",
    )


_SEAT_BY_TOKEN = _seat_sql(session=False)
_SEAT_BY_SESSION = _seat_sql(session=True)


def seat(
    conn: Connection, *, token_hash: str | None, session_hash: str | None, name: str, now: datetime
) -> Seat:
    """Who an API token (or else a session) belongs to, and their seat in project ``name``;
    on PostgreSQL the (project, annotator) lock is taken in the same statement."""
    query = _SEAT_BY_TOKEN if token_hash is not None else _SEAT_BY_SESSION
    row = query.one(conn, {"hash": token_hash or session_hash, "name": name, "now": now})
    if row is None:
        return Seat(None, None, None)
    member = 7 + PROJECT_WIDTH  # the membership's user_id, then its standing
    project = None if row[7] is None else project_from(row[7:member])
    standing = None if row[member] is None else _standing(row[member + 1 : member + 9], now)
    return Seat(user_from(row), project, standing)


def _standing(row: Sequence[Any], now: datetime) -> Standing:
    """A membership's standing from its ``_STANDING_COLUMNS``."""
    done = int(row[1]) if row[0] == stored_day(now) else 0
    paused = None if row[2] is None else str(row[3] or "paused by a manager")
    return Standing(done, paused, row[4] is not None, int(row[5]), int(row[6]), row[7])


# Advisory locks are keyed (project id, user id); labelworks takes no other advisory locks.
_LOCK = Sql("SELECT pg_advisory_xact_lock(:project, :annotator)")
_DAY = Sql(
    f"SELECT {_STANDING_COLUMNS} FROM memberships m "
    "WHERE m.project_id = :project AND m.user_id = :annotator"
)


def _lock(conn: Connection, project_id: int, annotator_id: int) -> None:
    """Take the (project, annotator) lock until the transaction ends (PostgreSQL; SQLite's
    single writer needs none)."""
    if _is_postgresql(conn):
        _LOCK.run(conn, {"project": project_id, "annotator": annotator_id})


def hold(conn: Connection, project_id: int, annotator_id: int, now: datetime) -> Standing | None:
    """For a caller known by id: take the (project, annotator) lock and read their
    standing (``None`` when not a member)."""
    _lock(conn, project_id, annotator_id)
    row = _DAY.one(conn, {"project": project_id, "annotator": annotator_id})
    return None if row is None else _standing(row, now)


_LAPSED = Sql(
    "SELECT 1 FROM assignments WHERE project_id = :project AND state = 'leased' "
    "AND expires_at < :now LIMIT 1"
)


def reclaim_expired(conn: Connection, project_id: int, overlap: int, now: datetime) -> int:
    """Turn lapsed leases of the project (of ``overlap``) into ``expired`` and give their
    slots back; returns how many."""
    if _LAPSED.one(conn, {"project": project_id, "now": now}) is None:
        return 0  # the usual case, answered from an index without building the update
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
        .returning(assignments.c.item_id, assignments.c.retest)
    ).all()
    if not rows:
        return 0
    # A retest held no slot of its item: nothing to give back.
    per_item = Counter(r.item_id for r in rows if not r.retest)
    # Sorted so that concurrent reclaimers lock items in one order (no deadlock).
    for item_id in sorted(per_item):
        move_counters(conn, item_id, overlap, leased=-per_item[item_id])
    return len(rows)


def pool_after(delta: str, table: str = "") -> str:
    """SQL for ``domain.assignment.pool_of`` over the row's counters plus ``delta`` (SET
    expressions see the old row, hence old + delta)."""
    load = f"{table}n_submitted + {table}n_leased + {delta}"
    # An item's own ``target`` (raised by dynamic overlap) overrides the project's.
    return (
        f"CASE WHEN {load} >= COALESCE({table}target, :overlap) THEN NULL "
        f"WHEN {load} > 0 THEN {POOL_STARTED} ELSE {POOL_FRESH} END"
    )


# A gold item's counters and pool stay still (it is out of the queue): ``NOT gold``.
_MOVE = Sql(
    "UPDATE items SET n_submitted = n_submitted + :submitted, n_leased = n_leased + :leased, "
    f"pool = {pool_after(':delta')} WHERE id = :item AND NOT gold"
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


_LIVE = (
    "SELECT a.id, a.item_id, a.expires_at, a.guideline_version FROM assignments a "
    "WHERE a.annotator_id = :annotator AND a.project_id = :project AND a.state = 'leased' "
    "AND a.expires_at >= :now ORDER BY a.id LIMIT 1"
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
    "ON CONFLICT (item_id, annotator_id, retest) DO UPDATE SET state = 'leased', "
    "leased_at = excluded.leased_at, expires_at = excluded.expires_at, "
    "lease_count = assignments.lease_count + 1, "
    "guideline_version = excluded.guideline_version "
    "WHERE assignments.state = 'expired' RETURNING id, item_id"
)
# A gold item the annotator has not had, drawn at random: the first one at or after a
# random point of the gold ids, wrapping around (two short walks of the ``ix_items_gold``
# index; ``ORDER BY random()`` would read every gold item on every gold lease).
_GOLD_START = (
    "(SELECT min(id) + CAST((max(id) - min(id) + 1) * :fraction AS INTEGER) FROM items "
    "WHERE project_id = :project AND gold)"
)


def _gold_after(op: str) -> str:
    return (
        f"SELECT id, payload FROM items WHERE project_id = :project AND gold "
        f"AND id {op} {_GOLD_START} "
        "AND NOT EXISTS (SELECT 1 FROM assignments WHERE assignments.item_id = items.id "
        "AND assignments.annotator_id = :annotator AND assignments.state != 'expired') "
        "ORDER BY id LIMIT 1"
    )


_GOLD_PICK = (
    f"SELECT id, payload FROM ({_gold_after('>=')}) later UNION ALL "
    f"SELECT id, payload FROM ({_gold_after('<')}) earlier LIMIT 1"
)
_SQLITE_LIVE = Sql(_LIVE)
# Whether an ordinary item is still open to the annotator: the pick without its columns.
_WORK_LEFT_SQL = _PICK.replace("SELECT id, payload", "SELECT 1")
_WORK_LEFT = Sql(_WORK_LEFT_SQL)
_SQLITE_GOLD_PICK = Sql(_GOLD_PICK)
_SQLITE_PAYLOAD = Sql("SELECT payload FROM items WHERE id = :item")
_SQLITE_PICK = Sql(_PICK)
_SQLITE_LEASE = Sql(
    _LEASE.format(
        source="VALUES (:project, :item, :annotator, 'leased', :now, :expires, :guideline, 1)"
    )
)


def _pre_annotations(item: str) -> str:
    return (
        "(SELECT json_agg(json_build_object('model', p.model, 'score', p.score, "
        f"'value', p.value::json) ORDER BY p.id) FROM pre_annotations p WHERE p.item_id = {item})"
    )


def _lease_cte(lock: str) -> Sql:
    """The live lease, or else a new one: one statement (PostgreSQL)."""
    pick = _PICK.replace(" ORDER BY", " AND NOT EXISTS (SELECT 1 FROM held) ORDER BY")
    text = (
        f"WITH held AS ({_LIVE}), picked AS ({pick} {lock}), "
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
        + ") "
        "SELECT held.id, held.item_id, held.expires_at, held.guideline_version, items.payload, "
        f"{_pre_annotations('held.item_id')} FROM held JOIN items ON items.id = held.item_id "
        "UNION ALL "
        "SELECT leased.id, leased.item_id, CAST(:expires AS TIMESTAMP), "
        "CAST(:guideline AS INTEGER), picked.payload, "
        f"{_pre_annotations('leased.item_id')} "
        "FROM leased JOIN picked ON picked.id = leased.item_id"
    )
    return Sql(text, postgresql=text)


def _gold_lease_cte(*, mixed: bool) -> Sql:
    """A new lease on a gold item while the annotator has no live lease: one statement
    (PostgreSQL). ``mixed`` (honeypots): only while ordinary work is left for them, since
    gold comes mixed into work, never after it; otherwise (a qualification test, a training
    project) the live lease is returned too, so the statement is the whole lease. Gold rows
    are not locked: their counters do not move, and the unique (item, annotator) pair
    already keeps one annotator from holding one twice."""
    condition = f" AND EXISTS ({_WORK_LEFT_SQL})" if mixed else ""
    # Both walks of the pick get the conditions (``replace`` changes every ORDER BY).
    pick = _GOLD_PICK.replace(
        " ORDER BY id", f" AND NOT EXISTS (SELECT 1 FROM held){condition} ORDER BY id"
    )
    held = (
        ""
        if mixed
        else "SELECT held.id, held.item_id, held.expires_at, held.guideline_version, "
        f"items.payload, {_pre_annotations('held.item_id')} FROM held "
        "JOIN items ON items.id = held.item_id UNION ALL "
    )
    text = (
        f"WITH held AS ({_LIVE}), picked AS ({pick}), "
        "leased AS ("
        + _LEASE.format(
            source="SELECT CAST(:project AS INTEGER), picked.id, CAST(:annotator AS INTEGER), "
            "'leased', CAST(:now AS TIMESTAMP), CAST(:expires AS TIMESTAMP), "
            "CAST(:guideline AS INTEGER), 1 FROM picked"
        )
        + f") {held}"
        "SELECT leased.id, leased.item_id, CAST(:expires AS TIMESTAMP), "
        "CAST(:guideline AS INTEGER), picked.payload, "
        f"{_pre_annotations('leased.item_id')} "
        "FROM leased JOIN picked ON picked.id = leased.item_id"
    )
    return Sql(text, postgresql=text)


_PG_GOLD = _gold_lease_cte(mixed=True)
_PG_GOLD_ONLY = _gold_lease_cte(mixed=False)
_PG_SKIP_LOCKED = _lease_cte("FOR UPDATE OF items SKIP LOCKED")
_PG_WAIT = _lease_cte("FOR UPDATE OF items")


def _lease_of(row: Sequence[Any]) -> Lease:
    return Lease(
        int(row[0]), int(row[1]), read_time(row[2]), row[3], str(row[4]), list(row[5] or [])
    )


@dataclass(frozen=True, slots=True)
class Lease:
    """The annotator's lease: its assignment and item, until when, under which guideline
    version; the item's payload (JSON text) and, when the same statement could read them,
    its pre-annotations (``None``: not read yet)."""

    assignment_id: int
    item_id: int
    expires_at: datetime
    guideline_version: int | None
    payload: str
    pre_annotations: list[dict[str, Any]] | None


def lease_next(
    conn: Connection,
    *,
    project_id: int,
    annotator_id: int,
    overlap: int,
    now: datetime,
    expires_at: datetime,
    guideline_version: int | None,
    gold: bool = False,
    gold_point: float = 0.0,
    gold_only: bool = False,
) -> Lease | None:
    """The annotator's live lease in the project if they hold one, else a new lease on the
    next item in queue order; ``None`` when nothing is left for them. Call with the
    (project, annotator) lock held (``seat``, ``hold``).

    With ``gold`` (the lease's gold draw came up) the new lease is on a gold item they have
    not had, when there is one and ordinary work is left for them: the first at or after
    ``gold_point`` (in [0, 1)) of the way through the gold ids, wrapping around. With
    ``gold_only`` (a qualification test, a training project) only gold items are leased,
    whether or not ordinary work is left.

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
        "fraction": gold_point,
    }
    if _is_postgresql(conn):
        if gold_only:
            row = _PG_GOLD_ONLY.one(conn, params)
            return None if row is None else _lease_of(row)
        row = _PG_GOLD.one(conn, params) if gold else None
        row = row or _PG_SKIP_LOCKED.one(conn, params) or _PG_WAIT.one(conn, params)
        return None if row is None else _lease_of(row)
    live = _SQLITE_LIVE.one(conn, params)
    if live is not None:
        payload = _SQLITE_PAYLOAD.one(conn, {"item": live[1]})
        assert payload is not None  # a leased item exists: foreign key
        return Lease(int(live[0]), int(live[1]), read_time(live[2]), live[3], payload[0], None)
    picked = None if gold_only else _SQLITE_PICK.one(conn, params)
    if picked is None and not gold_only:
        return None
    if (gold or gold_only) and (golden := _SQLITE_GOLD_PICK.one(conn, params)) is not None:
        leased = _SQLITE_LEASE.one(conn, {**params, "item": golden[0]})
        assert leased is not None  # the pick excluded pairs with a live row
        return Lease(
            int(leased[0]), int(golden[0]), expires_at, guideline_version, str(golden[1]), None
        )
    if picked is None:
        return None
    item_id = int(picked[0])
    move_counters(conn, item_id, overlap, leased=1)
    leased = _SQLITE_LEASE.one(conn, {**params, "item": item_id})
    assert leased is not None  # the pick excluded pairs with a live row
    return Lease(int(leased[0]), item_id, expires_at, guideline_version, str(picked[1]), None)


def has_live_lease(conn: Connection, project_id: int, annotator_id: int, now: datetime) -> bool:
    """Whether the annotator holds an unexpired lease in the project."""
    params = {"project": project_id, "annotator": annotator_id, "now": now}
    return _SQLITE_LIVE.one(conn, params) is not None


def work_left(conn: Connection, project_id: int, annotator_id: int) -> bool:
    """Whether an ordinary item is still open to the annotator."""
    return _WORK_LEFT.one(conn, {"project": project_id, "annotator": annotator_id}) is not None
