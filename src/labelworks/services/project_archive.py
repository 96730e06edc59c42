"""Archiving a project: it leaves the project list and becomes read-only (nothing is leased
or imported; its pages, exports and figures stay), until it is brought back.

Archiving is refused while the project still has open work (items waiting for annotations,
or live leases) unless forced: a project is archived when it is done, or on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.errors import Conflict, PermissionDenied
from labelworks.services.access import project_for
from labelworks.storage import catalog
from labelworks.storage import project_archive as store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow


@dataclass(frozen=True, slots=True)
class Archived:
    project: str
    archived_at: datetime | None  # None: in use again
    open_items: int  # items still waiting for annotations when it was archived


def refuse_archived(project: ProjectRow, doing: str) -> None:
    """Raise ``Conflict`` when the project is archived: nothing is ``doing`` there."""
    if project.archived_at is not None:
        raise Conflict(
            f"project '{project.name}' is archived ({project.archived_at:%Y-%m-%d}): "
            f"it takes no {doing}; a manager can bring it back with unarchive"
        )


def _manageable(conn: Connection, actor: Actor | None, name: str) -> ProjectRow:
    project = project_for(conn, actor, name, Action.MANAGE, for_update=True)
    if actor is not None and wall(actor) is not None:
        raise PermissionDenied("a vendor's staff may not archive a project")
    return project


def archive_project(
    db: Database, name: str, *, force: bool = False, actor: Actor | None = None
) -> Archived:
    """Archive the project (those who manage it, outside vendor walls); refused with
    ``Conflict`` while items wait for annotations or leases are live, unless ``force``.
    Archiving an archived project changes nothing."""

    def work(conn: Connection) -> Archived:
        project = _manageable(conn, actor, name)
        if project.archived_at is not None:
            return Archived(name, project.archived_at, 0)
        at = utcnow()
        waiting = catalog.open_items(conn, project.id)
        live = store.live_leases(conn, project.id, at)
        if (waiting or live) and not force:
            raise Conflict(
                f"project '{name}' still has {waiting} item{'' if waiting == 1 else 's'} "
                f"waiting for annotations and {live} live lease{'' if live == 1 else 's'}; "
                "archive with force to stop that work"
            )
        store.set_archived(conn, project.id, at)
        return Archived(name, at, waiting)

    return db.run_write(work)


def unarchive_project(db: Database, name: str, *, actor: Actor | None = None) -> Archived:
    """Bring an archived project back into use (those who manage it)."""

    def work(conn: Connection) -> Archived:
        project = _manageable(conn, actor, name)
        store.set_archived(conn, project.id, None)
        return Archived(name, None, catalog.open_items(conn, project.id))

    return db.run_write(work)
