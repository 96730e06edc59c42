"""What the baseline model learns from and writes: decided final labels with their items'
payloads, the items still without one, its suggestions (pre-annotations) and its
trainings (``assist_models``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, select, update

from labelworks.storage.model_tables import assist_models
from labelworks.storage.quality_tables import final_labels
from labelworks.storage.tables import items, pre_annotations

# A final label a person or the consensus settled; 'adjudication' still waits for one.
DECIDED = ("final", "adjudicated")


@dataclass(frozen=True, slots=True)
class ModelRow:
    id: int
    field: str
    version: int
    trained_at: datetime
    job_id: int | None
    labels: int
    decided: int
    folds: int
    accuracy: float
    low: float
    high: float
    macro_f1: float
    counts: dict[str, int]
    suggested: int
    seconds: float
    checked: int = 0
    confirmed: int = 0


def _decided(project_id: int) -> Any:
    return and_(final_labels.c.project_id == project_id, final_labels.c.status.in_(DECIDED))


def count_decided(conn: Connection, project_id: int) -> int:
    query = select(func.count()).select_from(final_labels).where(_decided(project_id))
    return int(conn.execute(query).scalar_one())


def decided_rows(conn: Connection, project_id: int) -> list[tuple[str, str]]:
    """(payload JSON, final value JSON) of every item with a decided final label."""
    query = (
        select(items.c.payload, final_labels.c.value)
        .join(final_labels, final_labels.c.item_id == items.c.id)
        .where(_decided(project_id))
        .order_by(items.c.id)
    )
    return [(r.payload, r.value) for r in conn.execute(query)]


def open_rows(
    conn: Connection, project_id: int, *, batch: int = 5000
) -> Iterator[list[tuple[int, str]]]:
    """(item id, payload JSON) of the items without a decided final label, in batches."""
    after = 0
    while True:
        settled = exists().where(final_labels.c.item_id == items.c.id, _decided(project_id))
        query = (
            select(items.c.id, items.c.payload)
            .where(items.c.project_id == project_id, items.c.id > after, ~settled)
            .order_by(items.c.id)
            .limit(batch)
        )
        rows = [(int(r.id), r.payload) for r in conn.execute(query)]
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def replace_suggestions(
    conn: Connection, project_id: int, model: str, rows: Sequence[dict[str, Any]]
) -> None:
    """The model's suggestions on the project's items become ``rows`` (item_id, score,
    value JSON); other models' pre-annotations stay."""
    mine = select(items.c.id).where(items.c.project_id == project_id)
    conn.execute(
        delete(pre_annotations).where(
            pre_annotations.c.model == model, pre_annotations.c.item_id.in_(mine)
        )
    )
    if rows:
        conn.execute(insert(pre_annotations), [{**r, "model": model} for r in rows])


def add_model(conn: Connection, project_id: int, values: dict[str, Any]) -> int:
    """Record a training as the project's next version; returns the version."""
    last = select(func.max(assist_models.c.version)).where(assist_models.c.project_id == project_id)
    version = int(conn.execute(last).scalar() or 0) + 1
    counts = json.dumps(values.pop("counts"), sort_keys=True)
    conn.execute(
        insert(assist_models).values(
            project_id=project_id, version=version, counts=counts, **values
        )
    )
    return version


def settle_latest(conn: Connection, project_id: int, checked: int, confirmed: int) -> None:
    """Record how the latest version's suggestions fared, as a new one replaces them."""
    latest = select(func.max(assist_models.c.version)).where(
        assist_models.c.project_id == project_id
    )
    conn.execute(
        update(assist_models)
        .where(
            assist_models.c.project_id == project_id,
            assist_models.c.version == latest.scalar_subquery(),
        )
        .values(checked=checked, confirmed=confirmed)
    )


def models(conn: Connection, project_id: int, *, limit: int = 50) -> list[ModelRow]:
    """The project's trainings, newest first."""
    query = (
        select(assist_models)
        .where(assist_models.c.project_id == project_id)
        .order_by(assist_models.c.version.desc())
        .limit(limit)
    )
    return [
        ModelRow(
            id=r.id,
            field=r.field,
            version=r.version,
            trained_at=r.trained_at,
            job_id=r.job_id,
            labels=r.labels,
            decided=r.decided,
            folds=r.folds,
            accuracy=r.accuracy,
            low=r.low,
            high=r.high,
            macro_f1=r.macro_f1,
            counts=json.loads(r.counts),
            suggested=r.suggested,
            seconds=r.seconds,
            checked=r.checked,
            confirmed=r.confirmed,
        )
        for r in conn.execute(query)
    ]


def suggestion_agreement(conn: Connection, project_id: int, model: str) -> list[tuple[str, str]]:
    """(suggestion value JSON, decided final value JSON) for items that have both."""
    query = (
        select(pre_annotations.c.value, final_labels.c.value.label("final"))
        .join(final_labels, final_labels.c.item_id == pre_annotations.c.item_id)
        .where(pre_annotations.c.model == model, _decided(project_id))
    )
    return [(r.value, r.final) for r in conn.execute(query)]
