"""A/B experiments on the operation: start one (its annotators or items split at random
between two arms, the split recorded), follow it, stop it, and analyse it.

Experiments mix every vendor's people and work, so they are for those outside any vendor
wall: managers start and stop them, reviewers read them.

Units that turn up after the start (an annotator who joins, an item imported later) get
the arm a hash of the experiment's seed and their id gives (``stats.experiments.late_arm``).
That arm is known without writing anything, so the labeling hot path applies it from the
first task on; it is written into the split when the status or the analysis first sees
the unit (or when the experiment stops), so the recorded split ends up complete and equal
to what was applied.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import Conflict, InvalidInput, Location, NotFound
from labelworks.domain.experiments import MAX_SEED, Arm, design, treatment_of
from labelworks.domain.gold import is_correct, score_answer
from labelworks.services import audit
from labelworks.services.access import unwalled_project
from labelworks.services.experiment_treatments import forget
from labelworks.services.specs import stored_spec
from labelworks.stats.experiment_verdict import verdict
from labelworks.stats.experiments import (
    Analysis,
    Answers,
    ExperimentDataError,
    analyze,
    late_arm,
    split,
)
from labelworks.storage import experiments as store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.experiments import ExperimentRow
from labelworks.storage.projects import ProjectRow

__all__ = [
    "ArmStatus",
    "ExperimentReport",
    "ExperimentRow",
    "ExperimentStatus",
    "analyze_experiment",
    "create_experiment",
    "experiment_status",
    "project_experiments",
    "stop_experiment",
]

_WALLED = "experiments split every vendor's people and work; vendors' staff may not"
# Resamples and re-deals of the analysis: Monte Carlo error of a 95% bound about 0.1 of
# the interval's standard error, of a p-value near 0.05 about 0.005.
N_BOOT = 2000
N_PERM = 2000


def _project(conn: Connection, actor: Actor | None, name: str, action: Action) -> ProjectRow:
    return unwalled_project(conn, actor, name, action, _WALLED)


def _experiment(conn: Connection, project: ProjectRow, name: str) -> ExperimentRow:
    found = store.by_name(conn, project.id, name)
    if found is None:
        raise NotFound(f"experiment '{name}' does not exist in project '{project.name}'")
    return found


def create_experiment(
    db: Database,
    project_name: str,
    *,
    name: str,
    unit: str,
    arms: Sequence[tuple[str, str]],
    treatment: str | None = None,
    description: str = "",
    seed: int | None = None,
    actor: Actor | None = None,
) -> ExperimentRow:
    """Start an experiment: split the project's labelling members (or its items) by a
    seeded permutation halved, record the split, and (``treatment="suggestions"``) withhold
    suggestions from the second arm from the next task on."""
    name, description, made = design(name, unit, arms, treatment, description)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidInput(f"seed must be 0 to {MAX_SEED}", location=Location(field="seed"))
    chosen = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
    with db.write() as conn:
        project = _project(conn, actor, project_name, Action.MANAGE)
        if store.by_name(conn, project.id, name) is not None:
            raise Conflict(f"experiment '{name}' already exists in project '{project.name}'")
        if treatment == "suggestions":
            _check_suggestions(conn, project)
        now = utcnow()
        experiment_id = store.create(
            conn,
            project_id=project.id,
            name=name,
            unit=unit,
            arms=made,
            description=description,
            seed=chosen,
            by=None if actor is None else actor.id,
            now=now,
        )
        units = store.splittable(conn, project.id, unit)
        dealt = split(units, chosen)
        store.record_split(conn, experiment_id, {u: made[a].name for u, a in dealt.items()}, now)
        audit.record(
            conn,
            project,
            actor,
            "experiment.create",
            name,
            unit=unit,
            arms=[a.name for a in made],
            treatment=treatment,
            units=len(units),
        )
        found = store.by_name(conn, project.id, name)
        assert found is not None
    forget(db.cache_scope, project.id)
    return found


def _check_suggestions(conn: Connection, project: ProjectRow) -> None:
    if not store.has_suggestions(conn, project.id):
        raise InvalidInput(
            f"project '{project.name}' has no suggestions (pre-annotations) to withhold",
            location=Location(field="treatment"),
        )
    for other in store.running(conn, project.id):
        if treatment_of(other.arms) is not None:
            raise Conflict(
                f"experiment '{other.name}' already decides who sees suggestions in project "
                f"'{project.name}'; stop it first"
            )


def project_experiments(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> list[ExperimentRow]:
    """The project's experiments, oldest first."""
    with db.read() as conn:
        project = _project(conn, actor, project_name, Action.REVIEW)
        return store.all_of(conn, project.id)


def _record_late(db: Database, project_name: str, name: str, actor: Actor | None) -> None:
    """Write the hashed arm of every unit seen since the start without one (a running
    experiment only: a stopped one recorded them when it stopped)."""
    with db.read() as conn:
        project = _project(conn, actor, project_name, Action.REVIEW)
        experiment = _experiment(conn, project, name)
        if experiment.status != "running":
            return
        late = store.unrecorded(conn, experiment, None)
    if late:
        with db.write() as conn:
            store.record_late(conn, experiment.id, _late_arms(experiment, late), utcnow())


