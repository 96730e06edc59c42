"""People analytics' leases in SQL: how many tasks each annotator took in a period and
let lapse, the task each holds now, and how long tasks typically stay with someone before
they are submitted — within the caller's vendor wall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from labelworks.storage.people_stats import between, unindexed
from labelworks.storage.tables import assignments
from labelworks.storage.walls import within_wall


@dataclass(frozen=True, slots=True)
class LeaseFigures:
    """Per annotator: leases taken in the period, those that lapsed without a submit, and
    when the oldest lease they hold now was taken (``None``: none held)."""

    annotator: int
    taken: int
    lapsed: int
    holding_since: datetime | None


TYPICAL_SAMPLE = 2000


def lease_figures(
    conn: Connection,
    project_id: int,
    since: datetime | None,
    until: datetime | None,
    wall: str | None,
) -> list[LeaseFigures]:
    """``LeaseFigures`` of everyone with a lease in the period or one held now."""
    s = assignments
    # Counted through the (annotator, project, state) index, which holds all it needs.
    counted = (unindexed(conn, s.c.project_id) == project_id, within_wall(s.c.annotator_id, wall))
    mine = (s.c.project_id == project_id, within_wall(s.c.annotator_id, wall))
    taken = conn.execute(
        select(s.c.annotator_id, func.count(), func.sum(case((s.c.state == "expired", 1), else_=0)))
        .where(*counted, *between(s.c.leased_at, since, until))
        .group_by(s.c.annotator_id)
    ).all()
    held = conn.execute(
        select(s.c.annotator_id, func.min(s.c.leased_at))
        .where(*mine, s.c.state == "leased")
        .group_by(s.c.annotator_id)
    ).all()
    holding = {int(r[0]): _as_time(r[1]) for r in held}
    out = {
        int(r[0]): LeaseFigures(int(r[0]), int(r[1]), int(r[2] or 0), holding.get(int(r[0])))
        for r in taken
    }
    for who, at in holding.items():
        out.setdefault(who, LeaseFigures(who, 0, 0, at))
    return list(out.values())


def lease_to_submit(
    conn: Connection,
    project_id: int,
    since: datetime | None,
    until: datetime | None,
    wall: str | None,
) -> list[float]:
    """Seconds from lease to submit of the period's newest ``TYPICAL_SAMPLE`` submitted
    tasks: enough to say how long a task typically stays with someone, without reading
    every one of a million (newest first, by the primary key)."""
    s = assignments
    rows = conn.execute(
        select(s.c.leased_at, s.c.closed_at)
        .where(
            # Newest first along the primary key, stopping at the sample's size.
            unindexed(conn, s.c.project_id) == project_id,
            unindexed(conn, s.c.state).in_(("submitted", "late")),
            s.c.closed_at.is_not(None),
            within_wall(s.c.annotator_id, wall),
            *between(s.c.leased_at, since, until),
        )
        .order_by(s.c.id.desc())
        .limit(TYPICAL_SAMPLE)
    ).all()
    return [(_as_time(r[1]) - _as_time(r[0])).total_seconds() for r in rows]


def _as_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
