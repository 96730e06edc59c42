"""Setting annotations aside: out of the data set, kept whole, their slots back in the queue.

Used when a paused annotator's work is sent back and when a breaking guideline change
re-queues work done under older versions. Nothing is deleted for good: every annotation
moves to ``set_aside_annotations`` with why, by whom and when.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, insert, select, update

from labelworks.domain.assignment import pool_of
from labelworks.storage.tables import (
    annotations_table,
    assignments,
    final_labels,
    items,
    set_aside_annotations,
)


def move_aside(
    conn: Connection,
    *,
    project_id: int,
    which: ColumnElement[bool],
    overlap: int,
    reason: str,
    by: int | None,
    now: datetime,
    same_annotator_again: bool = False,
) -> int:
    """Set aside the project's annotations of ordinary items matching ``which``; each
    item gets its slots back (and loses a consensus label decided from them, unless an
    adjudicator decided it). With ``same_annotator_again`` their assignments reopen, so
    the same people may be offered the items again (a guideline change asks everyone to
    redo them); otherwise others redo them. Returns how many annotations moved."""
    a = annotations_table
    rows = conn.execute(
        select(a.c.id, a.c.assignment_id, a.c.item_id, a.c.annotator_id, a.c.value)
        .add_columns(a.c.seconds, a.c.guideline_version, a.c.created_at)
        .join(items, items.c.id == a.c.item_id)
        .where(a.c.project_id == project_id, ~items.c.gold, which)
        .order_by(a.c.id)
    ).all()
    if not rows:
        return 0
    conn.execute(
        insert(set_aside_annotations), [_kept(r, project_id, reason, by, now) for r in rows]
    )
    ids = [int(r.id) for r in rows]
    assignment_ids = [int(r.assignment_id) for r in rows]
    for start in range(0, len(ids), 500):
        conn.execute(delete(a).where(a.c.id.in_(ids[start : start + 500])))
        if same_annotator_again:
            chunk = assignment_ids[start : start + 500]
            conn.execute(
                update(assignments).where(assignments.c.id.in_(chunk)).values(state="expired")
            )
    per_item = Counter(int(r.item_id) for r in rows)
    # Sorted: concurrent writers lock items in one order.
    for item_id in sorted(per_item):
        conn.execute(
            update(items)
            .where(items.c.id == item_id)
            .values(n_submitted=items.c.n_submitted - per_item[item_id])
        )
        row = conn.execute(
            select(items.c.n_submitted, items.c.n_leased, items.c.target).where(
                items.c.id == item_id
            )
        ).one()
        conn.execute(
            update(items)
            .where(items.c.id == item_id)
            .values(pool=pool_of(int(row[0]), int(row[1]), int(row[2] or overlap)))
        )
        conn.execute(
            delete(final_labels).where(
                final_labels.c.item_id == item_id, final_labels.c.status != "adjudicated"
            )
        )
    return len(rows)


def _kept(r: Any, project_id: int, reason: str, by: int | None, now: datetime) -> dict[str, Any]:
    return {
        "annotation_id": r.id,
        "assignment_id": r.assignment_id,
        "project_id": project_id,
        "item_id": r.item_id,
        "annotator_id": r.annotator_id,
        "value": r.value,
        "seconds": r.seconds,
        "guideline_version": r.guideline_version,
        "created_at": r.created_at,
        "reason": reason,
        "set_aside_by": by,
        "set_aside_at": now,
    }
