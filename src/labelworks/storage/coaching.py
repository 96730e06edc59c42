"""Coaching: the notes managers write about a person, and what a coaching page reads of
their work — their mistakes on gold and in review, and the team's weekly figures.

Notes are a log: rows are added, never updated or deleted here, so what a person was told,
by whom and when stays as it was written (a correction is another note).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, insert, select
from sqlalchemy.orm import aliased

from labelworks.storage.operations_tables import coaching_notes
from labelworks.storage.quality_tables import (
    escalations,
    gold_answers,
    gold_results,
    reviews,
    set_aside_annotations,
)
from labelworks.storage.tables import annotations_table, items, users, vendors
from labelworks.storage.walls import within_wall

# Review outcomes that are mistakes: sent back, or corrected by the reviewer.
MISTAKE_STATUSES = ("rejected", "fixed")


@dataclass(frozen=True, slots=True)
class NoteRow:
    id: int
    body: str
    created_at: datetime
    author_email: str | None  # None: written by a local operator (the CLI)
    author_role: str | None
    author_vendor: str | None


def add_note(
    conn: Connection,
    *,
    user_id: int,
    project_id: int,
    author_id: int | None,
    body: str,
    now: datetime,
) -> int:
    """Append a note about ``user_id`` in ``project_id``; its id."""
    result = conn.execute(
        insert(coaching_notes).values(
            user_id=user_id, project_id=project_id, author_id=author_id, body=body, created_at=now
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def notes_of(conn: Connection, user_id: int, project_id: int) -> list[NoteRow]:
    """The notes about the person in the project, newest first."""
    author = aliased(users)
    rows = conn.execute(
        select(
            coaching_notes.c.id,
            coaching_notes.c.body,
            coaching_notes.c.created_at,
            author.c.email,
            author.c.role,
            vendors.c.name.label("vendor"),
        )
        .outerjoin(author, author.c.id == coaching_notes.c.author_id)
        .outerjoin(vendors, vendors.c.id == author.c.vendor_id)
        .where(coaching_notes.c.user_id == user_id, coaching_notes.c.project_id == project_id)
        .order_by(coaching_notes.c.created_at.desc(), coaching_notes.c.id.desc())
    )
    return [NoteRow(int(r.id), str(r.body), r.created_at, r.email, r.role, r.vendor) for r in rows]


def worked_in(conn: Connection, project_id: int, user_id: int) -> bool:
    """Whether the person has annotations in the project (kept or set aside): someone
    taken off a project still has a coaching page there."""
    live = exists().where(
        annotations_table.c.project_id == project_id, annotations_table.c.annotator_id == user_id
    )
    aside = exists().where(
        set_aside_annotations.c.project_id == project_id,
        set_aside_annotations.c.annotator_id == user_id,
    )
    return bool(conn.execute(select(live | aside)).scalar())


@dataclass(frozen=True, slots=True)
class Mistake:
    """A gold answer that missed, or an annotation a reviewer rejected or fixed. ``value``
    and ``guideline_version`` are the annotation's (``None`` once its row is gone)."""

    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    annotation_id: int
    value: dict[str, Any] | None
    guideline_version: int | None
    at: datetime  # when it was answered (gold) or decided (review)
    # Gold: the expert's answer (None if the item is no longer gold), its explanation and
    # each scored field's match; review: None, "", {}.
    expert: dict[str, Any] | None = None
    explanation: str = ""
    fields: dict[str, bool] | None = None
    # Review: its id, status (rejected or fixed), reason code, comment and the fix.
    review_id: int | None = None
    status: str | None = None
    reason: str | None = None
    comment: str = ""
    fixed_value: dict[str, Any] | None = None


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def gold_mistakes(
    conn: Connection, project_id: int, user_id: int, limit: int
) -> tuple[list[Mistake], int]:
    """The person's newest ``limit`` wrong gold answers in the project, and how many there
    are in all."""
    where = and_(
        gold_results.c.project_id == project_id,
        gold_results.c.annotator_id == user_id,
        gold_results.c.correct.is_(False),
    )
    total = conn.execute(select(func.count()).select_from(gold_results).where(where)).scalar_one()
    rows = conn.execute(
        select(
            gold_results.c.item_id,
            gold_results.c.annotation_id,
            gold_results.c.fields,
            gold_results.c.created_at,
            items.c.external_id,
            items.c.payload,
            gold_answers.c.value,
            gold_answers.c.explanation,
        )
        .join(items, items.c.id == gold_results.c.item_id)
        .outerjoin(gold_answers, gold_answers.c.item_id == gold_results.c.item_id)
        .where(where)
        .order_by(gold_results.c.created_at.desc(), gold_results.c.id.desc())
        .limit(limit)
    ).all()
    answers = _annotations(conn, project_id, [int(r.annotation_id) for r in rows])
    return [
        Mistake(
            item_id=int(r.item_id),
            external_id=r.external_id,
            payload=json.loads(r.payload),
            annotation_id=int(r.annotation_id),
            value=answers.get(int(r.annotation_id), (None, None))[0],
            guideline_version=answers.get(int(r.annotation_id), (None, None))[1],
            at=r.created_at,
            expert=_loads(r.value),
            explanation=str(r.explanation or ""),
            fields=json.loads(r.fields),
        )
        for r in rows
    ], int(total)


