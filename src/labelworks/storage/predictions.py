"""Models' predictions: storing them (a push of the same item, model and version replaces
it), the suggestions that show them to annotators, and reading them back beside the
reference labels an evaluation scores them against."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, and_, case, delete, func, insert, literal, select

from labelworks.domain.predictions import Prediction, PredictionsSpec
from labelworks.storage.model_tables import predictions
from labelworks.storage.quality_tables import final_labels, gold_answers
from labelworks.storage.tables import items, pre_annotations

Against = Literal["final", "gold"]
# Final labels a person or the consensus settled; 'adjudication' still waits for one.
DECIDED = ("final", "adjudicated")
CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredPrediction:
    item_id: int
    prediction: Prediction


@dataclass(frozen=True, slots=True)
class ModelVersion:
    model: str
    version: str
    items: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class Scored:
    """One item an evaluation scores: the model's answer beside the reference."""

    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    metadata: dict[str, Any]
    value: dict[str, Any]
    probabilities: dict[str, dict[str, float]] | None
    reference: dict[str, Any]


def store(
    conn: Connection,
    project_id: int,
    rows: Sequence[StoredPrediction],
    now: datetime,
    shown: PredictionsSpec | None,
) -> None:
    """Store ``rows``, replacing earlier predictions of the same item, model and version;
    the suggestions of the model versions they touch follow (``shown``)."""
    pairs = sorted({(r.prediction.model, r.prediction.version) for r in rows})
    _drop_suggestions(conn, project_id, pairs)
    by_pair: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        by_pair.setdefault((r.prediction.model, r.prediction.version), []).append(r.item_id)
    for (model, version), item_ids in by_pair.items():
        for start in range(0, len(item_ids), CHUNK):
            conn.execute(
                delete(predictions).where(
                    predictions.c.project_id == project_id,
                    predictions.c.model == model,
                    predictions.c.version == version,
                    predictions.c.item_id.in_(item_ids[start : start + CHUNK]),
                )
            )
    insert_new(conn, project_id, rows, now)
    _add_suggestions(conn, project_id, pairs, shown)


def insert_new(
    conn: Connection, project_id: int, rows: Sequence[StoredPrediction], now: datetime
) -> None:
    """Insert predictions of items that have none from these model versions (an import's
    new items); their suggestions come with ``refresh_suggestions`` at the end."""
    for start in range(0, len(rows), CHUNK):
        conn.execute(
            insert(predictions),
            [_record(project_id, r, now) for r in rows[start : start + CHUNK]],
        )


def refresh_suggestions(
    conn: Connection,
    project_id: int,
    pairs: Sequence[tuple[str, str]],
    shown: PredictionsSpec | None,
) -> None:
    """Rewrite the suggestions that show these model versions' predictions."""
    _drop_suggestions(conn, project_id, pairs)
    _add_suggestions(conn, project_id, pairs, shown)


def resync_suggestions(conn: Connection, project_id: int, shown: PredictionsSpec | None) -> None:
    """Make the suggestions that show predictions match the spec's ``predictions`` again
    (after it changed)."""
    pairs = [(m.model, m.version) for m in model_versions(conn, project_id)]
    refresh_suggestions(conn, project_id, pairs, shown)


def _record(project_id: int, r: StoredPrediction, now: datetime) -> dict[str, Any]:
    p = r.prediction
    return {
        "project_id": project_id,
        "item_id": r.item_id,
        "model": p.model,
        "version": p.version,
        "value": json.dumps(p.value, ensure_ascii=False, separators=(",", ":")),
        "score": p.score,
        "probabilities": None if p.probabilities is None else json.dumps(p.probabilities),
        "created_at": now,
    }


def _of_pair(project_id: int, model: str, version: str) -> Any:
    return and_(
        predictions.c.project_id == project_id,
        predictions.c.model == model,
        predictions.c.version == version,
    )


def _drop_suggestions(conn: Connection, project_id: int, pairs: Sequence[tuple[str, str]]) -> None:
    for model, version in pairs:
        ids = select(predictions.c.id).where(_of_pair(project_id, model, version))
        conn.execute(delete(pre_annotations).where(pre_annotations.c.prediction_id.in_(ids)))


