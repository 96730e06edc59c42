"""Each member's standing in the project's qualification test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, update

from labelworks.domain.qualification import Rule, Step, after_answer
from labelworks.storage.sql import Sql
from labelworks.storage.tables import memberships


@dataclass(frozen=True, slots=True)
class Standing:
    qualified: bool
    failed_attempts: int
    answered: int
    correct: int


_STANDING = Sql(
    "SELECT qualified_at, qual_attempt, qual_answered, qual_correct FROM memberships "
    "WHERE project_id = :project AND user_id = :annotator"
)


def standing(conn: Connection, project_id: int, annotator_id: int) -> Standing | None:
    row = _STANDING.one(conn, {"project": project_id, "annotator": annotator_id})
    if row is None:
        return None
    return Standing(row[0] is not None, int(row[1]), int(row[2]), int(row[3]))


def record_answer(
    conn: Connection, project_id: int, annotator_id: int, rule: Rule, correct: bool, now: datetime
) -> Step | None:
    """Count a qualification answer; returns the attempt's step (``None``: not a member or
    already qualified)."""
    s = standing(conn, project_id, annotator_id)
    if s is None or s.qualified:
        return None
    answered, right = s.answered + 1, s.correct + int(correct)
    step = after_answer(rule, answered, right)
    values: dict[str, object]
    if step is Step.PASSED:
        values = {"qualified_at": now, "qual_answered": answered, "qual_correct": right}
    elif step is Step.FAILED:
        values = {"qual_attempt": s.failed_attempts + 1, "qual_answered": 0, "qual_correct": 0}
    else:
        values = {"qual_answered": answered, "qual_correct": right}
    conn.execute(update(memberships).where(_member(project_id, annotator_id)).values(**values))
    return step


def allow_retry(conn: Connection, project_id: int, annotator_id: int) -> bool:
    """Give a blocked member a fresh attempt (a manager's decision)."""
    result = conn.execute(
        update(memberships)
        .where(_member(project_id, annotator_id), memberships.c.qualified_at.is_(None))
        .values(qual_attempt=0, qual_answered=0, qual_correct=0)
    )
    return bool(result.rowcount)


def _member(project_id: int, annotator_id: int) -> ColumnElement[bool]:
    return and_(memberships.c.project_id == project_id, memberships.c.user_id == annotator_id)
