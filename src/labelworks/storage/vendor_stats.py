"""Vendors' work in SQL, aggregated where it is read: annotations per vendor, project, UTC
day and review status; reviews, set-aside work and gold answers per day; turnarounds as
histograms of whole minutes (lease → submit from ``assignments.leased_at`` to
``annotations.created_at``; import → final label from ``items.created_at`` to
``final_labels.decided_at``). Vendor ``None`` is in-house people (no vendor).

Rows are grouped by ISO week, numbered from Monday 1970-01-05 (``week_monday`` turns a
number back into its Monday). Lease → submit is counted in whole minutes and import → final
in steps of ``FINAL_STEP`` minutes, both rounded up. Each query takes a ``Scope``: the
period, the projects the caller may see, and the vendor wall. A million annotations come
back as a few thousand grouped rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, case, cast, func, literal_column, select

from labelworks.storage.tables import (
    annotations_table,
    assignments,
    audit_events,
    final_labels,
    gold_results,
    items,
    projects,
    reviews,
    set_aside_annotations,
    users,
    vendors,
)
from labelworks.storage.walls import within_wall

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
FINAL_STEP = 10


def week_monday(number: int) -> date:
    """The Monday of week ``number`` (as the queries count them)."""
    return date(1970, 1, 5) + timedelta(weeks=number)


@dataclass(frozen=True, slots=True)
class Scope:
    """``[since, until)`` (``None``: unbounded); ``project_ids`` the projects to count
    (``None``: every project); ``wall`` a vendor whose people alone count."""

    since: datetime | None
    until: datetime | None
    project_ids: frozenset[int] | None
    wall: str | None


def _where(scope: Scope, moment: Any, project: Any, annotator: Any) -> list[Any]:
    found = [within_wall(annotator, scope.wall)]
    if scope.since is not None:
        found.append(moment >= scope.since)
    if scope.until is not None:
        found.append(moment < scope.until)
    if scope.project_ids is not None:
        found.append(project.in_(sorted(scope.project_ids)))
    return found


# Monday 1970-01-05: weeks are counted from it, so a week number is an ISO week.
_FIRST_MONDAY_JULIAN = 2440591.5
_FIRST_MONDAY_EPOCH = 4 * 86400
# A hair under one step: the float arithmetic of a difference of times must not push an
# exact 10 minutes into the 11th.
_EPSILON = 1e-6


def _week(conn: Connection, moment: Any) -> Any:
    """The number of the ISO week ``moment`` falls in, counted from 1970-01-05."""
    if conn.dialect.name == "postgresql":
        weeks = (func.extract("epoch", moment) - _FIRST_MONDAY_EPOCH) / (7 * 86400)
        return cast(func.floor(weeks), Integer)
    return cast((func.julianday(moment) - _FIRST_MONDAY_JULIAN) / 7, Integer)


def _steps(conn: Connection, later: Any, earlier: Any, minutes: int) -> Any:
    """Steps of ``minutes`` from ``earlier`` to ``later``, rounded up."""
    if conn.dialect.name == "postgresql":
        span = func.extract("epoch", later - earlier) / (60 * minutes) - _EPSILON
        return cast(func.ceil(span), Integer)
    span = (func.julianday(later) - func.julianday(earlier)) * 1440 / minutes - _EPSILON
    whole = cast(span, Integer)
    return whole + case((span > whole, 1), else_=0)


def _present(conn: Connection, field: str) -> Any:
    """1 when the annotation's value holds ``field`` (not null), else 0."""
    if not _IDENTIFIER.match(field):
        raise ValueError(f"not a field name: {field!r}")
    value: Any
    if conn.dialect.name == "postgresql":
        # Field names are identifiers (checked above), so the name is safe inline.
        value = literal_column(f"(annotations.value::json ->> '{field}')")
    else:
        value = func.json_extract(annotations_table.c.value, f'$."{field}"')
    return case((value.is_not(None), 1), else_=0)


