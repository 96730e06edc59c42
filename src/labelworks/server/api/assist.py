"""The project's baseline model (spec ``assist``): its trainings and how it fares, and
active learning simulated on its final labels. Training is a job: ``POST …/jobs`` with
``{"kind": "train"}``."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.assist import AssistReportOut, LearningCurveOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services.assist import assist_report
from labelworks.services.learning_curve import learning_curve

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


@router.get(
    "/projects/{project}/model/curve",
    operation_id="model_learning_curve",
    response_model=LearningCurveOut,
)
def model_learning_curve(project: ProjectName, db: DB, actor: CurrentActor) -> LearningCurveOut:
    """Active learning simulated on the project's decided final labels of its assist field
    (at most 2,000, a quarter held out, three runs): the baseline model's held-out accuracy
    (95% Wilson interval) by labels spent when it picks the texts it is least sure about
    (``uncertainty``) and in random order (``random``), and the labels uncertainty saves at
    the accuracy random order ends with. Takes seconds. Without an assist section or with
    fewer than 40 usable final labels, no points and a ``reason``. Needs the review right."""
    report = learning_curve(db, project, actor=actor)
    return LearningCurveOut.model_validate(report, from_attributes=True)
