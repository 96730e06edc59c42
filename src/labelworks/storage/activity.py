"""A project's work over time, in SQL: annotations per day, the annotations its items still
need, and how often each label of a field was given — each within the caller's vendor wall
where it counts people's work."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, literal_column, select, text

from labelworks.storage.people_stats import between
from labelworks.storage.tables import annotations_table, gold_results, items, users, vendors
from labelworks.storage.walls import within_wall

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def count_before(conn: Connection, project_id: int, since: datetime, wall: str | None) -> int:
    """Annotations submitted before ``since`` (the burn-up's starting height)."""
    return int(
        conn.execute(
            select(func.count()).where(
                annotations_table.c.project_id == project_id,
                within_wall(annotations_table.c.annotator_id, wall),
                annotations_table.c.created_at < since,
            )
        ).scalar_one()
    )


def per_day_and_vendor(
    conn: Connection,
    project_id: int,
    since: datetime,
    wall: str | None,
    until: datetime | None = None,
) -> list[tuple[str, str | None, int]]:
    """Annotations per UTC day and annotator's vendor in ``[since, until)`` (vendor
    ``None``: the organisation's own people), by day then vendor."""
    day = func.date(annotations_table.c.created_at)
    rows = conn.execute(
        select(day.label("day"), vendors.c.name.label("vendor"), func.count().label("n"))
        .select_from(
            annotations_table.join(users, users.c.id == annotations_table.c.annotator_id).outerjoin(
                vendors, vendors.c.id == users.c.vendor_id
            )
        )
        .where(
            annotations_table.c.project_id == project_id,
            within_wall(annotations_table.c.annotator_id, wall),
            *between(annotations_table.c.created_at, since, until),
        )
        .group_by(day, vendors.c.name)
        .order_by(day, vendors.c.name.nulls_first())
    ).all()
    return [(str(r.day)[:10], r.vendor, int(r.n)) for r in rows]


def gold_per_day(
    conn: Connection,
    project_id: int,
    since: datetime,
    wall: str | None,
    until: datetime | None = None,
) -> list[tuple[str, int, int]]:
    """Gold answers scored per UTC day in ``[since, until)``: (day, correct, answered)."""
    day = func.date(gold_results.c.created_at)
    correct = func.sum(case((gold_results.c.correct, 1), else_=0))
    rows = conn.execute(
        select(day.label("day"), correct.label("correct"), func.count().label("n"))
        .where(
            gold_results.c.project_id == project_id,
            within_wall(gold_results.c.annotator_id, wall),
            *between(gold_results.c.created_at, since, until),
        )
        .group_by(day)
        .order_by(day)
    ).all()
    return [(str(r.day)[:10], int(r.correct or 0), int(r.n)) for r in rows]


def scope(conn: Connection, project_id: int, overlap: int) -> int:
    """Annotations the project's ordinary items need in all: each item's own target (raised
    by dynamic overlap), else the project's overlap."""
    need = func.coalesce(items.c.target, overlap)
    total = conn.execute(
        select(func.coalesce(func.sum(need), 0)).where(
            items.c.project_id == project_id, ~items.c.gold
        )
    ).scalar_one()
    return int(total)


def label_counts(
    conn: Connection, project_id: int, field: str, wall: str | None
) -> list[tuple[str, int]]:
    """How often each value of ``field`` was given in the project's annotations, most
    frequent first (values as text; annotations without the field are not counted)."""
    if not _IDENTIFIER.match(field):
        raise ValueError(f"not a field name: {field!r}")
    value: Any
    if conn.dialect.name == "postgresql":
        # A spec's field names are identifiers (checked above), so the name is safe inline.
        value = literal_column(f"(annotations.value::json ->> '{field}')")
    else:
        value = func.json_extract(annotations_table.c.value, f'$."{field}"')
    rows = conn.execute(
        select(value.label("label"), func.count().label("n"))
        .select_from(annotations_table)
        .where(
            annotations_table.c.project_id == project_id,
            within_wall(annotations_table.c.annotator_id, wall),
        )
        # By position: PostgreSQL would not see two bound copies of the field name as one
        # expression.
        .group_by(text("1"))
    ).all()
    counted = [(str(r.label), int(r.n)) for r in rows if r.label is not None]
    return sorted(counted, key=lambda r: (-r[1], r[0]))
