"""Browsing a project's items: filtered keyset pages, one item in full, who works now."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select

from labelworks.storage.tables import annotations_table, assignments, items, users, vendors
from labelworks.storage.walls import within_wall


@dataclass(frozen=True, slots=True)
class ItemFilter:
    status: str | None = None  # new | in_progress | complete
    annotator_id: int | None = None
    label: str | None = None
    text: str | None = None
    wall: str | None = None  # the vendor whose annotations alone filters and counts consider


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _label_patterns(label: str) -> list[str]:
    """LIKE patterns that find ``label`` as a value in compact JSON, never as a key.

    A value follows a colon (a choice, or a span's ``"label"``) or sits in an array (a
    multi-choice list); a key is always followed by a colon, which these never allow.
    """
    quoted = _like_escape(json.dumps(label, ensure_ascii=False))
    return [f"%:{quoted}%", f"%[{quoted},%", f"%[{quoted}]%", f"%,{quoted},%", f"%,{quoted}]%"]


def _conditions(project_id: int, overlap: int, f: ItemFilter) -> list[Any]:
    where: list[Any] = [items.c.project_id == project_id]
    load = items.c.n_submitted + items.c.n_leased
    if f.status == "complete":
        where.append(items.c.n_submitted >= overlap)
    elif f.status == "in_progress":
        where.extend([items.c.n_submitted < overlap, load > 0])
    elif f.status == "new":
        where.append(load == 0)
    if f.annotator_id is not None:
        where.append(
            exists().where(
                annotations_table.c.item_id == items.c.id,
                annotations_table.c.annotator_id == f.annotator_id,
                within_wall(annotations_table.c.annotator_id, f.wall),
            )
        )
    if f.label is not None:
        where.append(
            exists().where(
                annotations_table.c.item_id == items.c.id,
                within_wall(annotations_table.c.annotator_id, f.wall),
                or_(
                    *(
                        annotations_table.c.value.like(p, escape="\\")
                        for p in _label_patterns(f.label)
                    )
                ),
            )
        )
    if f.text:
        where.append(items.c.payload.ilike("%" + _like_escape(f.text) + "%", escape="\\"))
    return where


@dataclass(frozen=True, slots=True)
class ItemSummary:
    id: int
    external_id: str | None
    payload: str
    n_submitted: int
    n_leased: int
    created_at: datetime


def item_page(
    conn: Connection,
    project_id: int,
    overlap: int,
    f: ItemFilter,
    *,
    after_id: int,
    limit: int,
) -> list[ItemSummary]:
    """Up to ``limit`` matching items with ids above ``after_id``, in import order.

    Behind a wall, ``n_submitted`` counts only the wall's annotations.
    """
    submitted: Any = items.c.n_submitted
    if f.wall is not None:
        submitted = (
            select(func.count())
            .where(
                annotations_table.c.item_id == items.c.id,
                within_wall(annotations_table.c.annotator_id, f.wall),
            )
            .scalar_subquery()
        )
    rows = conn.execute(
        select(
            items.c.id,
            items.c.external_id,
            items.c.payload,
            submitted.label("n_submitted"),
            items.c.n_leased,
            items.c.created_at,
        )
        .where(and_(*_conditions(project_id, overlap, f)), items.c.id > after_id)
        .order_by(items.c.id)
        .limit(limit)
    )
    return [
        ItemSummary(
            int(r.id),
            r.external_id,
            str(r.payload),
            int(r.n_submitted),
            int(r.n_leased),
            r.created_at,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class AnnotationView:
    annotator: str
    vendor: str | None
    value: dict[str, Any]
    seconds: float | None
    guideline_version: int | None
    created_at: datetime
    after_expiry: bool


def annotations_of_item(
    conn: Connection, item_id: int, wall: str | None = None
) -> list[AnnotationView]:
    rows = conn.execute(
        select(
            users.c.email,
            vendors.c.name.label("vendor"),
            annotations_table.c.value,
            annotations_table.c.seconds,
            annotations_table.c.guideline_version,
            annotations_table.c.created_at,
            annotations_table.c.after_expiry,
        )
        .join(users, users.c.id == annotations_table.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(
            annotations_table.c.item_id == item_id,
            within_wall(annotations_table.c.annotator_id, wall),
        )
        .order_by(annotations_table.c.id)
    )
    return [
        AnnotationView(
            r.email,
            r.vendor,
            json.loads(r.value),
            r.seconds,
            r.guideline_version,
            r.created_at,
            bool(r.after_expiry),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class ActiveLease:
    annotator: str
    vendor: str | None
    item_id: int
    leased_at: datetime
    expires_at: datetime


def active_leases(
    conn: Connection, project_id: int, now: datetime, wall: str | None = None
) -> list[ActiveLease]:
    """Who holds a live lease right now, newest first."""
    rows = conn.execute(
        select(
            users.c.email,
            vendors.c.name.label("vendor"),
            assignments.c.item_id,
            assignments.c.leased_at,
            assignments.c.expires_at,
        )
        .join(users, users.c.id == assignments.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(
            assignments.c.project_id == project_id,
            assignments.c.state == "leased",
            assignments.c.expires_at >= now,
            within_wall(assignments.c.annotator_id, wall),
        )
        .order_by(assignments.c.leased_at.desc())
        .limit(200)
    )
    return [ActiveLease(r.email, r.vendor, int(r.item_id), r.leased_at, r.expires_at) for r in rows]


def submitted_since(conn: Connection, project_id: int, annotator_id: int, since: datetime) -> int:
    query = select(func.count()).where(
        annotations_table.c.project_id == project_id,
        annotations_table.c.annotator_id == annotator_id,
        annotations_table.c.created_at >= since,
    )
    return int(conn.execute(query).scalar_one())


def open_items(conn: Connection, project_id: int) -> int:
    """Items that still take leases (answered from the partial ``ix_items_next`` index)."""
    query = select(func.count()).where(items.c.project_id == project_id, items.c.pool.is_not(None))
    return int(conn.execute(query).scalar_one())
