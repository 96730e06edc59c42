"""Reviews: the queue of sampled annotations and reviewers' decisions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from labelworks.storage.sql import Sql
from labelworks.storage.tables import annotations_table, items, reviews, users, vendors
from labelworks.storage.walls import within_wall

# How many annotations of ordinary items the annotator made in the project before this
# one (gold answers, qualification questions included, are not work to review), counted
# only up to ``first_n``.
_EARLIER = Sql(
    "SELECT count(*) FROM (SELECT 1 FROM annotations a JOIN items i ON i.id = a.item_id "
    "WHERE a.project_id = :project AND a.annotator_id = :annotator AND a.id < :annotation "
    "AND NOT i.gold LIMIT :n) AS earlier"
)
_QUEUE = Sql(
    "INSERT INTO reviews (project_id, annotation_id, item_id, annotator_id, why, status, "
    "comment, created_at) VALUES (:project, :annotation, :item, :annotator, :why, 'pending', "
    "'', :now)"
)


def earlier_annotations(
    conn: Connection, project_id: int, annotator_id: int, annotation_id: int, up_to: int
) -> int:
    if up_to <= 0:
        return 0
    row = _EARLIER.one(
        conn,
        {"project": project_id, "annotator": annotator_id, "annotation": annotation_id, "n": up_to},
    )
    return 0 if row is None else int(row[0])


def queue(
    conn: Connection,
    *,
    project_id: int,
    annotation_id: int,
    item_id: int,
    annotator_id: int,
    why: str,
    now: datetime,
) -> None:
    _QUEUE.run(
        conn,
        {
            "project": project_id,
            "annotation": annotation_id,
            "item": item_id,
            "annotator": annotator_id,
            "why": why,
            "now": now,
        },
    )


@dataclass(frozen=True, slots=True)
class ReviewRow:
    id: int
    annotation_id: int
    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    value: dict[str, Any] | None  # None once the annotation was set aside (rejected)
    annotator: str
    vendor: str | None
    why: str
    status: str
    reason: str | None
    comment: str
    fixed_value: dict[str, Any] | None
    created_at: datetime
    decided_at: datetime | None


def page(
    conn: Connection,
    project_id: int,
    *,
    status: str | None,
    wall: str | None,
    after: int,
    limit: int,
) -> list[ReviewRow]:
    query = (
        select(
            reviews,
            items.c.external_id,
            items.c.payload,
            annotations_table.c.value,
            users.c.email,
            vendors.c.name.label("vendor"),
        )
        .join(items, items.c.id == reviews.c.item_id)
        .join(users, users.c.id == reviews.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .outerjoin(annotations_table, annotations_table.c.id == reviews.c.annotation_id)
        .where(
            reviews.c.project_id == project_id,
            reviews.c.id > after,
            within_wall(reviews.c.annotator_id, wall),
        )
        .order_by(reviews.c.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(reviews.c.status == status)
    return [_row(r) for r in conn.execute(query)]


def _row(r: Any) -> ReviewRow:
    return ReviewRow(
        id=int(r.id),
        annotation_id=int(r.annotation_id),
        item_id=int(r.item_id),
        external_id=r.external_id,
        payload=json.loads(r.payload),
        value=None if r.value is None else json.loads(r.value),
        annotator=str(r.email),
        vendor=r.vendor,
        why=str(r.why),
        status=str(r.status),
        reason=r.reason,
        comment=str(r.comment),
        fixed_value=None if r.fixed_value is None else json.loads(r.fixed_value),
        created_at=r.created_at,
        decided_at=r.decided_at,
    )


def get(conn: Connection, project_id: int, review_id: int) -> ReviewRow | None:
    rows = page(conn, project_id, status=None, wall=None, after=review_id - 1, limit=1)
    return rows[0] if rows and rows[0].id == review_id else None


def decide(
    conn: Connection,
    review_id: int,
    *,
    status: str,
    reason: str | None,
    comment: str,
    fixed_value: dict[str, Any] | None,
    reviewer_id: int | None,
    now: datetime,
) -> bool:
    """Record a decision on a pending review; False if it was decided already."""
    result = conn.execute(
        update(reviews)
        .where(reviews.c.id == review_id, reviews.c.status == "pending")
        .values(
            status=status,
            reason=reason,
            comment=comment,
            fixed_value=None
            if fixed_value is None
            else json.dumps(fixed_value, ensure_ascii=False, separators=(",", ":")),
            reviewer_id=reviewer_id,
            decided_at=now,
        )
    )
    return bool(result.rowcount)


def outcomes(
    conn: Connection, project_id: int, wall: str | None
) -> list[tuple[str, str | None, str, int]]:
    """(annotator email, vendor, status, count) over the project's reviews."""
    rows = conn.execute(
        select(users.c.email, vendors.c.name, reviews.c.status, func.count())
        .join(users, users.c.id == reviews.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(reviews.c.project_id == project_id, within_wall(reviews.c.annotator_id, wall))
        .group_by(users.c.email, vendors.c.name, reviews.c.status)
    )
    return [(str(e), v, str(s), int(n)) for e, v, s, n in rows]