def review_mistakes(
    conn: Connection, project_id: int, user_id: int, limit: int
) -> tuple[list[Mistake], int]:
    """The person's newest ``limit`` annotations rejected or fixed in review, and how many
    there are in all."""
    where = and_(
        reviews.c.project_id == project_id,
        reviews.c.annotator_id == user_id,
        reviews.c.status.in_(MISTAKE_STATUSES),
    )
    total = conn.execute(select(func.count()).select_from(reviews).where(where)).scalar_one()
    rows = conn.execute(
        select(
            reviews.c.id,
            reviews.c.item_id,
            reviews.c.annotation_id,
            reviews.c.status,
            reviews.c.reason,
            reviews.c.comment,
            reviews.c.fixed_value,
            reviews.c.created_at,
            reviews.c.decided_at,
            items.c.external_id,
            items.c.payload,
        )
        .join(items, items.c.id == reviews.c.item_id)
        .where(where)
        .order_by(reviews.c.decided_at.desc(), reviews.c.id.desc())
        .limit(limit)
    ).all()
    answers = _annotations(conn, project_id, [int(r.annotation_id) for r in rows])
    return [
        Mistake(
            item_id=int(r.item_id),
            external_id=r.external_id,
            payload=json.loads(r.payload),
            annotation_id=int(r.annotation_id),
            value=answers.get(int(r.annotation_id), (None, None))[0],
            guideline_version=answers.get(int(r.annotation_id), (None, None))[1],
            at=r.decided_at or r.created_at,
            review_id=int(r.id),
            status=str(r.status),
            reason=r.reason,
            comment=str(r.comment),
            fixed_value=_loads(r.fixed_value),
        )
        for r in rows
    ], int(total)


def _annotations(
    conn: Connection, project_id: int, ids: Sequence[int]
) -> dict[int, tuple[dict[str, Any], int | None]]:
    """(value, guideline version) of each annotation, kept or set aside (a rejected one
    was set aside by its review)."""
    if not ids:
        return {}
    found: dict[int, tuple[dict[str, Any], int | None]] = {}
    for table in (annotations_table, set_aside_annotations):
        key = table.c.id if table is annotations_table else table.c.annotation_id
        missing = [i for i in ids if i not in found]
        if not missing:
            break
        rows = conn.execute(
            select(key.label("id"), table.c.value, table.c.guideline_version).where(
                table.c.project_id == project_id, key.in_(missing)
            )
        )
        for r in rows:
            found[int(r.id)] = (json.loads(r.value), r.guideline_version)
    return found


