"""Deleting a project over the API: the CLI's ``project delete``, with the same refusal."""

from __future__ import annotations

from fastapi import APIRouter, Query

from labelworks.schemas.api import DeletedOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services import project_removal

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