def _add_suggestions(
    conn: Connection,
    project_id: int,
    pairs: Sequence[tuple[str, str]],
    shown: PredictionsSpec | None,
) -> None:
    if shown is None:
        return
    # The suggestion carries ``name@version``, as people write a model version.
    name = case(
        (predictions.c.version == "", predictions.c.model),
        else_=predictions.c.model + literal("@") + predictions.c.version,
    )
    for model, version in pairs:
        if not shown.shows(model):
            continue
        chosen = select(
            predictions.c.item_id, name, predictions.c.score, predictions.c.value, predictions.c.id
        ).where(_of_pair(project_id, model, version))
        conn.execute(
            insert(pre_annotations).from_select(
                ["item_id", "model", "score", "value", "prediction_id"], chosen
            )
        )


def model_versions(conn: Connection, project_id: int) -> list[ModelVersion]:
    """Every model version with predictions in the project, newest first."""
    query = (
        select(
            predictions.c.model,
            predictions.c.version,
            func.count(),
            func.min(predictions.c.created_at),
            func.max(predictions.c.created_at),
        )
        .where(predictions.c.project_id == project_id)
        .group_by(predictions.c.model, predictions.c.version)
    )
    found = [
        ModelVersion(str(m), str(v), int(n), _time(first), _time(last))
        for m, v, n, first, last in conn.execute(query)
    ]
    return sorted(found, key=lambda mv: (mv.last, mv.model, mv.version), reverse=True)


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def item_ids_by_key(
    conn: Connection, project_id: int, external_ids: Sequence[str], ids: Sequence[int]
) -> tuple[dict[str, tuple[int, str]], dict[int, str]]:
    """The project's items named by external id and by id: ({external id: (id, payload
    JSON)}, {id: payload JSON}); names of other projects' items are simply absent."""
    by_external: dict[str, tuple[int, str]] = {}
    by_id: dict[int, str] = {}
    for start in range(0, len(external_ids), CHUNK):
        query = select(items.c.external_id, items.c.id, items.c.payload).where(
            items.c.project_id == project_id,
            items.c.external_id.in_(external_ids[start : start + CHUNK]),
        )
        for ext, item_id, payload in conn.execute(query):
            by_external[str(ext)] = (int(item_id), payload)
    for start in range(0, len(ids), CHUNK):
        query = select(items.c.id, items.c.payload).where(
            items.c.project_id == project_id, items.c.id.in_(ids[start : start + CHUNK])
        )
        for item_id, payload in conn.execute(query):
            by_id[int(item_id)] = payload
    return by_external, by_id


def scored_rows(
    conn: Connection,
    project_id: int,
    model: str,
    version: str,
    against: Against,
    *,
    with_item: bool = True,
) -> Iterator[Scored]:
    """The model version's predictions on the items that have a reference: a decided
    final label (``final``) or a gold answer (``gold``), in item order. Without
    ``with_item`` the items' payload and metadata are left empty (not read)."""
    reference = final_labels if against == "final" else gold_answers
    condition: Any = final_labels.c.status.in_(DECIDED) if against == "final" else literal(True)
    item_columns = (
        (items.c.payload, items.c.metadata)
        if with_item
        else (literal("{}").label("payload"), literal("{}").label("metadata"))
    )
    query = (
        select(
            items.c.id,
            items.c.external_id,
            *item_columns,
            predictions.c.value,
            predictions.c.probabilities,
            reference.c.value.label("reference"),
        )
        .join(predictions, predictions.c.item_id == items.c.id)
        .join(reference, reference.c.item_id == items.c.id)
        .where(_of_pair(project_id, model, version), condition)
        .order_by(items.c.id)
    )
    for row in conn.execute(query, execution_options={"yield_per": 2000}):
        # orjson: at 100,000 items the decoding is most of an evaluation's time.
        yield Scored(
            item_id=int(row.id),
            external_id=row.external_id,
            payload=orjson.loads(row.payload) if with_item else {},
            metadata=orjson.loads(row.metadata) if with_item else {},
            value=orjson.loads(row.value),
            probabilities=None if row.probabilities is None else orjson.loads(row.probabilities),
            reference=orjson.loads(row.reference),
        )


def of_item(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    """The item's predictions, newest first (the item page shows them)."""
    query = (
        select(predictions)
        .where(predictions.c.item_id == item_id)
        .order_by(predictions.c.created_at.desc(), predictions.c.id.desc())
    )
    return [
        {
            "model": r.model,
            "version": r.version,
            "value": json.loads(r.value),
            "score": r.score,
            "probabilities": None if r.probabilities is None else json.loads(r.probabilities),
        }
        for r in conn.execute(query)
    ]
