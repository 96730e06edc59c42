"""Inter-annotator agreement of a project, per field, over a period and a vendor."""

from __future__ import annotations

from fastapi import APIRouter, Query

from labelworks.schemas.agreement import AgreementOut
from labelworks.schemas.lots import MAX_NAME, NO_NUL, Moment
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
    field: str | None = Query(None, min_length=1, max_length=200, description="one field only"),
    since: Moment | None = Query(
        None, description="annotations submitted at or after (ISO 8601; UTC unless offset)"
    ),
    until: Moment | None = Query(None, description="annotations submitted before"),
    vendor: str | None = Query(
        None,
        min_length=1,
        max_length=MAX_NAME,
        pattern=NO_NUL,
        description="that vendor's annotators only",
    ),
) -> AgreementOut:
    """Agreement on the items labelled twice or more, per categorical field (choice,
    rating, pairwise): Krippendorff's alpha (ordinal for ratings), Fleiss' kappa and Gwet's
    AC1 with 95% bootstrap intervals, per-label kappa, Cohen's kappa of each pair of
    annotators, the confusion matrix between labels, the most contested items and each
    annotator's kappa with the rest; per spans, boxes or segments field, pairwise F1.
    ``since``/``until``/``vendor`` keep the annotations of that period and vendor; a
    vendor's staff read their own vendor's annotations only (another vendor is a 403).
    An unknown or unmeasured ``field``, an unknown vendor or ``since`` not before
    ``until`` is a 422 saying why. Cached while the project's annotations and spec are
    unchanged."""
    report = agreement.project_agreement(
        db, project, field=field, since=since, until=until, vendor=vendor, actor=actor
    )
    return AgreementOut.model_validate(report.to_dict())
