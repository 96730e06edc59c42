"""People analytics in SQL: what each annotator of a project did in a period — their
annotations (time and label), gold results, review outcomes, retests and work per day —
each within the caller's vendor wall (their leases: ``people_leases``).

Every function takes the period as ``since``/``until`` (naive UTC, half-open, ``None``
open) and the wall as a vendor name (``None``: everyone). Annotations, gold results,
reviews and retests fall in a period by when they were made (a review by when the
annotation it reviews was submitted), leases by when they were taken.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, case, func, literal_column, select

from labelworks.stats.ratings import FloatArray, IntArray
from labelworks.storage.quality_tables import final_labels, gold_results, retests, reviews
from labelworks.storage.sql import sqlite_time
from labelworks.storage.tables import (
    annotations_table,
    assignments,
    guideline_versions,
    items,
    teams,
    users,
    vendors,
)
from labelworks.storage.walls import within_wall

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    email: str
    name: str
    vendor: str | None
    team: str | None


@dataclass(frozen=True)
class AnnotationRows:
    """One entry per annotation: who, which item, active seconds (NaN: not measured) and
    the label given to the field asked for, as its index among the categories (-1: no
    field asked, or a value outside them)."""

    annotator: IntArray
    item: IntArray
    seconds: FloatArray
    label: IntArray


def between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    found = []
    if since is not None:
        found.append(column >= since)
    if until is not None:
        found.append(column < until)
    return found


def _json_text(conn: Connection, table: str, column: Any, field: str) -> Any:
    """``column``'s JSON value under ``field``, as the database reads it."""
    if not _IDENTIFIER.match(field):
        raise ValueError(f"not a field name: {field!r}")
    if conn.dialect.name == "postgresql":
        # A spec's field names are identifiers (checked above), so the name is safe inline.
        return literal_column(f"({table}.value::json ->> '{field}')")
    return func.json_extract(column, f'$."{field}"')


def _label_code(conn: Connection, value: Any, categories: Sequence[Any]) -> Any:
    """The index of ``value`` among ``categories`` (-1 for anything else), computed by the
    database so a million labels travel as small integers. SQLite reads JSON numbers as
    numbers and PostgreSQL's ``->>`` gives text, so each gets the categories its way."""
    if conn.dialect.name == "postgresql":
        categories = [str(c) for c in categories]
    if not categories:
        return literal_column("-1")
    return case({c: k for k, c in enumerate(categories)}, value=value, else_=-1)


def annotation_count(conn: Connection, project_id: int) -> int:
    """The project's annotations (answered from an index)."""
    return int(
        conn.execute(
            select(func.count()).where(annotations_table.c.project_id == project_id)
        ).scalar_one()
    )


def unindexed(conn: Connection, column: Any) -> Any:
    """``column`` as SQLite's planner must not pick an index for (a unary ``+``). Without
    statistics it reaches for any index on a filtered column, even when reading most of
    the table through it costs a random page per row and another index (or the primary
    key's order) would answer at once: 4 s against 0.2 s for the lease counts, 3.4 s
    against 2 ms for the newest submits, at 1M (bench/people.py). PostgreSQL plans from
    its statistics."""
    if conn.dialect.name == "sqlite":
        return literal_column(f"+{column.table.name}.{column.name}")
    return column


def _whole_project(conn: Connection, project_id: int) -> Any:
    """The condition for reading a project's whole history of annotations: on SQLite in
    table order rather than through the (project, annotator, time) index, whose order sends
    each row lookup to another page (three times slower at 100k rows)."""
    return unindexed(conn, annotations_table.c.project_id) == project_id


def annotation_rows(
    conn: Connection,
    project_id: int,
    since: datetime | None,
    until: datetime | None,
    wall: str | None,
    field: str | None,
    categories: Sequence[Any] = (),
) -> AnnotationRows:
    """The period's annotations within the wall (see ``AnnotationRows``), read on the
    driver's cursor: at a million rows SQLAlchemy's row objects would cost more than the
    query."""
    a = annotations_table
    label = (
        literal_column("-1")
        if field is None
        else _label_code(conn, _json_text(conn, "annotations", a.c.value, field), categories)
    )
    query = select(a.c.annotator_id, a.c.item_id, a.c.seconds, label).where(
        _whole_project(conn, project_id),
        within_wall(a.c.annotator_id, wall),
        *between(a.c.created_at, since, until),
    )
    rows = _fetch(conn, query)
    n = len(rows)
    return AnnotationRows(
        annotator=np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
        item=np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
        seconds=np.fromiter(
            (np.nan if r[2] is None else r[2] for r in rows), dtype=np.float64, count=n
        ),
        label=np.fromiter((r[3] for r in rows), dtype=np.int64, count=n),
    )


