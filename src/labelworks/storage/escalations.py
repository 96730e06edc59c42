"""Escalations: annotators' flags, the expert's resolution of each, and the edge-case
library (the resolved ones), searchable in their text and their item's content.

``record`` runs inside a skip or a submit, so it is one fixed statement; the rest serve
experts' pages and routes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, false, func, or_, select, update
from sqlalchemy.sql import Select

from labelworks.storage.sql import Sql, read_time
from labelworks.storage.tables import annotations_table, escalations, items, users, vendors

_RECORD = Sql(
    "INSERT INTO escalations (project_id, item_id, annotator_id, assignment_id, kind, "
    "comment, created_at, status, note, made_gold) VALUES (:project, :item, :annotator, "
    ":assignment, :kind, :comment, :now, 'open', '', :no)"
)


def record(
    conn: Connection,
    *,
    project_id: int,
    item_id: int,
    annotator_id: int,
    assignment_id: int,
    kind: str,
    comment: str,
    now: datetime,
) -> None:
    """Keep an annotator's flag on the item of their assignment (fixed SQL: it runs inside
    skips and submits)."""
    _RECORD.run(
        conn,
        {
            "project": project_id,
            "item": item_id,
            "annotator": annotator_id,
            "assignment": assignment_id,
            "kind": kind,
            "comment": comment,
            "now": now,
            "no": False,
        },
    )


@dataclass(frozen=True, slots=True)
class EscalationRow:
    """A flag with its item and who raised it, and (once resolved) the resolution."""

    id: int
    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    kind: str
    comment: str
    flagged_by: str
    flagged_by_name: str
    vendor: str | None
    created_at: datetime
    status: str
    answer: dict[str, Any] | None
    note: str
    guideline_section: str | None
    made_gold: bool
    resolved_by: str | None
    resolved_at: datetime | None
    item_gold: bool = False  # the item is a gold question now
    # The annotator's own answer, when they flagged with a submit (and it was not set aside).
    annotation: dict[str, Any] | None = None


def _base() -> Select[Any]:
    resolver = users.alias("resolver")
    return (
        select(
            escalations.c.id,
            escalations.c.item_id,
            items.c.external_id,
            items.c.payload,
            escalations.c.kind,
            escalations.c.comment,
            users.c.email,
            users.c.name,
            vendors.c.name.label("vendor"),
            escalations.c.created_at,
            escalations.c.status,
            escalations.c.answer,
            escalations.c.note,
            escalations.c.guideline_section,
            escalations.c.made_gold,
            resolver.c.email.label("resolver"),
            escalations.c.resolved_at,
            items.c.gold,
            annotations_table.c.value.label("annotation"),
        )
        .join(items, items.c.id == escalations.c.item_id)
        .join(users, users.c.id == escalations.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .outerjoin(resolver, resolver.c.id == escalations.c.resolved_by)
        .outerjoin(
            annotations_table, annotations_table.c.assignment_id == escalations.c.assignment_id
        )
    )


def _row(r: Any) -> EscalationRow:
    return EscalationRow(
        id=int(r.id),
        item_id=int(r.item_id),
        external_id=r.external_id,
        payload=json.loads(r.payload),
        kind=str(r.kind),
        comment=str(r.comment),
        flagged_by=str(r.email),
        flagged_by_name=str(r.name or ""),
        vendor=r.vendor,
        created_at=read_time(r.created_at),
        status=str(r.status),
        answer=None if r.answer is None else json.loads(r.answer),
        note=str(r.note),
        guideline_section=r.guideline_section,
        made_gold=bool(r.made_gold),
        resolved_by=r.resolver,
        resolved_at=None if r.resolved_at is None else read_time(r.resolved_at),
        item_gold=bool(r.gold),
        annotation=None if r.annotation is None else json.loads(r.annotation),
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page(
    conn: Connection,
    project_id: int,
    *,
    status: str | None,
    with_gold: bool,
    after: int,
    limit: int,
    query: str | None = None,
) -> list[EscalationRow]:
    """A keyset page of the project's escalations in the order they were raised: of one
    ``status`` (``None``: both); those whose item is a gold question only ``with_gold``; with
    ``query``, only those whose comment, note, guideline section or item content holds it
    (case-insensitive)."""
    select_ = _base().where(escalations.c.project_id == project_id, escalations.c.id > after)
    if status is not None:
        select_ = select_.where(escalations.c.status == status)
    if not with_gold:
        select_ = select_.where(items.c.gold == false())
    if query:
        pattern = _like(query)
        select_ = select_.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        escalations.c.comment,
                        escalations.c.note,
                        escalations.c.guideline_section,
                        items.c.payload,
                    )
                )
            )
        )
    rows = conn.execute(select_.order_by(escalations.c.id).limit(limit))
    return [_row(r) for r in rows]


def one(conn: Connection, escalation_id: int) -> EscalationRow | None:
    row = conn.execute(_base().where(escalations.c.id == escalation_id)).first()
    return None if row is None else _row(row)


def project_of(conn: Connection, escalation_id: int) -> tuple[int, int] | None:
    """The (project id, item id) of an escalation."""
    row = conn.execute(
        select(escalations.c.project_id, escalations.c.item_id).where(
            escalations.c.id == escalation_id
        )
    ).first()
    return None if row is None else (int(row.project_id), int(row.item_id))


def resolve(
    conn: Connection,
    escalation_id: int,
    *,
    answer: dict[str, Any] | None,
    note: str,
    guideline_section: str | None,
    made_gold: bool,
    by: int | None,
    now: datetime,
) -> bool:
    """Resolve an open escalation; False if it was resolved already (by anyone: the
    condition is checked in the same statement that writes)."""
    stored = (
        None
        if answer is None
        else json.dumps(answer, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    )
    result = conn.execute(
        update(escalations)
        .where(escalations.c.id == escalation_id, escalations.c.status == "open")
        .values(
            status="resolved",
            answer=stored,
            note=note,
            guideline_section=guideline_section,
            made_gold=made_gold,
            resolved_by=by,
            resolved_at=now,
        )
    )
    return bool(result.rowcount)


def open_count(conn: Connection, project_id: int) -> int:
    """How many of the project's escalations are open (an index range count)."""
    query = select(func.count()).where(
        escalations.c.project_id == project_id, escalations.c.status == "open"
    )
    return int(conn.execute(query).scalar_one())


def counts(conn: Connection, project_id: int, *, with_gold: bool) -> dict[str, int]:
    """How many of the project's escalations are open and resolved (those of gold
    questions only ``with_gold``)."""
    query = (
        select(escalations.c.status, func.count())
        .where(escalations.c.project_id == project_id)
        .group_by(escalations.c.status)
    )
    if not with_gold:
        query = query.join(items, items.c.id == escalations.c.item_id).where(
            items.c.gold == false()
        )
    found = {str(status): int(n) for status, n in conn.execute(query)}
    return {"open": found.get("open", 0), "resolved": found.get("resolved", 0)}
