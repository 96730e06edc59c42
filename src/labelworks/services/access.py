"""Enforcing the role policy of ``domain.access`` inside service transactions.

``actor=None`` means a trusted local operator (the CLI on the server's own database); every
HTTP request passes the authenticated actor.
"""

from __future__ import annotations

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, Role, allowed, wall
from labelworks.domain.errors import NotFound, PermissionDenied
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database
from labelworks.storage.projects import ProjectRow
from labelworks.storage.users import UserRow


def a_role(role: Role) -> str:
    """The role with its article, for messages: "an annotator", "a reviewer"."""
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"


def actor_of(user: UserRow) -> Actor:
    return Actor(id=user.id, email=user.email, role=Role(user.role), vendor=user.vendor)


def project_for(
    conn: Connection,
    actor: Actor | None,
    name: str,
    action: Action,
    *,
    for_update: bool = False,
) -> ProjectRow:
    """Load a project the actor may ``action`` on.

    Non-members are told the project does not exist (names are not an oracle); members
    whose role does not allow the action get ``PermissionDenied``.
    """
    if actor is None:
        project = project_store.by_name(conn, name, for_update=for_update)
        if project is None:
            raise NotFound(f"project '{name}' does not exist")
        return project
    found, member = project_store.by_name_with_membership(
        conn, name, actor.id, for_update=for_update
    )
    return admit(actor, name, action, found, member=member)


def unwalled_project(
    conn: Connection, actor: Actor | None, name: str, action: Action, why: str
) -> ProjectRow:
    """``project_for``, for work that shows every vendor's work together (final labels,
    evaluations, judges): a vendor's staff is refused, ``why`` saying why."""
    project = project_for(conn, actor, name, action)
    if wall(actor) is not None:
        raise PermissionDenied(why)
    return project


def admit(
    actor: Actor, name: str, action: Action, found: ProjectRow | None, *, member: bool
) -> ProjectRow:
    """``found`` (the project named ``name``), if the actor may ``action`` on it; the
    errors of ``project_for``."""
    if found is None:
        raise NotFound(f"project '{name}' does not exist")
    if allowed(actor, action, member=member):
        return found
    if not member:
        raise NotFound(f"project '{name}' does not exist")
    raise PermissionDenied(f"{a_role(actor.role)} may not {action.value} project '{name}'")


def visible_project_ids(conn: Connection, actor: Actor | None) -> set[int] | None:
    """Projects the actor may see (``None``: all of them)."""
    if actor is None or actor.is_admin:
        return None
    return set(user_store.project_ids_of(conn, actor.id))


def require(db: Database, actor: Actor | None, name: str, action: Action) -> None:
    """Check, in a transaction of its own, that the actor may ``action`` on the project
    (interfaces ask before they read a request body)."""
    with db.read() as conn:
        project_for(conn, actor, name, action)
