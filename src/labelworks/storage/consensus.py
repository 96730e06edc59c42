"""Final labels, the votes they are decided from, per-item overlap, and fitted models."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from labelworks.domain.assignment import POOL_FRESH, POOL_STARTED
from labelworks.storage.sql import Sql
from labelworks.storage.tables import annotations_table, consensus_models, final_labels, items
from labelworks.storage.walls import within_wall

# A reviewer's fix stands in for the value it corrected.
_VOTES = Sql(
    "SELECT a.id, a.annotator_id, COALESCE(r.fixed_value, a.value) FROM annotations a "
    "LEFT JOIN reviews r ON r.annotation_id = a.id WHERE a.item_id = :item ORDER BY a.id"
)


def votes_of(conn: Connection, item_id: int) -> list[tuple[int, int, dict[str, Any]]]:
    """(annotation id, annotator id, value) of every annotation of the item."""
    return [(int(r[0]), int(r[1]), json.loads(r[2])) for r in _VOTES.all(conn, {"item": item_id})]


_FINAL = (
    "INSERT INTO final_labels (item_id, project_id, value, method, confidence, fields, "
    "n_annotations, status, annotation_ids, decided_at, decided_by, note) VALUES (:item, "
    ":project, :value, :method, :confidence, :fields, :n, :status, :ids, :now, :by, :note) "
    "ON CONFLICT (item_id) DO UPDATE SET value = excluded.value, method = excluded.method, "
    "confidence = excluded.confidence, fields = excluded.fields, "
    "n_annotations = excluded.n_annotations, status = excluded.status, "
    "annotation_ids = excluded.annotation_ids, decided_at = excluded.decided_at, "
    "decided_by = excluded.decided_by, note = excluded.note"
)
_RECORD_FINAL = Sql(_FINAL)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def record_final(
    conn: Connection,
    *,
    item_id: int,
    project_id: int,
    value: dict[str, Any],
    method: str,
    confidence: float,
    fields: dict[str, float],
    annotation_ids: Sequence[int],
    status: str,
    now: datetime,
    by: int | None = None,
    note: str = "",
) -> None:
    """Store (or replace) the item's final label with its provenance (``by``: the
    adjudicator who decided it)."""
    _RECORD_FINAL.run(
        conn,
        {
            "item": item_id,
            "project": project_id,
            "value": _dumps(value),
            "method": method,
            "confidence": confidence,
            "fields": _dumps(fields),
            "n": len(annotation_ids),
            "status": status,
            "ids": _dumps(list(annotation_ids)),
            "now": now,
            "by": by,
            "note": note,
        },
    )


_RAISE = Sql(
    "UPDATE items SET target = :target, pool = CASE WHEN n_submitted + n_leased >= :target "
    f"THEN NULL WHEN n_submitted + n_leased > 0 THEN {POOL_STARTED} ELSE {POOL_FRESH} END "
    "WHERE id = :item AND NOT gold"
)


def raise_target(conn: Connection, item_id: int, target: int) -> None:
    """Ask for ``target`` annotations of the item: it goes back to the queue."""
    _RAISE.run(conn, {"item": item_id, "target": target})


def drop_final(conn: Connection, item_id: int) -> None:
    conn.execute(delete(final_labels).where(final_labels.c.item_id == item_id))


@dataclass(frozen=True, slots=True)
class FinalLabel:
    item_id: int
    external_id: str | None
    value: dict[str, Any]
    method: str
    confidence: float
    fields: dict[str, float]
    status: str
    annotation_ids: list[int]
    decided_at: datetime
    decided_by: int | None = None
    note: str = ""


def _final(r: Any) -> FinalLabel:
    return FinalLabel(
        item_id=int(r.item_id),
        external_id=r.external_id,
        value=json.loads(r.value),
        method=str(r.method),
        confidence=float(r.confidence),
        fields=json.loads(r.fields),
        status=str(r.status),
        annotation_ids=json.loads(r.annotation_ids),
        decided_at=r.decided_at,
        decided_by=r.decided_by,
        note=str(r.note),
    )


def finals(
    conn: Connection,
    project_id: int,
    *,
    status: str | None = None,
    after: int = 0,
    limit: int | None = None,
) -> list[FinalLabel]:
    """A keyset page of the project's final labels (all of them without ``limit``)."""
    query = (
        select(final_labels, items.c.external_id)
        .join(items, items.c.id == final_labels.c.item_id)
        .where(final_labels.c.project_id == project_id, final_labels.c.item_id > after)
        .order_by(final_labels.c.item_id)
    )
    if status is not None:
        query = query.where(final_labels.c.status == status)
    if limit is not None:
        query = query.limit(limit)
    return [_final(r) for r in conn.execute(query)]


