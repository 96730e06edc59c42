"""What acceptance and delivery read: ordinary items' annotations, final-label counts, gold
tallies per annotator, the label rows of a delivery; and the deliveries themselves (open
escalations are ``services.escalations.open_escalations``)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, insert, select

from labelworks.storage.tables import (
    annotations_table,
    deliveries,
    final_labels,
    gold_results,
    items,
    users,
    vendors,
)
from labelworks.storage.walls import within_wall

# The final-label statuses an item of a delivery can have; "pending": no final label yet.
STATUSES = ("final", "adjudicated", "adjudication", "pending")


def ordinary_votes(
    conn: Connection,
    project_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    vendor: str | None = None,
) -> Iterator[tuple[int, int, str]]:
    """``(item id, annotator id, value JSON text)`` of every annotation of the project's
    ordinary (not gold) items, in item order; annotations set aside are not among them.
    ``since`` (inclusive) and ``until`` (exclusive) keep those submitted in that period,
    ``vendor`` those of that vendor's people."""
    a = annotations_table
    query = (
        select(a.c.item_id, a.c.annotator_id, a.c.value)
        .join(items, items.c.id == a.c.item_id)
        .where(a.c.project_id == project_id, ~items.c.gold)
        .where(within_wall(a.c.annotator_id, vendor))
        .order_by(a.c.item_id, a.c.id)
    )
    if since is not None:
        query = query.where(a.c.created_at >= since)
    if until is not None:
        query = query.where(a.c.created_at < until)
    for r in conn.execute(query):
        yield int(r[0]), int(r[1]), str(r[2])


def item_counts(conn: Connection, project_id: int) -> dict[str, int]:
    """The project's ordinary items by final-label status (every key of ``STATUSES``), and
    its gold items (``"gold"``)."""
    query = (
        select(items.c.gold, final_labels.c.status, func.count())
        .select_from(items)
        .outerjoin(final_labels, final_labels.c.item_id == items.c.id)
        .where(items.c.project_id == project_id)
        .group_by(items.c.gold, final_labels.c.status)
    )
    counts = dict.fromkeys((*STATUSES, "gold"), 0)
    for gold, status, n in conn.execute(query):
        counts["gold" if gold else str(status or "pending")] += int(n)
    return counts


@dataclass(frozen=True, slots=True)
class GoldTally:
    email: str
    name: str
    vendor: str | None
    correct: int
    total: int


def gold_tallies(conn: Connection, project_id: int) -> list[GoldTally]:
    """Each annotator's scored gold answers in the project (every vendor's), by email."""
    query = (
        select(
            users.c.email,
            users.c.name,
            vendors.c.name,
            func.sum(case((gold_results.c.correct, 1), else_=0)),
            func.count(),
        )
        .select_from(gold_results)
        .join(users, users.c.id == gold_results.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(gold_results.c.project_id == project_id)
        .group_by(users.c.id, users.c.email, users.c.name, vendors.c.name)
        .order_by(users.c.email)
    )
    return [GoldTally(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class LabelRow:
    """An ordinary item with its final label, if it has one (``status`` "pending" if not)."""

    item_id: int
    external_id: str | None
    payload: str
    value: str | None
    method: str | None
    confidence: float | None
    status: str
    annotation_ids: list[int] | None


def label_page(conn: Connection, project_id: int, *, after: int, limit: int) -> list[LabelRow]:
    """A keyset page of the project's ordinary items with their final labels, by id."""
    query = (
        select(
            items.c.id,
            items.c.external_id,
            items.c.payload,
            final_labels.c.value,
            final_labels.c.method,
            final_labels.c.confidence,
            final_labels.c.status,
            final_labels.c.annotation_ids,
        )
        .outerjoin(final_labels, final_labels.c.item_id == items.c.id)
        .where(items.c.project_id == project_id, ~items.c.gold, items.c.id > after)
        .order_by(items.c.id)
        .limit(limit)
    )
    return [
        LabelRow(
            item_id=int(r[0]),
            external_id=r[1],
            payload=str(r[2]),
            value=r[3],
            method=r[4],
            confidence=None if r[5] is None else float(r[5]),
            status=str(r[6] or "pending"),
            annotation_ids=None if r[7] is None else [int(i) for i in json.loads(r[7])],
        )
        for r in conn.execute(query)
    ]


def annotation_ids(
    conn: Connection, project_id: int, *, after: int, last: int
) -> dict[int, list[int]]:
    """The annotation ids of the project's items in ``(after, last]``, per item, oldest first."""
    query = (
        select(annotations_table.c.item_id, annotations_table.c.id)
        .where(
            annotations_table.c.project_id == project_id,
            annotations_table.c.item_id > after,
            annotations_table.c.item_id <= last,
        )
        .order_by(annotations_table.c.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for item_id, annotation_id in conn.execute(query):
        found[int(item_id)].append(int(annotation_id))
    return found


# ---- deliveries -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    path: str
    accepted: bool
    forced: bool
    criteria: list[dict[str, Any]]
    n_items: int
    delivered_by: str
    delivered_at: datetime


def record_delivery(
    conn: Connection,
    *,
    project_id: int,
    path: str,
    accepted: bool,
    forced: bool,
    criteria: list[dict[str, Any]],
    n_items: int,
    by: int | None,
    by_name: str,
    now: datetime,
) -> int:
    """Record a delivery; returns its id."""
    result = conn.execute(
        insert(deliveries).values(
            project_id=project_id,
            path=path,
            accepted=accepted,
            forced=forced,
            criteria=json.dumps(criteria, ensure_ascii=False, allow_nan=False),
            n_items=n_items,
            delivered_by=by,
            delivered_by_name=by_name,
            delivered_at=now,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def deliveries_of(conn: Connection, project_id: int) -> list[Delivery]:
    """The project's deliveries, newest first."""
    query = (
        select(deliveries)
        .where(deliveries.c.project_id == project_id)
        .order_by(deliveries.c.id.desc())
    )
    return [
        Delivery(
            id=int(r.id),
            path=str(r.path),
            accepted=bool(r.accepted),
            forced=bool(r.forced),
            criteria=json.loads(r.criteria),
            n_items=int(r.n_items),
            delivered_by=str(r.delivered_by_name),
            delivered_at=r.delivered_at,
        )
        for r in conn.execute(query)
    ]
