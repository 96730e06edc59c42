"""Experiments on the operation: the experiment rows, their recorded split, and the answers
given under them (annotations with their gold result and their item's final label)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, insert, select, text, update

from labelworks.domain.experiments import Arm, arms_from_json, arms_json, treatment_of
from labelworks.storage.operations_tables import experiment_units, experiments
from labelworks.storage.quality_tables import final_labels, gold_results
from labelworks.storage.sql import Sql
from labelworks.storage.tables import annotations_table, items, memberships, pre_annotations, users

_BATCH = 10_000
# Final labels an annotation is compared with: decided, by the method or an adjudicator.
DECIDED = ("final", "adjudicated")
# Who is split when an experiment on annotators starts: the members who label.
LABELLING_ROLES = ("annotator", "reviewer")

_RECORDED_ARM = Sql("SELECT arm FROM experiment_units WHERE experiment_id = :e AND unit_id = :u")
_ADD_LATE = text(
    "INSERT INTO experiment_units (experiment_id, unit_id, arm, assigned_at) "
    "VALUES (:experiment_id, :unit_id, :arm, :assigned_at) "
    "ON CONFLICT (experiment_id, unit_id) DO NOTHING"
)


@dataclass(frozen=True, slots=True)
class ExperimentRow:
    id: int
    project_id: int
    name: str
    unit: str
    arms: list[Arm]
    description: str
    seed: int
    status: str
    created_by: str | None  # the creator's email
    created_at: datetime
    stopped_at: datetime | None

    @property
    def treatment(self) -> str | None:
        return treatment_of(self.arms)


def _query() -> Any:
    return select(experiments, users.c.email.label("creator")).outerjoin(
        users, users.c.id == experiments.c.created_by
    )


def _row(r: Any) -> ExperimentRow:
    return ExperimentRow(
        id=int(r.id),
        project_id=int(r.project_id),
        name=str(r.name),
        unit=str(r.unit),
        arms=arms_from_json(r.arms),
        description=str(r.description),
        seed=int(r.seed),
        status=str(r.status),
        created_by=r.creator,
        created_at=r.created_at,
        stopped_at=r.stopped_at,
    )


def create(
    conn: Connection,
    *,
    project_id: int,
    name: str,
    unit: str,
    arms: list[Arm],
    description: str,
    seed: int,
    by: int | None,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            insert(experiments)
            .values(
                project_id=project_id,
                name=name,
                unit=unit,
                arms=arms_json(arms),
                description=description,
                seed=seed,
                status="running",
                created_by=by,
                created_at=now,
            )
            .returning(experiments.c.id)
        ).scalar_one()
    )


def record_split(
    conn: Connection, experiment_id: int, split: Mapping[int, str], now: datetime
) -> None:
    """The split drawn at the start (no row of the experiment exists yet)."""
    rows = [
        {"experiment_id": experiment_id, "unit_id": u, "arm": arm, "assigned_at": now}
        for u, arm in sorted(split.items())
    ]
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert(experiment_units), rows[start : start + _BATCH])


def record_late(
    conn: Connection, experiment_id: int, arms: Mapping[int, str], now: datetime
) -> None:
    """Units that turned up later, with the arm their hash gave; a unit another request
    recorded meanwhile keeps its row (it has the same arm)."""
    rows = [
        {"experiment_id": experiment_id, "unit_id": u, "arm": arm, "assigned_at": now}
        for u, arm in sorted(arms.items())
    ]
    for start in range(0, len(rows), _BATCH):
        conn.execute(_ADD_LATE, rows[start : start + _BATCH])


def by_name(conn: Connection, project_id: int, name: str) -> ExperimentRow | None:
    row = conn.execute(
        _query().where(experiments.c.project_id == project_id, experiments.c.name == name)
    ).first()
    return None if row is None else _row(row)


def all_of(conn: Connection, project_id: int) -> list[ExperimentRow]:
    rows = conn.execute(
        _query().where(experiments.c.project_id == project_id).order_by(experiments.c.id)
    )
    return [_row(r) for r in rows]


def running(conn: Connection, project_id: int) -> list[ExperimentRow]:
    rows = conn.execute(
        _query()
        .where(experiments.c.project_id == project_id, experiments.c.status == "running")
        .order_by(experiments.c.id)
    )
    return [_row(r) for r in rows]


def stop(conn: Connection, experiment_id: int, now: datetime) -> None:
    conn.execute(
        update(experiments)
        .where(experiments.c.id == experiment_id)
        .values(status="stopped", stopped_at=now)
    )


def recorded_arm(conn: Connection, experiment_id: int, unit_id: int) -> str | None:
    """The arm recorded for one unit (the labeling hot path: one primary-key lookup)."""
    found = _RECORDED_ARM.one(conn, {"e": experiment_id, "u": unit_id})
    return None if found is None else str(found[0])


def arm_sizes(conn: Connection, experiment_id: int) -> dict[str, int]:
    e = experiment_units
    rows = conn.execute(
        select(e.c.arm, func.count()).where(e.c.experiment_id == experiment_id).group_by(e.c.arm)
    )
    return {str(arm): int(n) for arm, n in rows}


def late_units(conn: Connection, experiment_id: int, since: datetime) -> dict[str, int]:
    """Units per arm recorded after the start (assigned by their hash)."""
    e = experiment_units
    rows = conn.execute(
        select(e.c.arm, func.count())
        .where(e.c.experiment_id == experiment_id, e.c.assigned_at > since)
        .group_by(e.c.arm)
    )
    return {str(arm): int(n) for arm, n in rows}


def splittable(conn: Connection, project_id: int, unit: str) -> list[int]:
    """The units present now: the project's active members who label, or its items."""
    if unit == "item":
        query = select(items.c.id).where(items.c.project_id == project_id)
    else:
        query = (
            select(users.c.id)
            .join(memberships, memberships.c.user_id == users.c.id)
            .where(
                memberships.c.project_id == project_id,
                users.c.active,
                users.c.role.in_(LABELLING_ROLES),
            )
        )
    return [int(u) for u in conn.execute(query).scalars()]


