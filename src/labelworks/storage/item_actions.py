"""Bulk actions on a project's items: the state each selected item is in, a new priority,
one more annotation of items that have all they need, and deleting items nobody worked on.

Ids go to the database in chunks (``CHUNK``), in sorted order, so that concurrent writers
lock items in one order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, case, delete, func, literal, null, or_, select, update

from labelworks.domain.assignment import POOL_STARTED
from labelworks.storage.tables import (
    escalations,
    final_labels,
    items,
    late_submissions,
    retests,
    set_aside_annotations,
)

CHUNK = 500
# Work kept for an item outside its annotations: deleting the item would delete it too.
_KEPT_WORK = (set_aside_annotations, late_submissions, retests, escalations)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


@dataclass(frozen=True, slots=True)
class ItemState:
    id: int
    n_submitted: int
    n_leased: int
    target: int | None
    gold: bool
    adjudicated: bool  # its final label was decided by an expert


def states(conn: Connection, project_id: int, ids: Sequence[int]) -> dict[int, ItemState]:
    """The state of each of ``ids`` that is an item of the project (others are missing)."""
    found: dict[int, ItemState] = {}
    for chunk in _chunks(ids):
        adjudicated = (
            select(final_labels.c.item_id)
            .where(final_labels.c.item_id == items.c.id, final_labels.c.status == "adjudicated")
            .exists()
        )
        rows = conn.execute(
            select(
                items.c.id,
                items.c.n_submitted,
                items.c.n_leased,
                items.c.target,
                items.c.gold,
                adjudicated.label("adjudicated"),
            ).where(items.c.project_id == project_id, items.c.id.in_(chunk))
        )
        for r in rows:
            found[int(r.id)] = ItemState(
                int(r.id),
                int(r.n_submitted),
                int(r.n_leased),
                None if r.target is None else int(r.target),
                bool(r.gold),
                bool(r.adjudicated),
            )
    return found


def with_kept_work(conn: Connection, project_id: int, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` have annotations set aside, late submissions, consistency retests
    or flags: one read of each of those tables' rows in the project."""
    wanted = set(ids)
    out: set[int] = set()
    for table in _KEPT_WORK:
        query = select(table.c.item_id).where(table.c.project_id == project_id).distinct()
        out.update(i for i in conn.execute(query).scalars() if i in wanted)
    return out


def set_priority(conn: Connection, ids: Sequence[int], priority: int) -> int:
    """Give the items ``priority``, set by hand from now on (the spec's routing leaves it
    alone, ``storage/routing.py``); returns how many changed."""
    changed = 0
    for chunk in _chunks(ids):
        result = conn.execute(
            update(items)
            .where(items.c.id.in_(chunk), or_(items.c.priority != priority, items.c.routed))
            .values(priority=priority, routed=False)
        )
        changed += int(result.rowcount)
    return changed


def ask_one_more(conn: Connection, ids: Sequence[int], overlap: int) -> list[int]:
    """Of the ordinary items ``ids``, those whose submitted annotations reached their target
    (their own, else ``overlap``) get one more as their target and go back into the queue,
    losing a final label that consensus (not an expert) decided. Returns their ids."""
    raised: list[int] = []
    for chunk in _chunks(ids):
        full = (
            items.c.id.in_(chunk),
            ~items.c.gold,
            items.c.n_submitted >= func.coalesce(items.c.target, overlap),
        )
        found = [int(i) for i in conn.execute(select(items.c.id).where(*full)).scalars()]
        if not found:
            continue
        # The item has submissions, so it goes back as started; a lease still held (a late
        # one) fills the new slot itself.
        conn.execute(
            update(items)
            .where(items.c.id.in_(found))
            .values(
                target=items.c.n_submitted + 1,
                pool=case((items.c.n_leased > 0, null()), else_=literal(POOL_STARTED)),
            )
        )
        conn.execute(
            delete(final_labels).where(
                final_labels.c.item_id.in_(found), final_labels.c.status != "adjudicated"
            )
        )
        raised.extend(found)
    return raised


def delete_unworked(conn: Connection, ids: Sequence[int]) -> int:
    """Delete the items ``ids`` that have no annotations, no live lease and are not gold
    (their pre-annotations, expired or skipped assignments and final-label rows go with
    them); returns how many were deleted."""
    deleted = 0
    for chunk in _chunks(ids):
        result = conn.execute(
            delete(items).where(
                items.c.id.in_(chunk),
                items.c.n_submitted == 0,
                items.c.n_leased == 0,
                ~items.c.gold,
            )
        )
        deleted += int(result.rowcount)
    return deleted
