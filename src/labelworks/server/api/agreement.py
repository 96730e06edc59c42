"""Inter-annotator agreement of a project, per categorical field."""

from __future__ import annotations

from fastapi import APIRouter, Query

from labelworks.schemas.agreement import AgreementOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services import agreement

router = APIRouter(prefix="/api/v1", tags=["quality"], responses=ERRORS)


@router.get(
    "/projects/{project}/agreement",
    operation_id="project_agreement",
    response_model=AgreementOut,
)
def project_agreement(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    field: str | None = Query(
        None, min_length=1, max_length=200, description="one categorical field only"
    ),
) -> AgreementOut:
    """Agreement per categorical field (choice, rating, pairwise) on the items labelled
    twice or more: Krippendorff's alpha (ordinal for ratings), Fleiss' kappa and Gwet's AC1
    with 95% bootstrap intervals, per-label kappa and Cohen's kappa of each pair of
    annotators. Reviewers, managers and admins outside any vendor (it pools every vendor's
    work); an unknown or non-categorical ``field`` is a 422 naming the fields. Cached while
    the project's annotations and spec are unchanged."""
    report = agreement.project_agreement(db, project, field=field, actor=actor)
    return AgreementOut.model_validate(report.to_dict())
