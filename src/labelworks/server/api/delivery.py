"""A project's acceptance criteria, each met or not, with the figures behind them.

Delivering writes files on the server's disk, so it is a CLI command, not a route.
"""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.delivery import (
    AcceptanceOut,
    CriterionOut,
    FieldAgreementOut,
    GoldAccuracyOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services import delivery

router = APIRouter(prefix="/api/v1", tags=["delivery"], responses=ERRORS)


@router.get(
    "/projects/{project}/acceptance", operation_id="acceptance", response_model=AcceptanceOut
)
def acceptance(project: ProjectName, db: DB, actor: CurrentActor) -> AcceptanceOut:
    """The project measured against its acceptance criteria (``quality.acceptance``):
    agreement per categorical field with its 95% bootstrap interval, pooled gold accuracy
    with its Wilson interval, final labels and open escalations; reviewers, managers and
    admins outside any vendor (the figures combine every vendor's work)."""
    report = delivery.acceptance_report(db, project, actor=actor)
    gold = report.gold
    low, high = gold.interval or (None, None)
    return AcceptanceOut(
        project=report.project,
        generated_at=report.generated_at,
        accepted=report.accepted,
        criteria=[CriterionOut.model_validate(c.to_dict()) for c in report.criteria],
        agreement=[FieldAgreementOut.model_validate(a.to_dict()) for a in report.agreement],
        gold=GoldAccuracyOut(
            correct=gold.correct, total=gold.total, accuracy=gold.accuracy, low=low, high=high
        ),
        counts=report.counts,
    )
