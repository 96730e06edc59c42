"""Gold questions: expert answers, the gold report, and pausing, reinstating and requeueing
an annotator's work."""

from __future__ import annotations

import math

from fastapi import APIRouter, Query, Response

from labelworks.schemas.gold import (
    AnnotatorGoldOut,
    AutoPauseOut,
    GoldAnswerOut,
    GoldIn,
    GoldPageOut,
    GoldReportOut,
    PauseIn,
    RequeueIn,
    RequeueOut,
    ShareOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import AfterId, ProjectName, RowId, TextKey
from labelworks.services import gold
from labelworks.services.gold import Share

router = APIRouter(prefix="/api/v1", tags=["gold"], responses=ERRORS)

# The requeue body is optional: no body (or ``{}``) sends the work back with the default reason.
REQUEUE_BODY = json_body_doc(RequeueIn)
REQUEUE_BODY["requestBody"]["required"] = False


@router.put(
    "/projects/{project}/items/{item_id}/gold",
    operation_id="mark_gold",
    status_code=204,
    response_class=Response,
    openapi_extra=json_body_doc(GoldIn),
)
def mark_gold(
    project: ProjectName,
    item_id: RowId,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    raw: RawBody,
) -> Response:
    """Make the item gold with the expert's answer (replacing an earlier one); managers and
    admins outside any vendor only."""
    body = parse_body(GoldIn, raw)
    gold.mark_gold(
        db, project, item_id, value=body.value, explanation=body.explanation, actor=actor
    )
    return Response(status_code=204)


@router.delete(
    "/projects/{project}/items/{item_id}/gold",
    operation_id="unmark_gold",
    status_code=204,
    response_class=Response,
)
def unmark_gold(project: ProjectName, item_id: RowId, db: DB, actor: CurrentActor) -> Response:
    """Return a gold item to ordinary work; its gold results stay in the record."""
    gold.unmark_gold(db, project, item_id, actor=actor)
    return Response(status_code=204)


@router.get("/projects/{project}/gold", operation_id="list_gold", response_model=GoldPageOut)
def list_gold(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    after: AfterId = 0,
    limit: int = Query(100, ge=1, le=gold.MAX_PAGE),
) -> GoldPageOut:
    """A page of gold items with their expert answers and how often each was answered
    (correctly); follow ``next_after`` for the next page."""
    rows = gold.gold_answers(db, project, actor=actor, after=after, limit=limit)
    return GoldPageOut(
        items=[GoldAnswerOut.model_validate(r, from_attributes=True) for r in rows],
        next_after=rows[-1].item_id if len(rows) == limit else None,
    )


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _share(s: Share) -> ShareOut:
    low, high = s.interval or (None, None)
    return ShareOut(
        correct=s.correct,
        total=s.total,
        accuracy=_finite(s.accuracy),
        low=_finite(low),
        high=_finite(high),
    )


@router.get(
    "/projects/{project}/gold/report", operation_id="gold_report", response_model=GoldReportOut
)
def gold_report(project: ProjectName, db: DB, actor: CurrentActor) -> GoldReportOut:
    """Each annotator's gold accuracy, overall and per field, with 95% Wilson intervals, and
    who is paused and why (behind a vendor wall: that vendor's people only)."""
    report = gold.gold_report(db, project, actor=actor)
    return GoldReportOut(
        project=report.project,
        gold_items=report.gold_items,
        gold_rate=report.gold_rate,
        auto_pause=None
        if report.auto_pause is None
        else AutoPauseOut.model_validate(report.auto_pause),
        annotators=[
            AnnotatorGoldOut(
                email=a.email,
                name=a.name,
                vendor=a.vendor,
                overall=_share(a.overall),
                fields={name: _share(s) for name, s in a.fields.items()},
                paused=a.paused,
                paused_at=a.paused_at,
            )
            for a in report.annotators
        ],
    )


@router.post(
    "/projects/{project}/members/{email}/pause",
    operation_id="pause_annotator",
    status_code=204,
    response_class=Response,
    openapi_extra=json_body_doc(PauseIn),
)
def pause_annotator(
    project: ProjectName, email: TextKey, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> Response:
    """Pause a member by hand: no tasks until reinstated; the reason is shown to them."""
    body = parse_body(PauseIn, raw)
    gold.pause_annotator(db, project, email, reason=body.reason, actor=actor)
    return Response(status_code=204)


@router.post(
    "/projects/{project}/members/{email}/reinstate",
    operation_id="reinstate_annotator",
    status_code=204,
    response_class=Response,
)
def reinstate_annotator(
    project: ProjectName, email: TextKey, db: DB, actor: CurrentActor
) -> Response:
    """Lift a pause; the next auto-pause counts only gold answers from now on."""
    gold.reinstate_annotator(db, project, email, actor=actor)
    return Response(status_code=204)


@router.post(
    "/projects/{project}/members/{email}/requeue",
    operation_id="requeue_annotations",
    response_model=RequeueOut,
    openapi_extra=REQUEUE_BODY,
)
def requeue_annotations(
    project: ProjectName, email: TextKey, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> RequeueOut:
    """Send every annotation the person made on ordinary items back for others to redo
    (set aside whole, out of exports and statistics); the body is optional."""
    body = parse_body(RequeueIn, raw) if raw.strip() else RequeueIn()
    n = gold.requeue_annotations(db, project, email, reason=body.reason or "", actor=actor)
    return RequeueOut(requeued=n)
