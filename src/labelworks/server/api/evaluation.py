"""Models' predictions and their evaluation: push predictions, list model versions, run
and read evaluations, compare two model versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from labelworks.schemas.evaluation import (
    CompareIn,
    ComparisonOut,
    EvalRunIn,
    EvalRunOut,
    EvalRunSummaryOut,
    PredictedModelOut,
    PredictionsIn,
    PushOut,
)
from labelworks.schemas.leaderboard import LeaderboardOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage, MayReview
from labelworks.server.params import ProjectName, RowId
from labelworks.services import evaluation, predictions
from labelworks.services.leaderboards import leaderboard_report, wire
from labelworks.services.model_comparison import compare_models

router = APIRouter(prefix="/api/v1", tags=["evaluation"], responses=ERRORS)


@router.post(
    "/projects/{project}/predictions",
    operation_id="push_predictions",
    response_model=PushOut,
    openapi_extra=json_body_doc(PredictionsIn, "import"),
)
def push_predictions(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> PushOut:
    """Store models' predictions for the project's items (up to 10,000 per request), each
    replacing an earlier one of the same item, model and version. All or none: the first
    bad prediction is a 422 naming its position and field. Needs the manage right."""
    body = parse_body(PredictionsIn, raw)
    result = predictions.push(db, project, body.predictions, actor=actor)
    return PushOut.model_validate(result, from_attributes=True)


@router.get(
    "/projects/{project}/predictions/models",
    operation_id="predicted_models",
    response_model=list[PredictedModelOut],
)
def predicted_models(project: ProjectName, db: DB, actor: CurrentActor) -> list[PredictedModelOut]:
    """The model versions with predictions in the project, newest first, with how many
    items each predicted. Needs the review right."""
    found = predictions.model_versions(db, project, actor=actor)
    return [PredictedModelOut.model_validate(m, from_attributes=True) for m in found]


@router.post(
    "/projects/{project}/eval/runs",
    operation_id="run_evaluation",
    response_model=EvalRunOut,
    status_code=201,
    openapi_extra=json_body_doc(EvalRunIn),
)
def run_evaluation(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayReview, raw: RawBody
) -> EvalRunOut:
    """Score a model version against the decided final labels or the gold answers:
    accuracy, macro-F1, per-class precision/recall/F1, Cohen's κ, Brier score and
    calibration error with probabilities (spans, boxes, segments: matched F1), each with a
    95% bootstrap interval over items, overall and per ``slice`` value; the run is stored.
    Needs the review right; vendors' staff may not (final labels mix every vendor's work)."""
    body = parse_body(EvalRunIn, raw)
    run = evaluation.run_evaluation(
        db,
        project,
        body.model,
        field=body.field,
        against=body.against,
        slice_key=body.slice_key,
        actor=actor,
    )
    return EvalRunOut.model_validate(run, from_attributes=True)


@router.get(
    "/projects/{project}/eval/runs",
    operation_id="list_eval_runs",
    response_model=list[EvalRunSummaryOut],
)
def list_eval_runs(project: ProjectName, db: DB, actor: CurrentActor) -> list[EvalRunSummaryOut]:
    """The project's stored evaluation runs, newest first (the last 50), without reports."""
    found = evaluation.eval_runs(db, project, actor=actor)
    return [EvalRunSummaryOut.model_validate(r, from_attributes=True) for r in found]


@router.get(
    "/projects/{project}/eval/runs/{run_id}",
    operation_id="get_eval_run",
    response_model=EvalRunOut,
)
def get_eval_run(project: ProjectName, run_id: RowId, db: DB, actor: CurrentActor) -> EvalRunOut:
    """One stored evaluation run with its whole report."""
    run = evaluation.eval_run(db, project, run_id, actor=actor)
    return EvalRunOut.model_validate(run, from_attributes=True)


@router.post(
    "/projects/{project}/eval/compare",
    operation_id="compare_models",
    response_model=ComparisonOut,
    openapi_extra=json_body_doc(CompareIn),
)
def compare(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayReview, raw: RawBody
) -> ComparisonOut:
    """Model ``b`` against model ``a`` on the items both predicted: accuracy and macro-F1
    differences (B − A) with paired-bootstrap 95% intervals, McNemar's exact test, per-slice
    differences flagged where the interval excludes 0, and with ``fail_if_worse`` whether B
    is worse by more than that with confidence (``worse``). Nothing is stored."""
    body = parse_body(CompareIn, raw)
    found = compare_models(
        db,
        project,
        body.a,
        body.b,
        field=body.field,
        against=body.against,
        slice_key=body.slice_key,
        fail_if_worse=body.fail_if_worse,
        actor=actor,
    )
    return ComparisonOut.model_validate(found, from_attributes=True)


@router.get(
    "/projects/{project}/leaderboard", operation_id="leaderboard", response_model=LeaderboardOut
)
def leaderboard(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    by: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> LeaderboardOut:
    """The project's evaluation campaign as a leaderboard: Bradley-Terry ratings on the Elo
    scale with 95% bootstrap intervals, ranks by non-overlapping intervals, battles and win
    rates, the win-rate matrix, tie rate, position bias, agreement between evaluators and
    length-controlled ratings; ``by``: one board per value of a metadata key. A rating
    campaign gives each model's mean per criterion and the evaluators' agreement. Needs the
    review right; vendors' staff may not."""
    return LeaderboardOut.model_validate(wire(leaderboard_report(db, project, by=by, actor=actor)))
