"""The project's baseline model (spec ``assist``): its trainings and how it fares. Training
is a job: ``POST …/jobs`` with ``{"kind": "train"}``."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.assist import AssistReportOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services.assist import assist_report

router = APIRouter(prefix="/api/v1", tags=["assist"], responses=ERRORS)


@router.get(
    "/projects/{project}/model", operation_id="model_report", response_model=AssistReportOut
)
def model_report(project: ProjectName, db: DB, actor: CurrentActor) -> AssistReportOut:
    """The project's baseline model: its settings, final labels so far and until the next
    training, every training newest first with held-out accuracy (95% Wilson interval) and
    macro-F1, and how many current suggestions the final labels confirmed. Needs the review
    right."""
    report = assist_report(db, project, actor=actor)
    return AssistReportOut.model_validate(report, from_attributes=True)