def final_of(conn: Connection, item_id: int) -> FinalLabel | None:
    row = conn.execute(
        select(final_labels, items.c.external_id)
        .join(items, items.c.id == final_labels.c.item_id)
        .where(final_labels.c.item_id == item_id)
    ).first()
    return None if row is None else _final(row)


def final_counts(conn: Connection, project_id: int) -> dict[str, int]:
    """How many items are final, at adjudication, adjudicated."""
    rows = conn.execute(
        select(final_labels.c.status, func.count())
        .where(final_labels.c.project_id == project_id)
        .group_by(final_labels.c.status)
    )
    return {str(status): int(n) for status, n in rows}


def project_votes(
    conn: Connection, project_id: int, only_vendor: str | None = None
) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
    """(annotation id, item id, annotator id, value) of every annotation of the project's
    ordinary items, in item order; with ``only_vendor``, that vendor's annotators' only."""
    query = (
        select(
            annotations_table.c.id,
            annotations_table.c.item_id,
            annotations_table.c.annotator_id,
            annotations_table.c.value,
        )
        .join(items, items.c.id == annotations_table.c.item_id)
        .where(
            annotations_table.c.project_id == project_id,
            ~items.c.gold,
            within_wall(annotations_table.c.annotator_id, only_vendor),
        )
        .order_by(annotations_table.c.item_id, annotations_table.c.id)
    )
    for r in conn.execute(query):
        yield int(r[0]), int(r[1]), int(r[2]), json.loads(r[3])


def model_of(conn: Connection, project_id: int) -> tuple[str, dict[str, Any], int] | None:
    """(method, models per field, annotations it was fitted on) of the project."""
    row = conn.execute(
        select(
            consensus_models.c.method, consensus_models.c.models, consensus_models.c.n_annotations
        ).where(consensus_models.c.project_id == project_id)
    ).first()
    return None if row is None else (str(row[0]), json.loads(row[1]), int(row[2]))


def save_model(
    conn: Connection, project_id: int, method: str, models: dict[str, Any], n: int, now: datetime
) -> None:
    conn.execute(delete(consensus_models).where(consensus_models.c.project_id == project_id))
    conn.execute(
        insert(consensus_models).values(
            project_id=project_id,
            method=method,
            models=_dumps(models),
            n_annotations=n,
            fitted_at=now,
        )
    )


def settled_items(conn: Connection, project_id: int, overlap: int) -> list[int]:
    """Ordinary items that reached their overlap (their own target, else ``overlap``),
    except those an adjudicator decided: consensus never overrides an expert."""
    query = (
        select(items.c.id)
        .outerjoin(final_labels, final_labels.c.item_id == items.c.id)
        .where(
            items.c.project_id == project_id,
            ~items.c.gold,
            items.c.n_submitted >= func.coalesce(items.c.target, overlap),
            (final_labels.c.status.is_(None)) | (final_labels.c.status != "adjudicated"),
        )
        .order_by(items.c.id)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def model_info(conn: Connection, project_id: int) -> tuple[str, int, datetime] | None:
    """(method, annotations it was fitted on, when) of the project's fitted model."""
    row = conn.execute(
        select(
            consensus_models.c.method,
            consensus_models.c.n_annotations,
            consensus_models.c.fitted_at,
        ).where(consensus_models.c.project_id == project_id)
    ).first()
    return None if row is None else (str(row[0]), int(row[1]), row[2])


def without_final(conn: Connection, project_id: int) -> int:
    """How many of the project's ordinary items have no final label yet."""
    query = (
        select(func.count())
        .select_from(items)
        .outerjoin(final_labels, final_labels.c.item_id == items.c.id)
        .where(items.c.project_id == project_id, ~items.c.gold, final_labels.c.item_id.is_(None))
    )
    return int(conn.execute(query).scalar_one())
