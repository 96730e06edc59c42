"""Escalation: the queue of annotators' flags, an expert's resolution, and the edge-case
library. (Annotators flag with the ``flag`` of their submit or skip body.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from labelworks.domain.escalation import case_url
from labelworks.schemas.escalations import (
    MAX_PAGE,
    MAX_QUERY,
    EdgeCaseOut,
    EdgeCasePageOut,
    EscalationOut,
    EscalationPageOut,
    QueueStatus,
    ResolveIn,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import AfterId, ProjectName, RowId
from labelworks.services import escalations
from labelworks.services.escalations import EscalationRow

router = APIRouter(prefix="/api/v1", tags=["escalations"], responses=ERRORS)


# Declared before the body, this refuses a caller before their body is read.
def _may_resolve(project: ProjectName, db: DB, actor: CurrentActor) -> None:
    escalations.check_may_resolve(db, project, actor=actor)


MayResolve = Annotated[None, Depends(_may_resolve)]


def _out(project: str, e: EscalationRow) -> EscalationOut:
    return EscalationOut(
        id=e.id,
        item_id=e.item_id,
        external_id=e.external_id,
        payload=e.payload,
        kind=e.kind,  # one of KINDS: a CHECK constraint
        comment=e.comment,
        annotation=e.annotation,
        flagged_by=e.flagged_by,
        flagged_by_name=e.flagged_by_name,
        vendor=e.vendor,
        created_at=e.created_at,
        status=e.status,  # one of STATUSES: a CHECK constraint
        answer=e.answer,
        note=e.note,
        guideline_section=e.guideline_section,
        made_gold=e.made_gold,
        resolved_by=e.resolved_by,
        resolved_at=e.resolved_at,
        url=case_url(project, e.id) if e.status == "resolved" else None,
    )


@router.get(
    "/projects/{project}/escalations",
    operation_id="escalation_queue",
    response_model=EscalationPageOut,
)
def escalation_queue(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    status: QueueStatus = Query("open", description="open (the queue), resolved, or all"),
    after: AfterId = 0,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
) -> EscalationPageOut:
    """A page of the project's flags, oldest first, with each item, kind, comment and who
    flagged it; follow ``next_after``. Reviewers, managers and admins outside any vendor."""
    rows = escalations.escalation_queue(
        db,
        project,
        actor=actor,
        status=None if status == "all" else status,
        after=after,
        limit=limit,
    )
    return EscalationPageOut(
        items=[_out(project, e) for e in rows],
        next_after=rows[-1].id if len(rows) == limit else None,
    )


@router.post(
    "/projects/{project}/escalations/{escalation_id}/resolve",
    operation_id="resolve_escalation",
    response_model=EscalationOut,
    openapi_extra=json_body_doc(ResolveIn),
)
def resolve_escalation(
    project: ProjectName,
    escalation_id: RowId,
    db: DB,
    actor: CurrentActor,
    _may: MayResolve,
    raw: RawBody,
) -> EscalationOut:
    """Resolve an open flag with a note, optionally the answer (checked like an annotation)
    and the guideline section that must change; ``make_gold`` also makes the item a gold
    question with that answer. A flag is resolved once (409 after that)."""
    body = parse_body(ResolveIn, raw)
    resolved = escalations.resolve_escalation(
        db,
        project,
        escalation_id,
        answer=body.answer,
        note=body.note,
        guideline_section=body.guideline_section,
        make_gold=body.make_gold,
        actor=actor,
    )
    return _out(project, resolved)


@router.get(
    "/projects/{project}/edge-cases", operation_id="edge_cases", response_model=EdgeCasePageOut
)
def edge_cases(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    q: str | None = Query(
        None,
        max_length=MAX_QUERY,
        description="only cases whose comment, note, guideline section or item holds this",
    ),
    after: AfterId = 0,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
) -> EdgeCasePageOut:
    """A page of the project's edge-case library (resolved flags, oldest first), searched
    without regard to case; ``url`` is each case's link for guidelines to cite."""
    rows = escalations.edge_cases(db, project, actor=actor, query=q, after=after, limit=limit)
    return EdgeCasePageOut(
        items=[
            EdgeCaseOut(
                id=e.id,
                item_id=e.item_id,
                external_id=e.external_id,
                payload=e.payload,
                kind=e.kind,  # one of KINDS: a CHECK constraint
                comment=e.comment,
                answer=e.answer,
                note=e.note,
                guideline_section=e.guideline_section,
                made_gold=e.made_gold,
                resolved_by=e.resolved_by,
                resolved_at=e.resolved_at or e.created_at,  # set whenever it is resolved
                url=case_url(project, e.id),
            )
            for e in rows
        ],
        next_after=rows[-1].id if len(rows) == limit else None,
    )
