"""The PII screening report: what a project's privacy policy finds in its items."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.pii import PiiReportOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services.pii_report import screen_project

router = APIRouter(prefix="/api/v1", tags=["privacy"], responses=ERRORS)


@router.get("/projects/{project}/pii", operation_id="pii_report", response_model=PiiReportOut)
def pii_report(project: ProjectName, db: DB, actor: CurrentActor) -> PiiReportOut:
    """Screen every item with the project's privacy policy (the default one if it has
    none): counts by kind and payload key, items affected, the first affected items with
    masked samples. Found values are never returned whole. Needs the manage right."""
    report = screen_project(db, project, actor=actor)
    return PiiReportOut.model_validate(report, from_attributes=True)
