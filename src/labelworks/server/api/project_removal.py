"""Archiving and deleting a project over the API: the CLI's ``project archive`` and
``project delete``, with the same refusals."""

from __future__ import annotations

from fastapi import APIRouter, Query

from labelworks.schemas.api import ArchivedOut, DeletedOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services import project_archive, project_removal

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=ERRORS)


@router.delete("/projects/{project}", operation_id="delete_project", response_model=DeletedOut)
def delete_project(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    force: bool = Query(False, description="delete its annotations too (admins only)"),
) -> DeletedOut:
    """Delete the project with its items, assignments, gold, reviews, escalations, spec and
    guideline history and audit events; people stay. Those who manage the project may delete
    it while it holds no annotations (409 otherwise: export first); with ``force``, an
    admin deletes the annotations with it. A vendor's staff may not (403)."""
    done = project_removal.delete_project(db, project, force=force, actor=actor)
    return DeletedOut(project=done.project, annotations=done.annotations)


@router.post(
    "/projects/{project}/archive", operation_id="archive_project", response_model=ArchivedOut
)
def archive_project(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    force: bool = Query(False, description="archive even with work still open"),
) -> ArchivedOut:
    """Archive the project: it leaves the project list (``GET /projects?archived=true``
    lists it) and takes no leases or imports; its pages, exports and figures stay. Refused
    (409) while items wait for annotations or leases are live, unless ``force``. Those who
    manage it, outside vendor walls."""
    done = project_archive.archive_project(db, project, force=force, actor=actor)
    return ArchivedOut(
        project=done.project, archived_at=done.archived_at, open_items=done.open_items
    )


@router.post(
    "/projects/{project}/unarchive", operation_id="unarchive_project", response_model=ArchivedOut
)
def unarchive_project(project: ProjectName, db: DB, actor: CurrentActor) -> ArchivedOut:
    """Bring an archived project back into use."""
    done = project_archive.unarchive_project(db, project, actor=actor)
    return ArchivedOut(project=done.project, archived_at=None, open_items=done.open_items)
