"""Experts' decisions: the final labels an adjudicator set, newest first, with who set them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from labelworks.storage.tables import final_labels, items, users


@dataclass(frozen=True, slots=True)
class Decision:
    item_id: int
    external_id: str | None
    value: dict[str, Any]
    note: str
    decided_at: datetime
    decided_by: str | None  # the adjudicator's email (None: decided by a local operator)


def recent_decisions(conn: Connection, project_id: int, limit: int) -> list[Decision]:
    """The project's ``limit`` most recent adjudicated labels."""
    query = (
        select(
            final_labels.c.item_id,
            items.c.external_id,
            final_labels.c.value,
            final_labels.c.note,
            final_labels.c.decided_at,
            users.c.email,
        )
        .join(items, items.c.id == final_labels.c.item_id)
        .outerjoin(users, users.c.id == final_labels.c.decided_by)
        .where(final_labels.c.project_id == project_id, final_labels.c.status == "adjudicated")
        .order_by(final_labels.c.decided_at.desc(), final_labels.c.item_id.desc())
        .limit(limit)
    )
    return [
        Decision(
            item_id=int(r.item_id),
            external_id=r.external_id,
            value=json.loads(r.value),
            note=str(r.note),
            decided_at=r.decided_at,
            decided_by=r.email,
        )
        for r in conn.execute(query)
    ]