def escalation_sections(
    conn: Connection, project_id: int, item_ids: Sequence[int]
) -> dict[int, tuple[int, str]]:
    """Per item, the newest resolved flag that named a guideline section: (its id, the
    section)."""
    if not item_ids:
        return {}
    rows = conn.execute(
        select(escalations.c.item_id, escalations.c.id, escalations.c.guideline_section)
        .where(
            escalations.c.project_id == project_id,
            escalations.c.item_id.in_(sorted(set(item_ids))),
            escalations.c.status == "resolved",
            escalations.c.guideline_section.is_not(None),
            escalations.c.guideline_section != "",
        )
        .order_by(escalations.c.id)
    )
    return {int(r.item_id): (int(r.id), str(r.guideline_section)) for r in rows}


@dataclass(frozen=True, slots=True)
class Tallies:
    """The person's answers in the project: gold (correct of answered), reviews decided by
    outcome, and annotations submitted (kept or set aside)."""

    gold_correct: int
    gold_answered: int
    reviews: dict[str, int]
    annotations: int


def tallies(conn: Connection, project_id: int, user_id: int) -> Tallies:
    correct, answered = conn.execute(
        select(
            func.coalesce(func.sum(case((gold_results.c.correct, 1), else_=0)), 0),
            func.count(),
        ).where(gold_results.c.project_id == project_id, gold_results.c.annotator_id == user_id)
    ).one()
    outcomes = conn.execute(
        select(reviews.c.status, func.count())
        .where(
            reviews.c.project_id == project_id,
            reviews.c.annotator_id == user_id,
            reviews.c.status != "pending",
        )
        .group_by(reviews.c.status)
    )
    annotations = sum(
        conn.execute(
            select(func.count()).where(
                table.c.project_id == project_id, table.c.annotator_id == user_id
            )
        ).scalar_one()
        for table in (annotations_table, set_aside_annotations)
    )
    return Tallies(
        gold_correct=int(correct),
        gold_answered=int(answered),
        reviews={str(s): int(n) for s, n in outcomes},
        annotations=int(annotations),
    )


def _day(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])


def team_gold(
    conn: Connection, project_id: int, since: datetime, vendor: str | None
) -> list[tuple[int, date, int, int]]:
    """(annotator, day, correct, answered) of the gold answers scored from ``since`` on,
    of everyone behind ``vendor``'s wall (everyone when ``None``)."""
    day = func.date(gold_results.c.created_at)
    rows = conn.execute(
        select(
            gold_results.c.annotator_id,
            day.label("day"),
            func.sum(case((gold_results.c.correct, 1), else_=0)).label("correct"),
            func.count().label("n"),
        )
        .where(
            gold_results.c.project_id == project_id,
            gold_results.c.created_at >= since,
            within_wall(gold_results.c.annotator_id, vendor),
        )
        .group_by(gold_results.c.annotator_id, day)
    )
    return [(int(r.annotator_id), _day(r.day), int(r.correct or 0), int(r.n)) for r in rows]


def team_seconds(
    conn: Connection, project_id: int, since: datetime, vendor: str | None
) -> list[tuple[int, date, float | None]]:
    """(annotator, day, seconds) of each annotation submitted from ``since`` on, kept or
    set aside (rejected work was work too), of everyone behind ``vendor``'s wall
    (everyone when ``None``)."""
    found: list[tuple[int, date, float | None]] = []
    for table in (annotations_table, set_aside_annotations):
        t = table.c
        rows = conn.execute(
            select(t.annotator_id, func.date(t.created_at).label("day"), t.seconds).where(
                t.project_id == project_id,
                t.created_at >= since,
                within_wall(t.annotator_id, vendor),
            )
        )
        found.extend(
            (int(r.annotator_id), _day(r.day), None if r.seconds is None else float(r.seconds))
            for r in rows
        )
    return found
