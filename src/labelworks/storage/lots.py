"""Lots: which annotations a lot holds, its sample, verdicts and decision."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from labelworks.storage.tables import (
    annotations_table,
    items,
    lot_samples,
    lots,
    users,
    vendors,
)


def lot_annotations(
    conn: Connection,
    project_id: int,
    *,
    import_id: int | None,
    vendor: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[int]:
    """Ids of the project's annotations of ordinary items a lot selects, in id order."""
    a = annotations_table
    query = (
        select(a.c.id)
        .join(items, items.c.id == a.c.item_id)
        .where(a.c.project_id == project_id, ~items.c.gold)
        .order_by(a.c.id)
    )
    if import_id is not None:
        query = query.where(items.c.import_id == import_id)
    if vendor is not None:
        people = (
            select(users.c.id)
            .join(vendors, vendors.c.id == users.c.vendor_id)
            .where(vendors.c.name == vendor)
        )
        query = query.where(a.c.annotator_id.in_(people))
    if since is not None:
        query = query.where(a.c.created_at >= since)
    if until is not None:
        query = query.where(a.c.created_at < until)
    return [int(i) for i in conn.execute(query).scalars()]


def create(
    conn: Connection,
    *,
    project_id: int,
    name: str,
    selector: dict[str, Any],
    size: int,
    plan: dict[str, Any],
    sample: list[int],
    by: int | None,
    now: datetime,
) -> int:
    lot_id = int(
        conn.execute(
            insert(lots)
            .values(
                project_id=project_id,
                name=name,
                selector=json.dumps(selector, default=str),
                size=size,
                plan=json.dumps(plan),
                status="auditing",
                created_by=by,
                created_at=now,
            )
            .returning(lots.c.id)
        ).scalar_one()
    )
    if sample:
        conn.execute(
            insert(lot_samples),
            [{"lot_id": lot_id, "annotation_id": a, "position": k} for k, a in enumerate(sample)],
        )
    return lot_id


@dataclass(frozen=True, slots=True)
class LotRow:
    id: int
    name: str
    selector: dict[str, Any]
    size: int
    plan: dict[str, Any]
    status: str
    decision: dict[str, Any] | None
    created_at: datetime
    decided_at: datetime | None


def _lot(r: Any) -> LotRow:
    return LotRow(
        id=int(r.id),
        name=str(r.name),
        selector=json.loads(r.selector),
        size=int(r.size),
        plan=json.loads(r.plan),
        status=str(r.status),
        decision=None if r.decision is None else json.loads(r.decision),
        created_at=r.created_at,
        decided_at=r.decided_at,
    )


def all_lots(conn: Connection, project_id: int) -> list[LotRow]:
    rows = conn.execute(select(lots).where(lots.c.project_id == project_id).order_by(lots.c.id))
    return [_lot(r) for r in rows]


def get(conn: Connection, project_id: int, lot_id: int) -> LotRow | None:
    row = conn.execute(
        select(lots).where(lots.c.id == lot_id, lots.c.project_id == project_id)
    ).first()
    return None if row is None else _lot(row)


@dataclass(frozen=True, slots=True)
class SampleRow:
    annotation_id: int
    item_id: int | None  # None once the annotation was set aside (a rejected lot)
    payload: dict[str, Any] | None
    value: dict[str, Any] | None
    verdict: str | None
    note: str


def samples(conn: Connection, lot_id: int) -> list[SampleRow]:
    a = annotations_table
    rows = conn.execute(
        select(lot_samples, a.c.item_id, a.c.value, items.c.payload)
        .outerjoin(a, a.c.id == lot_samples.c.annotation_id)
        .outerjoin(items, items.c.id == a.c.item_id)
        .where(lot_samples.c.lot_id == lot_id)
        .order_by(lot_samples.c.position)
    )
    return [
        SampleRow(
            annotation_id=int(r.annotation_id),
            item_id=None if r.item_id is None else int(r.item_id),
            payload=None if r.payload is None else json.loads(r.payload),
            value=None if r.value is None else json.loads(r.value),
            verdict=r.verdict,
            note=str(r.note),
        )
        for r in rows
    ]


def set_verdict(
    conn: Connection,
    lot_id: int,
    annotation_id: int,
    *,
    verdict: str,
    note: str,
    by: int | None,
    now: datetime,
) -> bool:
    result = conn.execute(
        update(lot_samples)
        .where(and_(lot_samples.c.lot_id == lot_id, lot_samples.c.annotation_id == annotation_id))
        .values(verdict=verdict, note=note, auditor_id=by, audited_at=now)
    )
    return bool(result.rowcount)


def decide(
    conn: Connection, lot_id: int, *, status: str, decision: dict[str, Any], now: datetime
) -> None:
    conn.execute(
        update(lots)
        .where(lots.c.id == lot_id)
        .values(status=status, decision=json.dumps(decision, default=str), decided_at=now)
    )
