"""Every member's standing in the project's qualification test, with the gold questions
they have been served and how they answered them: the reading side of
``storage.qualification``, for the managers' report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Integer, case, func, select

from labelworks.storage.tables import assignments, gold_results, items, memberships, users, vendors
from labelworks.storage.walls import within_wall


@dataclass(frozen=True, slots=True)
class MemberStanding:
    """One member: who, where they are in the test, and their gold questions so far
    (``served``: gold items they hold or have answered or skipped, which they are never
    served again; ``gold_answered``/``gold_correct``: every scored gold answer)."""

    user_id: int
    email: str
    name: str
    role: str
    vendor: str | None
    qualified_at: datetime | None
    failed_attempts: int
    answered: int
    correct: int
    served: int
    gold_answered: int
    gold_correct: int


def members(conn: Connection, project_id: int, wall: str | None) -> list[MemberStanding]:
    """The project's members by email (behind ``wall``: only that vendor's people)."""
    served = (
        select(
            assignments.c.annotator_id,
            func.count(assignments.c.item_id).label("served"),
        )
        .join(items, items.c.id == assignments.c.item_id)
        .where(
            assignments.c.project_id == project_id,
            assignments.c.state != "expired",
            items.c.gold,
        )
        .group_by(assignments.c.annotator_id)
        .subquery()
    )
    scored = (
        select(
            gold_results.c.annotator_id,
            func.count().label("answered"),
            func.sum(case((gold_results.c.correct, 1), else_=0), type_=Integer).label("correct"),
        )
        .where(gold_results.c.project_id == project_id)
        .group_by(gold_results.c.annotator_id)
        .subquery()
    )
    query = (
        select(
            memberships.c.user_id,
            users.c.email,
            users.c.name,
            users.c.role,
            vendors.c.name.label("vendor"),
            memberships.c.qualified_at,
            memberships.c.qual_attempt,
            memberships.c.qual_answered,
            memberships.c.qual_correct,
            served.c.served,
            scored.c.answered,
            scored.c.correct,
        )
        .join(users, users.c.id == memberships.c.user_id)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .outerjoin(served, served.c.annotator_id == memberships.c.user_id)
        .outerjoin(scored, scored.c.annotator_id == memberships.c.user_id)
        .where(
            memberships.c.project_id == project_id,
            within_wall(memberships.c.user_id, wall),
        )
        .order_by(users.c.email)
    )
    return [
        MemberStanding(
            user_id=int(r.user_id),
            email=r.email,
            name=r.name,
            role=r.role,
            vendor=r.vendor,
            qualified_at=r.qualified_at,
            failed_attempts=int(r.qual_attempt),
            answered=int(r.qual_answered),
            correct=int(r.qual_correct),
            served=int(r.served or 0),
            gold_answered=int(r.answered or 0),
            gold_correct=int(r.correct or 0),
        )
        for r in conn.execute(query)
    ]
