"""Deleting a project, refused while it holds submitted work unless forced."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, Role, wall
from labelworks.domain.errors import Conflict, PermissionDenied
from labelworks.services.access import project_for
from labelworks.storage import project_removal
from labelworks.storage.engine import Database


@dataclass(frozen=True, slots=True)
class Deleted:
    project: str
    annotations: int  # submitted work deleted with it (0 unless forced)


def delete_project(
    db: Database, name: str, *, force: bool = False, actor: Actor | None = None
) -> Deleted:
    """Delete a project with its items and everything attached.

    Refused with ``Conflict`` while annotations or late submissions exist, unless ``force``:
    deleting them cannot be undone, so export first. Those who manage the project may
    delete it (a vendor's staff never: it holds every vendor's work); deleting people's
    work with ``force`` is for admins and the local operator (``actor`` None).
    """

    def work(conn: Connection) -> Deleted:
        project = project_for(conn, actor, name, Action.MANAGE, for_update=True)
        if actor is not None and wall(actor) is not None:
            raise PermissionDenied("a vendor's staff may not delete a project")
        if force and actor is not None and actor.role != Role.ADMIN:
            raise PermissionDenied("only an admin may delete a project with its annotations")
        work_count = project_removal.submitted_work(conn, project.id)
        if work_count and not force:
            raise Conflict(
                f"project '{name}' has {work_count} annotation{'s' if work_count != 1 else ''}; "
                "export them first, then delete with force to delete them too"
            )
        project_removal.delete_project(conn, project.id)
        return Deleted(name, work_count)

    return db.run_write(work)
