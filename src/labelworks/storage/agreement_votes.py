"""What agreement reads besides the votes themselves (``storage.delivery.ordinary_votes``):
the state of a project's annotations, which keys the agreement cache, annotators' emails,
the external ids of the items it links to, and the vendors it may be filtered by."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, func, select

from labelworks.storage.tables import annotations_table, items, memberships, users, vendors


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


def external_ids(conn: Connection, project_id: int, item_ids: Collection[int]) -> dict[int, str]:
    """The external id of each of the project's ``item_ids`` that has one."""
    if not item_ids:
        return {}
    query = select(items.c.id, items.c.external_id).where(
        items.c.project_id == project_id,
        items.c.id.in_(sorted(item_ids)),
        items.c.external_id.is_not(None),
    )
    return {int(i): str(x) for i, x in conn.execute(query)}


def vendor_exists(conn: Connection, name: str) -> bool:
    return conn.execute(select(vendors.c.id).where(vendors.c.name == name)).first() is not None


def member_vendors(conn: Connection, project_id: int) -> list[str]:
    """The vendors of the project's members, by name."""
    query = (
        select(vendors.c.name)
        .distinct()
        .join(users, users.c.vendor_id == vendors.c.id)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.project_id == project_id)
        .order_by(vendors.c.name)
    )
    return [str(n) for n in conn.execute(query).scalars()]
