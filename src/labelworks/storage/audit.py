"""The audit trail: appending events and reading them back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from labelworks.storage.tables import audit_events, users


def record(
    conn: Connection,
    *,
    project_id: int,
    actor_id: int | None,
    action: str,
    subject: str,
    details: dict[str, Any],
    guideline_version: int | None,
    now: datetime,
) -> None:
    conn.execute(
        insert(audit_events).values(
            project_id=project_id,
            actor_id=actor_id,
            action=action,
            subject=subject[:200],
            details=json.dumps(details, ensure_ascii=False, separators=(",", ":"), default=str),
            guideline_version=guideline_version,
            created_at=now,
        )
    )


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str | None  # the user's email; None: the system or a local operator
    action: str
    subject: str
    details: dict[str, Any]
    guideline_version: int | None


def events(
    conn: Connection,
    project_id: int,
    *,
    action: str | None = None,
    after: int = 0,
    limit: int | None = None,
) -> Iterator[AuditEvent]:
    """The project's events in order (a keyset page with ``limit``)."""
    query = (
        select(audit_events, users.c.email)
        .outerjoin(users, users.c.id == audit_events.c.actor_id)
        .where(audit_events.c.project_id == project_id, audit_events.c.id > after)
        .order_by(audit_events.c.id)
    )
    if action is not None:
        query = query.where(audit_events.c.action == action)
    if limit is not None:
        query = query.limit(limit)
    for r in conn.execute(query):
        yield AuditEvent(
            id=int(r.id),
            at=r.created_at,
            actor=r.email,
            action=str(r.action),
            subject=str(r.subject),
            details=json.loads(r.details),
            guideline_version=r.guideline_version,
        )
