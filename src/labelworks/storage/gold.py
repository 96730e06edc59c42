"""Gold answers, scored gold results, paused memberships and annotations set aside.

Only manager-facing services read ``gold_answers``; the annotators' paths read
``items.gold`` (to leave gold items out of the queue) and never the answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from labelworks.domain.assignment import AssignmentState, pool_of
from labelworks.storage.set_aside import move_aside
from labelworks.storage.sql import Sql
from labelworks.storage.tables import (
    annotations_table,
    assignments,
    gold_answers,
    gold_results,
    items,
    memberships,
    set_aside_annotations,
    users,
    vendors,
)
from labelworks.storage.walls import within_wall


@dataclass(frozen=True, slots=True)
class GoldAnswer:
    item_id: int
    external_id: str | None
    value: dict[str, Any]
    explanation: str
    created_at: datetime
    answered: int
    correct: int


def mark(
    conn: Connection,
    *,
    project_id: int,
    item_id: int,
    value: dict[str, Any],
    explanation: str,
    by: int | None,
    now: datetime,
) -> None:
    """Make the item gold with this expert answer (replacing an earlier one) and take it
    out of the work queue."""
    conn.execute(delete(gold_answers).where(gold_answers.c.item_id == item_id))
    conn.execute(
        insert(gold_answers).values(
            item_id=item_id,
            project_id=project_id,
            value=json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False),
            explanation=explanation,
            created_by=by,
            created_at=now,
        )
    )
    conn.execute(update(items).where(items.c.id == item_id).values(gold=True, pool=None))


def mark_many(
    conn: Connection, project_id: int, rows: Sequence[tuple[int, str, str]], now: datetime
) -> None:
    """``mark`` for (item id, answer JSON, explanation) rows of an import, in one batch."""
    if not rows:
        return
    conn.execute(
        insert(gold_answers),
        [
            {
                "item_id": item_id,
                "project_id": project_id,
                "value": value,
                "explanation": explanation,
                "created_by": None,
                "created_at": now,
            }
            for item_id, value, explanation in rows
        ],
    )
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(update(items).where(items.c.id.in_(chunk)).values(gold=True, pool=None))


def unmark(conn: Connection, item_id: int, overlap: int, now: datetime) -> bool:
    """Return a gold item to ordinary work, its counters recounted from its assignments
    (they stood still while it was gold); False if it was not gold."""
    gone = conn.execute(delete(gold_answers).where(gold_answers.c.item_id == item_id)).rowcount
    if not gone:
        return False
    submitted = int(
        conn.execute(
            select(func.count())
            .select_from(annotations_table)
            .where(annotations_table.c.item_id == item_id)
        ).scalar_one()
    )
    leased = int(
        conn.execute(
            select(func.count())
            .select_from(assignments)
            .where(
                assignments.c.item_id == item_id,
                assignments.c.state == AssignmentState.LEASED.value,
                assignments.c.expires_at >= now,
            )
        ).scalar_one()
    )
    conn.execute(
        update(items)
        .where(items.c.id == item_id)
        .values(
            gold=False,
            n_submitted=submitted,
            n_leased=leased,
            pool=pool_of(submitted, leased, overlap),
        )
    )
    return True


_ANSWER_OF = Sql("SELECT value, explanation FROM gold_answers WHERE item_id = :item")


def answer_of(conn: Connection, item_id: int) -> tuple[dict[str, Any], str] | None:
    """The expert answer and explanation of a gold item (fixed SQL: it runs inside
    submits)."""
    row = _ANSWER_OF.one(conn, {"item": item_id})
    return None if row is None else (json.loads(row[0]), str(row[1]))


def page(conn: Connection, project_id: int, *, after: int, limit: int) -> list[GoldAnswer]:
    """A keyset page of the project's gold items with how often each was answered and how
    often correctly."""
    scored = (
        select(
            gold_results.c.item_id,
            func.count().label("answered"),
            func.sum(func.cast(gold_results.c.correct, type_=items.c.n_submitted.type)).label(
                "correct"
            ),
        )
        .where(gold_results.c.project_id == project_id)
        .group_by(gold_results.c.item_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            gold_answers.c.item_id,
            items.c.external_id,
            gold_answers.c.value,
            gold_answers.c.explanation,
            gold_answers.c.created_at,
            scored.c.answered,
            scored.c.correct,
        )
        .join(items, items.c.id == gold_answers.c.item_id)
        .outerjoin(scored, scored.c.item_id == gold_answers.c.item_id)
        .where(gold_answers.c.project_id == project_id, gold_answers.c.item_id > after)
        .order_by(gold_answers.c.item_id)
        .limit(limit)
    ).all()
    return [
        GoldAnswer(
            item_id=int(r.item_id),
            external_id=r.external_id,
            value=json.loads(r.value),
            explanation=str(r.explanation),
            created_at=r.created_at,
            answered=int(r.answered or 0),
            correct=int(r.correct or 0),
        )
        for r in rows
    ]


def count(conn: Connection, project_id: int) -> int:
    query = select(func.count()).select_from(gold_answers)
    return int(conn.execute(query.where(gold_answers.c.project_id == project_id)).scalar_one())


_RECORD = Sql(
    "INSERT INTO gold_results (project_id, item_id, annotator_id, annotation_id, correct, "
    "fields, created_at) VALUES (:project, :item, :annotator, :annotation, :correct, "
    ":fields, :now)"
)
# Gold answers since the membership's ``gold_since`` (all of them if never reinstated).
_WINDOW = Sql(
    "SELECT count(*), sum(CASE WHEN r.correct THEN 1 ELSE 0 END) FROM gold_results r "
    "JOIN memberships m ON m.project_id = r.project_id AND m.user_id = r.annotator_id "
    "WHERE r.project_id = :project AND r.annotator_id = :annotator "
    "AND (m.gold_since IS NULL OR r.created_at >= m.gold_since)"
)


def record_result(
    conn: Connection,
    *,
    project_id: int,
    item_id: int,
    annotator_id: int,
    annotation_id: int,
    scores: dict[str, bool],
    correct: bool,
    now: datetime,
) -> None:
    """Keep a scored gold answer (fixed SQL, inside the submit)."""
    _RECORD.run(
        conn,
        {
            "project": project_id,
            "item": item_id,
            "annotator": annotator_id,
            "annotation": annotation_id,
            "correct": correct,
            "fields": json.dumps(scores, separators=(",", ":")),
            "now": now,
        },
    )


def window(conn: Connection, project_id: int, annotator_id: int) -> tuple[int, int]:
    """(correct, total) of the member's gold answers since they were last reinstated."""
    row = _WINDOW.one(conn, {"project": project_id, "annotator": annotator_id})
    return (0, 0) if row is None else (int(row[1] or 0), int(row[0]))


