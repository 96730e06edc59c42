"""Review: the queue of sampled annotations, a reviewer's decision (accept, reject with a
reason code, fix), and each annotator's review outcomes."""

from __future__ import annotations

import math

from fastapi import APIRouter, Query, Response

from labelworks.schemas.reviews import (
    MAX_REVIEWS_PAGE,
    ReviewDecisionIn,
    ReviewFilter,
    ReviewOut,
    ReviewOutcomeOut,
    ReviewPageOut,
    ReviewReportOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayReview
from labelworks.server.params import AfterId, ProjectName, RowId
from labelworks.services import reviews
from labelworks.services.reviews import ReviewOutcomes

router = APIRouter(prefix="/api/v1", tags=["reviews"], responses=ERRORS)


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


@router.get(
    "/projects/{project}/reviews", operation_id="list_reviews", response_model=ReviewPageOut
)
def list_reviews(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    status: ReviewFilter = Query("pending", description="reviews of this status, or all"),
    after: AfterId = 0,
    limit: int = Query(50, ge=1, le=MAX_REVIEWS_PAGE),
) -> ReviewPageOut:
    """A page of the project's reviews (pending ones unless ``status`` says otherwise),
    oldest first; follow ``next_after``. Needs the review right; behind a vendor wall,
    that vendor's people's work only."""
    rows = reviews.review_queue(
        db,
        project,
        actor=actor,
        status=None if status == "all" else status,
        after=after,
        limit=limit,
    )
    return ReviewPageOut(
        items=[ReviewOut.model_validate(r, from_attributes=True) for r in rows],
        next_after=rows[-1].id if len(rows) == limit else None,
    )


@router.get(
    "/projects/{project}/reviews/report",
    operation_id="review_report",
    response_model=ReviewReportOut,
)
def review_report(project: ProjectName, db: DB, actor: CurrentActor) -> ReviewReportOut:
    """Each reviewed annotator's outcomes, the lowest acceptance first: pending, accepted,
    rejected and fixed counts, and acceptance (accepted of decided) with its 95% Wilson
    interval (``null`` while nothing is decided); behind a vendor wall, that vendor's
    people only."""
    rows = reviews.review_report(db, project, actor=actor)
    return ReviewReportOut(project=project, annotators=[_outcome(r) for r in rows])


def _outcome(r: ReviewOutcomes) -> ReviewOutcomeOut:
    low, high = r.interval or (None, None)
    return ReviewOutcomeOut(
        annotator=r.annotator,
        vendor=r.vendor,
        pending=r.pending,
        accepted=r.accepted,
        rejected=r.rejected,
        fixed=r.fixed,
        decided=r.decided,
        acceptance=_finite(r.acceptance),
        low=_finite(low),
        high=_finite(high),
    )


@router.post(
    "/projects/{project}/reviews/{review_id}",
    operation_id="decide_review",
    status_code=204,
    response_class=Response,
    openapi_extra=json_body_doc(ReviewDecisionIn),
)
def decide_review(
    project: ProjectName,
    review_id: RowId,
    db: DB,
    actor: CurrentActor,
    _may: MayReview,
    raw: RawBody,
) -> Response:
    """Decide a pending review: ``accept``; ``reject`` with one of the spec's reason codes
    (the annotation is set aside and the item goes back to its annotator or to others, as
    ``quality.review.rejected_to`` says); or ``fix`` with the corrected value, checked like
    an annotation and kept beside the original. Nobody decides on their own work (403); a
    review decided already is a 409."""
    body = parse_body(ReviewDecisionIn, raw)
    reviews.decide_review(
        db,
        project,
        review_id,
        decision=body.decision,
        reason=body.reason,
        comment=body.comment,
        value=body.value,
        actor=actor,
    )
    return Response(status_code=204)
