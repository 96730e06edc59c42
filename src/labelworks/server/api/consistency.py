"""Consistency audits: the test–retest report."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.consistency import ConsistencyReportOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services import retests

router = APIRouter(prefix="/api/v1", tags=["quality"], responses=ERRORS)


@router.get(
    "/projects/{project}/consistency",
    operation_id="consistency_report",
    response_model=ConsistencyReportOut,
)
def consistency_report(project: ProjectName, db: DB, actor: CurrentActor) -> ConsistencyReportOut:
    """Test–retest agreement from the consistency audits (``quality.retest``): pooled and
    per annotator, per field, the share answered the same both times with its 95% Wilson
    interval and Cohen's kappa, and the latest retests (behind a vendor wall: that vendor's
    people only)."""
    report = retests.retest_report(db, project, actor=actor)
    return ConsistencyReportOut.model_validate(report.to_dict())
