"""What capacity planning reads, in SQL: each person's annotations per UTC day, the
ordinary items grouped by the annotations they have and their own target, gold answers and
review outcomes per person, and the people behind them.

Every query groups a whole project once and leaves vendor walls to the caller (it filters
the people), so one read serves every wall.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from labelworks.storage.quality_tables import gold_results, reviews, set_aside_annotations
from labelworks.storage.tables import annotations_table, items, memberships, users, vendors

PersonDays = dict[tuple[int, str], int]  # (annotator id, UTC day YYYY-MM-DD) → annotations


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    email: str
    role: str
    vendor: str | None
    active: bool


def newest_annotation_id(conn: Connection) -> int:
    """The newest annotation anywhere (a primary-key lookup): when it has not moved, no
    project's work has."""
    newest = select(func.coalesce(func.max(annotations_table.c.id), 0))
    return int(conn.execute(newest).scalar_one())


def person_days(conn: Connection, project_id: int, after: int = 0) -> PersonDays:
    """Per annotator and UTC day, their annotations in the project with ids above
    ``after``. From ``after=0`` the annotations set aside since are counted too (a rejected
    or paused person's work was still done); a later read of newer ids adds only new
    annotations. The newer ids are found through the primary key (the project test is kept
    off its index), so such a read costs the new annotations of every project, not the
    project's whole history. Read in the snapshot ``newest_annotation_id`` was read in,
    so the two agree."""
    ids = annotations_table.c.id
    day = func.date(annotations_table.c.created_at)
    if after:
        where: tuple[Any, ...] = ((annotations_table.c.project_id + 0) == project_id, ids > after)
    else:
        where = (annotations_table.c.project_id == project_id,)
    rows = list(
        conn.execute(
            select(annotations_table.c.annotator_id, day.label("day"), func.count().label("n"))
            .where(*where)
            .group_by(annotations_table.c.annotator_id, day)
        ).all()
    )
    if not after:
        aside = set_aside_annotations
        aside_day = func.date(aside.c.created_at)
        rows += conn.execute(
            select(aside.c.annotator_id, aside_day.label("day"), func.count().label("n"))
            .where(aside.c.project_id == project_id)
            .group_by(aside.c.annotator_id, aside_day)
        ).all()
    out: PersonDays = {}
    for r in rows:
        key = (int(r.annotator_id), str(r.day)[:10])
        out[key] = out.get(key, 0) + int(r.n)
    return out


def item_groups(conn: Connection, project_id: int) -> list[tuple[int, int | None, int]]:
    """The project's ordinary (not gold) items as (annotations they have, their own target
    or None, how many items)."""
    rows = conn.execute(
        select(items.c.n_submitted, items.c.target, func.count().label("n"))
        .where(items.c.project_id == project_id, ~items.c.gold)
        .group_by(items.c.n_submitted, items.c.target)
    ).all()
    return [
        (int(r.n_submitted), None if r.target is None else int(r.target), int(r.n)) for r in rows
    ]


def gold_answers_by_person(conn: Connection, project_id: int) -> dict[int, int]:
    """Annotations of gold items per annotator (each was scored once, when submitted)."""
    rows = conn.execute(
        select(gold_results.c.annotator_id, func.count().label("n"))
        .where(gold_results.c.project_id == project_id)
        .group_by(gold_results.c.annotator_id)
    ).all()
    return {int(r.annotator_id): int(r.n) for r in rows}


def reviews_by_person(conn: Connection, project_id: int) -> dict[int, dict[str, int]]:
    """Per annotator, their annotations sampled for review by status (pending, accepted,
    rejected, fixed)."""
    rows = conn.execute(
        select(reviews.c.annotator_id, reviews.c.status, func.count().label("n"))
        .where(reviews.c.project_id == project_id)
        .group_by(reviews.c.annotator_id, reviews.c.status)
    ).all()
    out: dict[int, dict[str, int]] = {}
    for r in rows:
        out.setdefault(int(r.annotator_id), {})[str(r.status)] = int(r.n)
    return out


def people(conn: Connection, ids: set[int]) -> dict[int, Person]:
    """The people with these ids: email, role, vendor and whether they are active."""
    if not ids:
        return {}
    rows = conn.execute(
        select(users.c.id, users.c.email, users.c.role, users.c.active, vendors.c.name)
        .select_from(users.outerjoin(vendors, vendors.c.id == users.c.vendor_id))
        .where(users.c.id.in_(sorted(ids)))
    ).all()
    return {
        int(r.id): Person(int(r.id), str(r.email), str(r.role), r.name, bool(r.active))
        for r in rows
    }


@dataclass(frozen=True, slots=True)
class Membership:
    project_id: int
    user_id: int
    paused: bool
    qualified: bool


def memberships_of(conn: Connection, project_ids: set[int]) -> list[Membership]:
    """Who may work on these projects: members, paused or not, qualified or not."""
    if not project_ids:
        return []
    rows = conn.execute(
        select(
            memberships.c.project_id,
            memberships.c.user_id,
            memberships.c.paused_at,
            memberships.c.qualified_at,
        ).where(memberships.c.project_id.in_(sorted(project_ids)))
    ).all()
    return [
        Membership(
            int(r.project_id), int(r.user_id), r.paused_at is not None, r.qualified_at is not None
        )
        for r in rows
    ]
