"""Project tallies: totals and per-annotator counts, each answered from an index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from labelworks.storage.items import count_items
from labelworks.storage.tables import (
    annotations_table,
    assignments,
    items,
    late_submissions,
    users,
)
from labelworks.storage.walls import within_wall


@dataclass(frozen=True, slots=True)
class ProjectCounts:
    items: int
    complete: int
    annotations: int
    skips: int
    late_submissions: int


def counts(conn: Connection, project_id: int, overlap: int) -> ProjectCounts:
    """Project totals, each answered from an index."""

    def scalar(query: Any) -> int:
        return int(conn.execute(query).scalar_one())

    return ProjectCounts(
        items=count_items(conn, project_id),
        complete=scalar(
            select(func.count())
            .select_from(items)
            .where(items.c.project_id == project_id, items.c.n_submitted >= overlap)
        ),
        annotations=scalar(
            select(func.count())
            .select_from(annotations_table)
            .where(annotations_table.c.project_id == project_id)
        ),
        skips=scalar(
            select(func.count())
            .select_from(assignments)
            .where(assignments.c.project_id == project_id, assignments.c.state == "skipped")
        ),
        late_submissions=scalar(
            select(func.count())
            .select_from(late_submissions)
            .where(late_submissions.c.project_id == project_id)
        ),
    )


@dataclass(frozen=True, slots=True)
class AnnotatorCounts:
    email: str
    submitted: int
    skipped: int
    leased: int
    seconds: float


def per_annotator(
    conn: Connection, project_id: int, now: datetime, *, only_vendor: str | None = None
) -> list[AnnotatorCounts]:
    """Submitted, skipped and live-leased counts per annotator who touched the project."""
    submitted = {
        int(r.annotator_id): (int(r.n), float(r.seconds or 0.0))
        for r in conn.execute(
            select(
                annotations_table.c.annotator_id,
                func.count().label("n"),
                func.sum(annotations_table.c.seconds).label("seconds"),
            )
            .where(annotations_table.c.project_id == project_id)
            .group_by(annotations_table.c.annotator_id)
        )
    }
    states: dict[int, dict[str, int]] = {}
    for r in conn.execute(
        select(assignments.c.annotator_id, assignments.c.state, func.count().label("n"))
        .where(
            assignments.c.project_id == project_id,
            assignments.c.state.in_(["skipped", "leased"]),
            (assignments.c.state == "skipped") | (assignments.c.expires_at >= now),
        )
        .group_by(assignments.c.annotator_id, assignments.c.state)
    ):
        states.setdefault(int(r.annotator_id), {})[str(r.state)] = int(r.n)
    ids = sorted(set(submitted) | set(states))
    if not ids:
        return []
    people = select(users.c.id, users.c.email).where(
        users.c.id.in_(ids), within_wall(users.c.id, only_vendor)
    )
    emails = {int(r.id): str(r.email) for r in conn.execute(people)}
    out = [
        AnnotatorCounts(
            email=emails[i],
            submitted=submitted.get(i, (0, 0.0))[0],
            skipped=states.get(i, {}).get("skipped", 0),
            leased=states.get(i, {}).get("leased", 0),
            seconds=submitted.get(i, (0, 0.0))[1],
        )
        for i in ids
        if i in emails
    ]
    return sorted(out, key=lambda c: c.email)


def taken_open_items(conn: Connection, project_id: int, annotator_id: int) -> int:
    """Open items (still taking leases) that will never be served to this annotator again:
    any they hold, answered or skipped (an item is leased to a person once, ever).

    Walks only the annotator's own assignments (``ix_assignments_annotator``) and looks each
    item up by key: the cost grows with their work, not with the project.
    """
    query = (
        select(func.count())
        .select_from(assignments.join(items, items.c.id == assignments.c.item_id))
        .where(
            assignments.c.annotator_id == annotator_id,
            assignments.c.project_id == project_id,
            assignments.c.retest.is_(False),
            items.c.pool.is_not(None),
        )
    )
    return int(conn.execute(query).scalar_one())