@dataclass(frozen=True, slots=True)
class ScoredAnswer:
    annotator_id: int
    email: str
    name: str
    vendor: str | None
    fields: dict[str, bool]
    correct: bool


def results(conn: Connection, project_id: int, wall: str | None) -> list[ScoredAnswer]:
    """Every scored gold answer in the project, with who gave it (behind ``wall``: only
    that vendor's people)."""
    query = (
        select(
            gold_results.c.annotator_id,
            users.c.email,
            users.c.name,
            vendors.c.name.label("vendor"),
            gold_results.c.fields,
            gold_results.c.correct,
        )
        .join(users, users.c.id == gold_results.c.annotator_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(
            gold_results.c.project_id == project_id,
            within_wall(gold_results.c.annotator_id, wall),
        )
        .order_by(gold_results.c.id)
    )
    return [
        ScoredAnswer(
            int(r.annotator_id), r.email, r.name, r.vendor, json.loads(r.fields), bool(r.correct)
        )
        for r in conn.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class Pause:
    annotator_id: int
    email: str
    name: str
    vendor: str | None
    paused_at: datetime
    reason: str


def pauses(conn: Connection, project_id: int, wall: str | None) -> list[Pause]:
    query = (
        select(
            memberships.c.user_id,
            users.c.email,
            users.c.name,
            vendors.c.name.label("vendor"),
            memberships.c.paused_at,
            memberships.c.pause_reason,
        )
        .join(users, users.c.id == memberships.c.user_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .where(
            memberships.c.project_id == project_id,
            memberships.c.paused_at.is_not(None),
            within_wall(memberships.c.user_id, wall),
        )
        .order_by(memberships.c.paused_at, memberships.c.user_id)
    )
    return [
        Pause(int(r.user_id), r.email, r.name, r.vendor, r.paused_at, str(r.pause_reason or ""))
        for r in conn.execute(query)
    ]


def _membership(project_id: int, annotator_id: int) -> Any:
    return and_(memberships.c.project_id == project_id, memberships.c.user_id == annotator_id)


def pause(conn: Connection, project_id: int, annotator_id: int, reason: str, now: datetime) -> bool:
    """Pause a member (no tasks until reinstated); False if they are not a member."""
    result = conn.execute(
        update(memberships)
        .where(_membership(project_id, annotator_id))
        .values(paused_at=now, pause_reason=reason)
    )
    return bool(result.rowcount)


def reinstate(conn: Connection, project_id: int, annotator_id: int, now: datetime) -> bool:
    """Lift a pause; gold answers before now no longer count towards the next one. False
    if they were not paused."""
    result = conn.execute(
        update(memberships)
        .where(_membership(project_id, annotator_id), memberships.c.paused_at.is_not(None))
        .values(paused_at=None, pause_reason=None, gold_since=now)
    )
    return bool(result.rowcount)


def set_aside(
    conn: Connection,
    *,
    project_id: int,
    annotator_id: int,
    overlap: int,
    reason: str,
    by: int | None,
    now: datetime,
) -> int:
    """Take the annotator's annotations of ordinary items out of the data set and give
    each item's slot back to the queue (``storage.set_aside``); the annotator is never
    offered those items again. Returns how many."""
    return move_aside(
        conn,
        project_id=project_id,
        which=annotations_table.c.annotator_id == annotator_id,
        overlap=overlap,
        reason=reason,
        by=by,
        now=now,
    )


def set_aside_count(conn: Connection, project_id: int) -> int:
    query = select(func.count()).select_from(set_aside_annotations)
    return int(
        conn.execute(query.where(set_aside_annotations.c.project_id == project_id)).scalar_one()
    )