def _fetch(conn: Connection, query: Any) -> list[Sequence[Any]]:
    """All rows of a Core query, fetched as the driver's plain tuples."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    values = dict(compiled.construct_params())
    if conn.dialect.name == "sqlite":
        # Date-times as SQLAlchemy stores them on SQLite, so text order is time order.
        values = {k: sqlite_time(v) if isinstance(v, datetime) else v for k, v in values.items()}
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if compiled.positiontup is not None:
            cursor.execute(str(compiled), [values[k] for k in compiled.positiontup])
        else:
            cursor.execute(str(compiled), values)
        rows: list[Sequence[Any]] = cursor.fetchall()
    finally:
        cursor.close()
    return rows


def gold_items(conn: Connection, project_id: int) -> IntArray:
    """The ids of the project's gold items."""
    found = conn.execute(
        select(items.c.id).where(items.c.project_id == project_id, items.c.gold)
    ).scalars()
    return np.fromiter((int(i) for i in found), dtype=np.int64)


def final_codes(
    conn: Connection, project_id: int, field: str, categories: Sequence[Any]
) -> tuple[IntArray, IntArray]:
    """Item ids (ascending) and the index of their final label of ``field`` among
    ``categories`` (-1: none of them); items waiting for adjudication are left out."""
    f = final_labels
    code = _label_code(conn, _json_text(conn, "final_labels", f.c.value, field), categories)
    rows = _fetch(
        conn,
        select(f.c.item_id, code)
        .where(f.c.project_id == project_id, f.c.status.in_(("final", "adjudicated")))
        .order_by(f.c.item_id),
    )
    n = len(rows)
    return (
        np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
        np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
    )


def newest_guideline_change(conn: Connection, project_id: int) -> int | None:
    """The newest guideline version, when there is an older one to compare with."""
    g = guideline_versions
    row = conn.execute(
        select(func.max(g.c.version), func.count()).where(g.c.project_id == project_id)
    ).one()
    return int(row[0]) if row[1] and int(row[1]) > 1 else None


def gold_counts(
    conn: Connection,
    project_id: int,
    since: datetime | None,
    until: datetime | None,
    wall: str | None,
    version: int | None,
) -> list[tuple[int, bool, bool, int]]:
    """(annotator, correct, after, count): gold results of the period, ``after`` when made
    at or after the annotator's first annotation under guideline ``version`` (always
    false without a version)."""
    g = gold_results
    if version is None:
        after: Any = literal_column("0")
        source: Any = g
    else:
        first = _first_under(conn, project_id, version)
        after = case(
            (and_(first.c.first_at.is_not(None), g.c.created_at >= first.c.first_at), 1), else_=0
        )
        source = g.outerjoin(first, first.c.annotator_id == g.c.annotator_id)
    rows = conn.execute(
        select(g.c.annotator_id, g.c.correct, after.label("after"), func.count())
        .select_from(source)
        .where(
            g.c.project_id == project_id,
            within_wall(g.c.annotator_id, wall),
            *between(g.c.created_at, since, until),
        )
        .group_by(g.c.annotator_id, g.c.correct, literal_column("3"))
    ).all()
    return [(int(r[0]), bool(r[1]), bool(r[2]), int(r[3])) for r in rows]


def _first_under(conn: Connection, project_id: int, version: int) -> Any:
    """(annotator, first_at): when each person with gold results first annotated under
    guideline ``version``. Each is one index seek from the project's first annotation
    under it onwards, not a walk through all their earlier work."""
    a = annotations_table
    g = gold_results
    published = (
        select(func.min(a.c.created_at))
        .where(_whole_project(conn, project_id), a.c.guideline_version == version)
        .scalar_subquery()
    )
    people = select(g.c.annotator_id).where(g.c.project_id == project_id).distinct().subquery()
    first_at = (
        select(a.c.created_at)
        .where(
            a.c.project_id == project_id,
            a.c.annotator_id == people.c.annotator_id,
            a.c.created_at >= published,
            a.c.guideline_version == version,
        )
        .order_by(a.c.created_at)
        .limit(1)
        .scalar_subquery()
    )
    return select(people.c.annotator_id, first_at.label("first_at")).subquery()


