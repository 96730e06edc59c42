"""A project's members as its Members page lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from labelworks.storage.tables import annotations_table, memberships, users
from labelworks.storage.users import UserRow, to_user, user_query


@dataclass(frozen=True, slots=True)
class MemberRow:
    user: UserRow
    joined_at: datetime
    last_annotation_at: datetime | None  # their latest annotation in the project


def members_of(conn: Connection, project_id: int) -> list[MemberRow]:
    """Every member of the project by email, with when they joined and last annotated it
    (one grouped read of the annotations' (project, annotator, created_at) index)."""
    last = (
        select(
            annotations_table.c.annotator_id,
            func.max(annotations_table.c.created_at).label("last_at"),
        )
        .where(annotations_table.c.project_id == project_id)
        .group_by(annotations_table.c.annotator_id)
        .subquery()
    )
    query = (
        user_query()
        .add_columns(memberships.c.created_at.label("joined_at"), last.c.last_at)
        .join(memberships, memberships.c.user_id == users.c.id)
        .outerjoin(last, last.c.annotator_id == users.c.id)
        .where(memberships.c.project_id == project_id)
        .order_by(users.c.email)
    )
    return [MemberRow(to_user(r), r.joined_at, r.last_at) for r in conn.execute(query)]