def work(
    conn: Connection, scope: Scope, fields: Sequence[str] = ()
) -> list[tuple[str | None, int, int, str | None, tuple[int, ...], int, float]]:
    """``(vendor, project id, week, review status, presence of each of ``fields``, count,
    active seconds)`` of the annotations in the data set submitted in the scope."""
    a, r = annotations_table, reviews
    week = _week(conn, a.c.created_at)
    flags = [_present(conn, f).label(f"f{i}") for i, f in enumerate(fields)]
    # By annotator, not vendor: no join per annotation; 500 people make few groups.
    keys = (a.c.annotator_id, a.c.project_id, week, r.c.status, *flags)
    query = (
        select(
            *keys,
            func.count().label("n"),
            func.coalesce(func.sum(a.c.seconds), 0.0).label("seconds"),
        )
        .select_from(a)
        .outerjoin(r, r.c.annotation_id == a.c.id)
        .where(*_where(scope, a.c.created_at, a.c.project_id, a.c.annotator_id))
        .group_by(*keys)
    )
    vendor_of = _vendors_of_people(conn)
    found: dict[tuple[Any, ...], list[float]] = {}
    for row in conn.execute(query):
        key = (
            vendor_of.get(int(row[0])),
            int(row[1]),
            int(row[2]),
            row[3],
            tuple(int(row[4 + i]) for i in range(len(fields))),
        )
        kept = found.setdefault(key, [0, 0.0])
        kept[0] += int(row[-2])
        kept[1] += float(row[-1])
    return [(*key, int(n), seconds) for key, (n, seconds) in found.items()]


def _vendors_of_people(conn: Connection) -> dict[int, str | None]:
    """Every person's vendor by name (``None``: in-house)."""
    query = select(users.c.id, vendors.c.name).outerjoin(vendors, vendors.c.id == users.c.vendor_id)
    return {int(i): v for i, v in conn.execute(query)}


def _vendor_names(conn: Connection) -> dict[int | None, str | None]:
    found: dict[int | None, str | None] = {None: None}
    found.update({int(i): str(n) for i, n in conn.execute(select(vendors.c.id, vendors.c.name))})
    return found


def review_counts(conn: Connection, scope: Scope) -> list[tuple[str | None, int, str, int]]:
    """``(vendor, week, status, count)`` of the reviews queued in the scope."""
    r = reviews
    day = _week(conn, r.c.created_at)
    query = (
        select(users.c.vendor_id, day, r.c.status, func.count())
        .select_from(r)
        .join(users, users.c.id == r.c.annotator_id)
        .where(*_where(scope, r.c.created_at, r.c.project_id, r.c.annotator_id))
        .group_by(users.c.vendor_id, day, r.c.status)
    )
    names = _vendor_names(conn)
    return [(names[v], int(d), str(s), int(n)) for v, d, s, n in conn.execute(query)]


def set_aside_counts(conn: Connection, scope: Scope) -> list[tuple[str | None, int, bool, int]]:
    """``(vendor, week, rejected in review, count)`` of the annotations submitted in the
    scope and set aside since (by submit week)."""
    s = set_aside_annotations
    day = _week(conn, s.c.created_at)
    rejected = case((reviews.c.status == "rejected", 1), else_=0)
    query = (
        select(users.c.vendor_id, day, rejected, func.count())
        .select_from(s)
        .join(users, users.c.id == s.c.annotator_id)
        .outerjoin(reviews, reviews.c.annotation_id == s.c.annotation_id)
        .where(*_where(scope, s.c.created_at, s.c.project_id, s.c.annotator_id))
        .group_by(users.c.vendor_id, day, rejected)
    )
    names = _vendor_names(conn)
    return [(names[v], int(d), bool(x), int(n)) for v, d, x, n in conn.execute(query)]


def gold_counts(conn: Connection, scope: Scope) -> list[tuple[str | None, int, bool, int]]:
    """``(vendor, week, correct, count)`` of the gold answers given in the scope."""
    g = gold_results
    day = _week(conn, g.c.created_at)
    query = (
        select(users.c.vendor_id, day, g.c.correct, func.count())
        .select_from(g)
        .join(users, users.c.id == g.c.annotator_id)
        .where(*_where(scope, g.c.created_at, g.c.project_id, g.c.annotator_id))
        .group_by(users.c.vendor_id, day, g.c.correct)
    )
    names = _vendor_names(conn)
    return [(names[v], int(d), bool(c), int(n)) for v, d, c, n in conn.execute(query)]


def lease_minutes(conn: Connection, scope: Scope) -> list[tuple[str | None, int, int, int]]:
    """``(vendor, week, minutes from lease to submit, count)`` of the annotations submitted
    in the scope."""
    a = annotations_table
    day = _week(conn, a.c.created_at)
    minutes = _steps(conn, a.c.created_at, assignments.c.leased_at, 1)
    query = (
        select(users.c.vendor_id, day, minutes, func.count())
        .select_from(a)
        .join(assignments, assignments.c.id == a.c.assignment_id)
        .join(users, users.c.id == a.c.annotator_id)
        .where(*_where(scope, a.c.created_at, a.c.project_id, a.c.annotator_id))
        .group_by(users.c.vendor_id, day, minutes)
    )
    names = _vendor_names(conn)
    return [(names[v], int(d), max(0, int(m)), int(n)) for v, d, m, n in conn.execute(query)]