def _window(since: datetime, until: datetime | None) -> list[ColumnElement[bool]]:
    a = annotations_table
    where = [a.c.created_at >= since]
    if until is not None:
        where.append(a.c.created_at <= until)
    return where


def _unit_column(unit: str) -> Any:
    a = annotations_table
    return a.c.item_id if unit == "item" else a.c.annotator_id


def unrecorded(conn: Connection, experiment: ExperimentRow, until: datetime | None) -> list[int]:
    """Units with an answer in the experiment's window (and, for annotators, members who
    label) that have no recorded arm yet."""
    a, e = annotations_table, experiment_units
    column = _unit_column(experiment.unit)
    recorded = exists().where(e.c.experiment_id == experiment.id, e.c.unit_id == column)
    answered = (
        select(column)
        .where(
            a.c.project_id == experiment.project_id,
            ~recorded,
            *_window(experiment.created_at, until),
        )
        .distinct()
    )
    found = {int(u) for u in conn.execute(answered).scalars()}
    if experiment.unit == "annotator":
        members = set(splittable(conn, experiment.project_id, "annotator"))
        if members:
            known = conn.execute(
                select(e.c.unit_id).where(
                    e.c.experiment_id == experiment.id, e.c.unit_id.in_(members)
                )
            ).scalars()
            found |= members - {int(u) for u in known}
    return sorted(found)


@dataclass(frozen=True, slots=True)
class ArmTally:
    arm: str
    annotations: int
    gold_answers: int
    annotators: int


def tallies(conn: Connection, experiment: ExperimentRow, until: datetime | None) -> list[ArmTally]:
    """Per arm: the annotations given in the window, how many were gold answers, and by
    how many annotators."""
    a, e, g = annotations_table, experiment_units, gold_results
    rows = conn.execute(
        select(
            e.c.arm,
            func.count(a.c.id),
            func.count(g.c.id),
            func.count(func.distinct(a.c.annotator_id)),
        )
        .select_from(a)
        .join(
            e,
            and_(e.c.experiment_id == experiment.id, e.c.unit_id == _unit_column(experiment.unit)),
        )
        .outerjoin(g, g.c.annotation_id == a.c.id)
        .where(a.c.project_id == experiment.project_id, *_window(experiment.created_at, until))
        .group_by(e.c.arm)
    )
    return [ArmTally(str(arm), int(n), int(gold), int(people)) for arm, n, gold, people in rows]


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One annotation given under the experiment: its unit's arm, who gave it and on which
    item, seconds, its value, its gold result (``None``: not a gold answer) and its item's
    decided final label (``None``: none yet, or a gold item)."""

    arm: str
    annotator_id: int
    item_id: int
    seconds: float | None
    value: dict[str, Any]
    correct: bool | None
    final: dict[str, Any] | None


def answers(conn: Connection, experiment: ExperimentRow, until: datetime | None) -> list[AnswerRow]:
    a, e, g, f = annotations_table, experiment_units, gold_results, final_labels
    rows = conn.execute(
        select(
            a.c.annotator_id,
            a.c.item_id,
            a.c.seconds,
            a.c.value,
            e.c.arm,
            g.c.correct,
            f.c.value.label("final"),
        )
        .select_from(a)
        .join(
            e,
            and_(e.c.experiment_id == experiment.id, e.c.unit_id == _unit_column(experiment.unit)),
        )
        .outerjoin(g, g.c.annotation_id == a.c.id)
        .outerjoin(f, and_(f.c.item_id == a.c.item_id, f.c.status.in_(DECIDED)))
        .where(a.c.project_id == experiment.project_id, *_window(experiment.created_at, until))
        .order_by(a.c.id)
    )
    return [
        AnswerRow(
            arm=str(r.arm),
            annotator_id=int(r.annotator_id),
            item_id=int(r.item_id),
            seconds=None if r.seconds is None else float(r.seconds),
            value=json.loads(r.value),
            correct=None if r.correct is None else bool(r.correct),
            final=None if r.final is None or r.correct is not None else json.loads(r.final),
        )
        for r in rows
    ]


def has_suggestions(conn: Connection, project_id: int) -> bool:
    """Whether any item of the project carries a suggestion (a pre-annotation)."""
    p = pre_annotations
    found = conn.execute(
        select(p.c.id)
        .join(items, items.c.id == p.c.item_id)
        .where(items.c.project_id == project_id)
        .limit(1)
    ).first()
    return found is not None