def _late_arms(experiment: ExperimentRow, units: Sequence[int]) -> dict[int, str]:
    names = [a.name for a in experiment.arms]
    return {u: names[late_arm(experiment.seed, u)] for u in units}


@dataclass(frozen=True, slots=True)
class ArmStatus:
    """An arm so far: its design, its units (``late`` of them assigned after the start),
    and the annotations, gold answers and annotators in it since the start."""

    arm: Arm
    units: int
    late: int
    annotations: int
    gold_answers: int
    annotators: int


@dataclass(frozen=True, slots=True)
class ExperimentStatus:
    experiment: ExperimentRow
    arms: list[ArmStatus]


def experiment_status(
    db: Database, project_name: str, name: str, *, actor: Actor | None = None
) -> ExperimentStatus:
    """The experiment with each arm's units and the work done in it so far."""
    _record_late(db, project_name, name, actor)
    with db.read() as conn:
        project = _project(conn, actor, project_name, Action.REVIEW)
        experiment = _experiment(conn, project, name)
        sizes = store.arm_sizes(conn, experiment.id)
        late = store.late_units(conn, experiment.id, experiment.created_at)
        tallies = {t.arm: t for t in store.tallies(conn, experiment, experiment.stopped_at)}
    arms = []
    for arm in experiment.arms:
        t = tallies.get(arm.name, store.ArmTally(arm.name, 0, 0, 0))
        arms.append(
            ArmStatus(
                arm,
                sizes.get(arm.name, 0),
                late.get(arm.name, 0),
                t.annotations,
                t.gold_answers,
                t.annotators,
            )
        )
    return ExperimentStatus(experiment, arms)


def stop_experiment(
    db: Database, project_name: str, name: str, *, actor: Actor | None = None
) -> ExperimentRow:
    """Stop a running experiment: its window closes now, the units seen so far are
    recorded, and a ``suggestions`` treatment ends (everyone sees suggestions again)."""
    with db.write() as conn:
        project = _project(conn, actor, project_name, Action.MANAGE)
        experiment = _experiment(conn, project, name)
        if experiment.status != "running":
            raise Conflict(f"experiment '{name}' was already stopped")
        now = utcnow()
        late = store.unrecorded(conn, experiment, now)
        if late:
            store.record_late(conn, experiment.id, _late_arms(experiment, late), now)
        store.stop(conn, experiment.id, now)
        audit.record(conn, project, actor, "experiment.stop", name)
        found = store.by_name(conn, project.id, name)
        assert found is not None
    forget(db.cache_scope, project.id)
    return found


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    """The analysis of an experiment's answers so far, with the verdict in words."""

    experiment: ExperimentRow
    analysis: Analysis
    verdict: list[str]
    until: datetime


def analyze_experiment(
    db: Database,
    project_name: str,
    name: str,
    *,
    min_effect: float = 0.05,
    min_time_change: float = 0.10,
    actor: Actor | None = None,
) -> ExperimentReport:
    """Compare the arms on the answers given since the start (until the stop): gold
    accuracy, agreement with the final label and seconds per item, clustered by the
    randomised unit, with the power to detect ``min_effect`` (points of accuracy, as a
    share) and ``min_time_change`` (a share of the time per item)."""
    for value, field in ((min_effect, "min_effect"), (min_time_change, "min_time_change")):
        if not 0 < value < 1:
            raise InvalidInput(
                f"{field} must lie strictly between 0 and 1, not {value}",
                location=Location(field=field),
            )
    _record_late(db, project_name, name, actor)
    with db.read() as conn:
        project = _project(conn, actor, project_name, Action.REVIEW)
        experiment = _experiment(conn, project, name)
        rows = store.answers(conn, experiment, experiment.stopped_at)
        until = experiment.stopped_at or utcnow()
    spec = stored_spec(project.spec)
    index = {a.name: k for k, a in enumerate(experiment.arms)}
    unit = [r.item_id if experiment.unit == "item" else r.annotator_id for r in rows]
    agree = [
        None if r.final is None else float(is_correct(score_answer(spec.fields, r.final, r.value)))
        for r in rows
    ]
    answers = Answers.of(
        unit,
        [index[r.arm] for r in rows],
        gold=[None if r.correct is None else float(r.correct) for r in rows],
        agree=agree,
        seconds=[r.seconds for r in rows],
    )
    try:
        result = analyze(
            answers,
            min_effect=min_effect,
            min_time_change=min_time_change,
            n_boot=N_BOOT,
            n_perm=N_PERM,
            seed=experiment.seed,
        )
    except ExperimentDataError as exc:
        raise InvalidInput(str(exc)) from None
    names = (experiment.arms[0].name, experiment.arms[1].name)
    return ExperimentReport(experiment, result, verdict(result, names, experiment.unit), until)