def final_minutes(conn: Connection, scope: Scope) -> list[tuple[str | None, int, int, int]]:
    """``(vendor, week, minutes from import to final label, count)`` of the items given a
    final label in the scope, counted once for each vendor (in-house: ``None``) who
    annotated them; minutes in steps of ``FINAL_STEP``."""
    f, a = final_labels, annotations_table
    contributed = (
        select(a.c.item_id, users.c.vendor_id)
        .distinct()
        .join(users, users.c.id == a.c.annotator_id)
        .join(final_labels, final_labels.c.item_id == a.c.item_id)
        .where(*_where(scope, f.c.decided_at, a.c.project_id, a.c.annotator_id))
        .subquery()
    )
    day = _week(conn, f.c.decided_at)
    minutes = _steps(conn, f.c.decided_at, items.c.created_at, FINAL_STEP)
    query = (
        select(contributed.c.vendor_id, day, minutes, func.count())
        .select_from(f)
        .join(items, items.c.id == f.c.item_id)
        .join(contributed, contributed.c.item_id == f.c.item_id)
        .where(f.c.status.in_(("final", "adjudicated")))
        .group_by(contributed.c.vendor_id, day, minutes)
    )
    names = _vendor_names(conn)
    found = conn.execute(query)
    return [(names[v], int(d), max(0, int(m)) * FINAL_STEP, int(n)) for v, d, m, n in found]


@dataclass(frozen=True, slots=True)
class Line:
    """One annotation of a vendor's, as a statement lists it."""

    annotation_id: int
    project_id: int
    project: str
    item_id: int
    external_id: str | None
    annotator: str
    created_at: datetime
    seconds: float | None
    review: str | None


def lines(conn: Connection, vendor: str, scope: Scope) -> list[Line]:
    """The vendor's annotations in the data set submitted in the scope, by id."""
    a = annotations_table
    query = (
        select(
            a.c.id,
            a.c.project_id,
            projects.c.name,
            a.c.item_id,
            items.c.external_id,
            users.c.email,
            a.c.created_at,
            a.c.seconds,
            reviews.c.status,
        )
        .select_from(a)
        .join(projects, projects.c.id == a.c.project_id)
        .join(items, items.c.id == a.c.item_id)
        .join(users, users.c.id == a.c.annotator_id)
        .join(vendors, vendors.c.id == users.c.vendor_id)
        .outerjoin(reviews, reviews.c.annotation_id == a.c.id)
        .where(
            vendors.c.name == vendor,
            *_where(scope, a.c.created_at, a.c.project_id, a.c.annotator_id),
        )
        .order_by(a.c.id)
    )
    return [Line(*row) for row in conn.execute(query)]


def values_of(conn: Connection, annotation_ids: Sequence[int]) -> dict[int, str]:
    """The stored value text of each annotation (for projects whose fields are optional)."""
    found: dict[int, str] = {}
    ids = sorted(annotation_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(annotations_table.c.id, annotations_table.c.value).where(
            annotations_table.c.id.in_(chunk)
        )
        found.update({int(i): str(v) for i, v in conn.execute(query)})
    return found


def gold_answers(conn: Connection, project_id: int) -> list[tuple[str | None, int, bool]]:
    """``(vendor, item id, correct)`` of every gold answer in the project, oldest first."""
    g = gold_results
    query = (
        select(vendors.c.name, g.c.item_id, g.c.correct)
        .select_from(g)
        .join(users, users.c.id == g.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(g.c.project_id == project_id)
        .order_by(g.c.annotation_id)
    )
    return [(v, int(i), bool(c)) for v, i, c in conn.execute(query)]


def stamp(conn: Connection) -> tuple[int, ...]:
    """What changes whenever a vendor figure may: the newest annotation, set-aside
    annotation and audit event (review decisions, adjudications and deletions are
    audited), each read from its primary key's index."""
    return tuple(
        int(conn.execute(select(func.max(table.c.id))).scalar() or 0)
        for table in (annotations_table, set_aside_annotations, audit_events)
    )