def review_counts(
    conn: Connection,
    project_id: int,
    since: datetime | None,
    until: datetime | None,
    wall: str | None,
) -> list[tuple[int, str, int]]:
    """(annotator, status, count) of the reviews of the period's annotations; status is
    pending, accepted, rejected or fixed."""
    r = reviews
    rows = conn.execute(
        select(r.c.annotator_id, r.c.status, func.count())
        .where(
            r.c.project_id == project_id,
            within_wall(r.c.annotator_id, wall),
            *between(r.c.created_at, since, until),
        )
        .group_by(r.c.annotator_id, r.c.status)
    ).all()
    return [(int(x[0]), str(x[1]), int(x[2])) for x in rows]


def retest_pairs(
    conn: Connection,
    project_id: int,
    since: datetime | None,
    until: datetime | None,
    wall: str | None,
) -> list[tuple[int, bool]]:
    """(annotator, same): each retest of the period whose first answer is known, and
    whether the second answer was the same as the first (as JSON values)."""
    r = retests
    rows = conn.execute(
        select(r.c.annotator_id, r.c.first_value, r.c.value).where(
            r.c.project_id == project_id,
            r.c.first_value.is_not(None),
            within_wall(r.c.annotator_id, wall),
            *between(r.c.created_at, since, until),
        )
    ).all()
    return [(int(x[0]), json.loads(x[1]) == json.loads(x[2])) for x in rows]


def per_day(
    conn: Connection,
    project_id: int,
    since: datetime | None,
    until: datetime | None,
    wall: str | None,
) -> list[tuple[int, str, int]]:
    """(annotator, UTC day YYYY-MM-DD, annotations) for the period."""
    a = annotations_table
    day = func.date(a.c.created_at)
    rows = conn.execute(
        select(a.c.annotator_id, day, func.count())
        .where(
            a.c.project_id == project_id,
            within_wall(a.c.annotator_id, wall),
            *between(a.c.created_at, since, until),
        )
        .group_by(a.c.annotator_id, day)
    ).all()
    return [(int(r[0]), str(r[1])[:10], int(r[2])) for r in rows]


def gold_per_day(
    conn: Connection,
    project_id: int,
    since: datetime | None,
    until: datetime | None,
    wall: str | None,
) -> list[tuple[int, str, int, int]]:
    """(annotator, UTC day, gold answers right, gold answers) for the period."""
    g = gold_results
    day = func.date(g.c.created_at)
    right = func.sum(case((g.c.correct, 1), else_=0))
    rows = conn.execute(
        select(g.c.annotator_id, day, right, func.count())
        .where(
            g.c.project_id == project_id,
            within_wall(g.c.annotator_id, wall),
            *between(g.c.created_at, since, until),
        )
        .group_by(g.c.annotator_id, day)
    ).all()
    return [(int(r[0]), str(r[1])[:10], int(r[2]), int(r[3])) for r in rows]


def people(conn: Connection, ids: Iterable[int]) -> list[Person]:
    """Who the ids are: email, name, vendor and team, by email."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = conn.execute(
        select(users.c.id, users.c.email, users.c.name, vendors.c.name, teams.c.name)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .outerjoin(teams, teams.c.id == users.c.team_id)
        .where(users.c.id.in_(wanted))
        .order_by(users.c.email)
    ).all()
    return [Person(int(r[0]), str(r[1]), str(r[2] or ""), r[3], r[4]) for r in rows]


def person_id(conn: Connection, email: str, wall: str | None) -> int | None:
    """The id of the person with ``email`` behind the wall (``None``: nobody there)."""
    found = conn.execute(
        select(users.c.id).where(
            func.lower(users.c.email) == email.strip().lower(), within_wall(users.c.id, wall)
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


def has_worked(conn: Connection, project_id: int, user_id: int) -> bool:
    """Whether the person ever held a task of the project (members who left included)."""
    found = conn.execute(
        select(assignments.c.id)
        .where(assignments.c.project_id == project_id, assignments.c.annotator_id == user_id)
        .limit(1)
    ).first()
    return found is not None
