"""What agreement reads besides the votes themselves (``storage.delivery.ordinary_votes``):
the state of a project's annotations, which keys the agreement cache, and annotators'
emails."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, func, select

from labelworks.storage.tables import annotations_table, users


def vote_state(conn: Connection, project_id: int) -> tuple[int, int]:
    """``(annotations, newest annotation id)`` of the project: any annotation submitted or
    set aside changes it (annotations are never edited in place)."""
    row = conn.execute(
        select(func.count(), func.coalesce(func.max(annotations_table.c.id), 0)).where(
            annotations_table.c.project_id == project_id
        )
    ).one()
    return int(row[0]), int(row[1])


def emails_of(conn: Connection, user_ids: Collection[int]) -> dict[int, str]:
    """Each of ``user_ids``' email."""
    if not user_ids:
        return {}
    query = select(users.c.id, users.c.email).where(users.c.id.in_(sorted(user_ids)))
    return {int(i): str(e) for i, e in conn.execute(query)}
