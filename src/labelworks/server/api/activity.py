"""A project's activity: what its Overview shows, for scripts and dashboards elsewhere."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.activity import ActivityOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services.recent import project_pulse

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=ERRORS)


@router.get(
    "/projects/{project}/activity", operation_id="project_activity", response_model=ActivityOut
)
def project_activity(project: ProjectName, db: DB, actor: CurrentActor) -> ActivityOut:
    """The Overview's figures: annotations per day for the last 30 days with the running
    total, done against needed, the last 7 days, label counts of the first categorical
    field, and the 20 newest events. The review right; behind a vendor wall, that vendor's
    work and no audit events. Cached while the annotation count is unchanged."""
    return ActivityOut.model_validate(project_pulse(db, project, actor=actor).to_dict())
