"""Deleting a project: what work it holds, and the delete itself (every table that belongs
to a project cascades from ``projects``)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select

from labelworks.storage.tables import annotations_table, late_submissions, projects


def submitted_work(conn: Connection, project_id: int) -> int:
    """Annotations and late submissions made in the project (set-aside ones included)."""
    total = 0
    for table in (annotations_table, late_submissions):
        query = select(func.count()).select_from(table).where(table.c.project_id == project_id)
        total += int(conn.execute(query).scalar_one())
    return total


def delete_project(conn: Connection, project_id: int) -> None:
    """Delete the project row; items, annotations, gold, reviews, audit events and the rest
    go with it through their ``ON DELETE CASCADE`` keys."""
    conn.execute(delete(projects).where(projects.c.id == project_id))
