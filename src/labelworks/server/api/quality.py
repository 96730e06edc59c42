"""Consensus and adjudication: final labels, the project's consensus state and refit, the
adjudication queue and an expert's decision; and the crowd simulator."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from labelworks.schemas.quality import (
    MAX_CASES_PAGE,
    MAX_FINALS_PAGE,
    AdjudicateIn,
    AliasAnswerOut,
    CaseOut,
    CasePageOut,
    ConsensusOut,
    FinalLabelOut,
    FinalLabelPageOut,
    FinalStatus,
    RefitOut,
    SimulationIn,
    SimulationOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import AfterId, ProjectName, RowId
from labelworks.services import adjudication, final_labels, simulation_runs
from labelworks.services.simulation import CrowdSettings

router = APIRouter(prefix="/api/v1", tags=["quality"], responses=ERRORS)


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _json_safe(value: Any) -> Any:
    """``value`` with every non-finite float as ``None`` (JSON has no NaN)."""
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


# Declared before the body, these refuse a caller before their body is read.
def _may_adjudicate(project: ProjectName, db: DB, actor: CurrentActor) -> None:
    final_labels.check_may_adjudicate(db, project, actor=actor)


def _may_simulate(actor: CurrentActor) -> None:
    simulation_runs.check_may_simulate(actor)


MayAdjudicate = Annotated[None, Depends(_may_adjudicate)]
MaySimulate = Annotated[None, Depends(_may_simulate)]


@router.get(
    "/projects/{project}/final-labels",
    operation_id="list_final_labels",
    response_model=FinalLabelPageOut,
)
def list_final_labels(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    status: FinalStatus | None = Query(None, description="only final labels of this status"),
    after: AfterId = 0,
    limit: int = Query(100, ge=1, le=MAX_FINALS_PAGE),
) -> FinalLabelPageOut:
    """A page of the project's final labels in item order, with their provenance; follow
    ``next_after`` for the next page. Reviewers, managers and admins outside any vendor."""
    rows, next_after = final_labels.final_labels(
        db, project, actor=actor, status=status, after=after, limit=limit
    )
    return FinalLabelPageOut(
        items=[
            FinalLabelOut(
                item_id=f.item_id,
                external_id=f.external_id,
                value=_json_safe(f.value),
                method=f.method,
                confidence=_finite(f.confidence),
                fields={name: _finite(c) for name, c in f.fields.items()},
                status=f.status,  # one of STATUSES: a CHECK constraint
                annotation_ids=f.annotation_ids,
                decided_at=f.decided_at,
                decided_by=f.decided_by,
                note=f.note,
            )
            for f in rows
        ],
        next_after=next_after,
    )


@router.get("/projects/{project}/consensus", operation_id="consensus_summary")
def consensus_summary(project: ProjectName, db: DB, actor: CurrentActor) -> ConsensusOut:
    """The project's consensus method and dynamic overlap rule, its final labels per status,
    items still without one, and when its model was last fitted."""
    s = final_labels.consensus_summary(db, project, actor=actor)
    return ConsensusOut.model_validate(
        {
            "project": s.project,
            "method": s.method,
            "dynamic_overlap": s.dynamic_overlap,
            "counts": s.counts,
            "without_final": s.without_final,
            "model": None
            if s.model is None
            else {
                "method": s.model.method,
                "fitted_at": s.model.fitted_at,
                "n_annotations": s.model.n_annotations,
            },
        }
    )


@router.post("/projects/{project}/consensus/refit", operation_id="refit_consensus")
def refit_consensus(project: ProjectName, db: DB, actor: CurrentActor) -> RefitOut:
    """Fit the consensus model now and re-decide every item that reached its overlap
    (adjudicated items stay as the expert decided); managers and admins outside any vendor.
    A project that keeps no final labels is a 409."""
    return RefitOut.model_validate(final_labels.refit_consensus(db, project, actor=actor))


@router.get(
    "/projects/{project}/adjudication",
    operation_id="adjudication_queue",
    response_model=CasePageOut,
)
def adjudication_queue(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    after: AfterId = 0,
    limit: int = Query(50, ge=1, le=MAX_CASES_PAGE),
) -> CasePageOut:
    """A page of the items waiting for an expert, with consensus's proposal, every
    annotation under an alias and the disagreeing fields; follow ``next_after``."""
    cases = adjudication.adjudication_queue(db, project, actor=actor, after=after, limit=limit)
    return CasePageOut(
        items=[
            CaseOut(
                item_id=c.item_id,
                external_id=c.external_id,
                payload=_json_safe(c.payload),
                proposal=_json_safe(c.proposal),
                confidence=_finite(c.confidence),
                annotations=[
                    AliasAnswerOut(alias=alias, value=_json_safe(value))
                    for alias, value in c.annotations
                ],
                disagreements=c.disagreements,
            )
            for c in cases
        ],
        next_after=cases[-1].item_id if len(cases) == limit else None,
    )


@router.post(
    "/projects/{project}/items/{item_id}/adjudicate",
    operation_id="adjudicate",
    status_code=204,
    response_class=Response,
    openapi_extra=json_body_doc(AdjudicateIn),
)
def adjudicate(
    project: ProjectName,
    item_id: RowId,
    db: DB,
    actor: CurrentActor,
    _may: MayAdjudicate,
    raw: RawBody,
) -> Response:
    """Decide the item's final label as an expert (an item at adjudication, or one whose
    label needs correcting), checked like an annotation; the decision records who made it
    and the note, and consensus never overrides it."""
    body = parse_body(AdjudicateIn, raw)
    adjudication.adjudicate(db, project, item_id, value=body.value, note=body.note, actor=actor)
    return Response(status_code=204)


@router.post(
    "/simulations",
    operation_id="simulate",
    response_model=SimulationOut,
    openapi_extra=json_body_doc(SimulationIn, "spec"),
)
def simulate(actor: CurrentActor, _may: MaySimulate, raw: RawBody) -> SimulationOut:
    """Run a spec's quality settings end to end on a simulated crowd, in a throwaway
    database, against fixed overlap 3 with majority vote (``baseline``); managers and
    admins. One simulation at a time per server process (409 while one runs); at most
    5,000 items and 200 annotators here (``labelworks simulate`` runs larger ones)."""
    body = parse_body(SimulationIn, raw)
    settings = CrowdSettings(
        items=body.items,
        annotators=body.annotators,
        spammers=body.spammers,
        skill=body.skill,
        classes=body.classes,
        drift=body.drift,
        gold_items=body.gold_items,
        seed=body.seed,
    )
    report = simulation_runs.run_simulation(
        body.spec, settings, baseline=body.baseline, actor=actor, source="spec"
    )
    return SimulationOut.model_validate(_json_safe(report))
