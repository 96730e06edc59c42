"""A/B experiments on the operation: start one (annotators or items split at random between
two arms, the split recorded), list them, read one's status, analyse it, stop it.

Experiments mix every vendor's people and work: vendors' staff are refused. Starting and
stopping need the manage right, reading the review right."""

from __future__ import annotations

from fastapi import APIRouter, Query

from labelworks.schemas.experiments import (
    ArmStatusOut,
    ExperimentAnalysisOut,
    ExperimentIn,
    ExperimentOut,
    ExperimentStatusOut,
    analysis_out,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import ProjectName, TextKey
from labelworks.services import experiments
from labelworks.services.experiments import ExperimentRow

router = APIRouter(prefix="/api/v1", tags=["experiments"], responses=ERRORS)

MinEffect = Query(
    0.05, gt=0, lt=1, description="the difference in accuracy worth detecting, as a share"
)
MinTimeChange = Query(
    0.10, gt=0, lt=1, description="the change in time per item worth detecting, as a share"
)


def experiment_out(row: ExperimentRow) -> ExperimentOut:
    return ExperimentOut.model_validate(row, from_attributes=True)


@router.get(
    "/projects/{project}/experiments",
    operation_id="list_experiments",
    response_model=list[ExperimentOut],
)
def list_experiments(project: ProjectName, db: DB, actor: CurrentActor) -> list[ExperimentOut]:
    """The project's experiments, oldest first."""
    return [experiment_out(r) for r in experiments.project_experiments(db, project, actor=actor)]


@router.post(
    "/projects/{project}/experiments",
    operation_id="create_experiment",
    response_model=ExperimentOut,
    status_code=201,
    openapi_extra=json_body_doc(ExperimentIn),
)
def create_experiment(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> ExperimentOut:
    """Start an experiment: the project's members who label (``unit: annotator``) or its
    items (``unit: item``) split by a seeded permutation halved, the split recorded; units
    that turn up later get the arm a hash of seed and id gives. ``treatment:
    suggestions`` withholds the project's suggestions from the second arm. A name in use,
    or a second experiment deciding who sees suggestions, is a 409."""
    body = parse_body(ExperimentIn, raw)
    row = experiments.create_experiment(
        db,
        project,
        name=body.name,
        unit=body.unit,
        arms=[(a.name, a.description) for a in body.arms],
        treatment=body.treatment,
        description=body.description,
        seed=body.seed,
        actor=actor,
    )
    return experiment_out(row)


@router.get(
    "/projects/{project}/experiments/{name}",
    operation_id="get_experiment",
    response_model=ExperimentStatusOut,
)
def get_experiment(
    project: ProjectName, name: TextKey, db: DB, actor: CurrentActor
) -> ExperimentStatusOut:
    """The experiment with each arm's units (and how many joined after the start), and the
    annotations, gold answers and annotators in it since the start."""
    status = experiments.experiment_status(db, project, name, actor=actor)
    return ExperimentStatusOut(
        experiment=experiment_out(status.experiment),
        arms=[
            ArmStatusOut(
                name=a.arm.name,
                units=a.units,
                late=a.late,
                annotations=a.annotations,
                gold_answers=a.gold_answers,
                annotators=a.annotators,
            )
            for a in status.arms
        ],
    )


@router.get(
    "/projects/{project}/experiments/{name}/analysis",
    operation_id="analyze_experiment",
    response_model=ExperimentAnalysisOut,
)
def analyze_experiment(
    project: ProjectName,
    name: TextKey,
    db: DB,
    actor: CurrentActor,
    min_effect: float = MinEffect,
    min_time_change: float = MinTimeChange,
) -> ExperimentAnalysisOut:
    """The arms compared on the answers since the start: gold accuracy, agreement with the
    final label and time per item, each with a 95% cluster-bootstrap interval; the
    differences with their intervals and randomisation p-values; the power to detect
    ``min_effect`` and ``min_time_change``; the verdict in sentences."""
    report = experiments.analyze_experiment(
        db, project, name, min_effect=min_effect, min_time_change=min_time_change, actor=actor
    )
    return analysis_out(report.experiment, report.analysis, report.verdict, report.until)


@router.post(
    "/projects/{project}/experiments/{name}/stop",
    operation_id="stop_experiment",
    response_model=ExperimentOut,
)
def stop_experiment(
    project: ProjectName, name: TextKey, db: DB, actor: CurrentActor, _may: MayManage
) -> ExperimentOut:
    """Stop a running experiment: its window closes, its split is complete, and a
    suggestions treatment ends. A stopped experiment is a 409."""
    return experiment_out(experiments.stop_experiment(db, project, name, actor=actor))
