"""A project's archived state (migration 0016) and the live work that archiving stops."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update

from labelworks.storage.tables import assignments, projects


def live_leases(conn: Connection, project_id: int, at: datetime) -> int:
    """Leases of the project still live at ``at``."""
    query = select(func.count()).where(
        assignments.c.project_id == project_id,
        assignments.c.state == "leased",
        assignments.c.expires_at > at,
    )
    return int(conn.execute(query).scalar_one())


def set_archived(conn: Connection, project_id: int, at: datetime | None) -> None:
    """Archive the project at ``at``; ``None`` brings it back."""
    conn.execute(update(projects).where(projects.c.id == project_id).values(archived_at=at))
