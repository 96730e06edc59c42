"""The two reads behind serving an item's object media: the item's payload, if it belongs
to the project, and whether an annotator holds the item (a live lease or their own
submitted work)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, or_, select

from labelworks.domain.assignment import AssignmentState
from labelworks.storage.tables import assignments, items


def payload_in_project(conn: Connection, project_id: int, item_id: int) -> str | None:
    """The item's payload JSON, or ``None`` when the project has no such item."""
    found = conn.execute(
        select(items.c.payload).where(items.c.id == item_id, items.c.project_id == project_id)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def annotator_holds(conn: Connection, item_id: int, annotator_id: int, now: datetime) -> bool:
    """Whether the annotator has the item leased now, or has submitted it."""
    held = conn.execute(
        select(assignments.c.id)
        .where(
            assignments.c.item_id == item_id,
            assignments.c.annotator_id == annotator_id,
            or_(
                and_(
                    assignments.c.state == AssignmentState.LEASED.value,
                    assignments.c.expires_at > now,
                ),
                assignments.c.state == AssignmentState.SUBMITTED.value,
            ),
        )
        .limit(1)
    ).first()
    return held is not None
