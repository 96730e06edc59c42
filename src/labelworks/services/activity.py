"""A project's activity for its Overview: the burn-up of annotation work against what its
items need, throughput per day, and the distribution of the labels given.

Counting a million annotations by day and by label takes a good part of a second, so the
figures are kept per (project, vendor wall) and reused while the project's annotation count
is what it was and they are under ``MAX_AGE`` seconds old: a page view on a busy project
costs one count (cached by ``services.status`` for dashboards) and a dictionary lookup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from threading import Lock

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.consensus import categories_of
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.storage import activity as store
from labelworks.storage.engine import Database, utcnow

DAYS = 30
MAX_AGE = 60.0


@dataclass(frozen=True, slots=True)
class Day:
    day: str  # YYYY-MM-DD, UTC
    annotations: int
    cumulative: int  # annotations up to the end of the day


@dataclass(frozen=True, slots=True)
class Activity:
    """``days``: the last ``DAYS`` days, oldest first, every day present; ``needed``: the
    annotations the ordinary items need in all (the burn-up's scope); ``done``: annotations
    so far; ``labels``: the first categorical field and how often each label was given."""

    project: str
    days: list[Day]
    needed: int
    done: int
    label_field: str | None = None
    labels: list[tuple[str, int]] = field(default_factory=list)

    @property
    def last_week(self) -> int:
        return sum(d.annotations for d in self.days[-7:])


_cache: dict[tuple[str, int, str | None, str], tuple[float, int, Activity]] = {}
_lock = Lock()


def project_activity(
    db: Database,
    project_name: str,
    *,
    annotations: int,
    actor: Actor | None = None,
    today: date | None = None,
) -> Activity:
    """The project's activity (the review right; behind a vendor wall, that vendor's work).
    ``annotations`` is the project's current annotation count, the cache's key."""
    day = today or utcnow().date()
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        walled = wall(actor)
        key = (db.cache_scope, project.id, walled, day.isoformat())
        with _lock:
            cached = _cache.get(key)
        if (
            cached is not None
            and cached[1] == annotations
            and time.monotonic() - cached[0] < MAX_AGE
        ):
            return cached[2]
        start = day - timedelta(days=DAYS - 1)
        before, counted = store.per_day(
            conn, project.id, datetime(start.year, start.month, start.day), walled
        )
        needed = store.scope(conn, project.id, project.overlap)
        spec = stored_spec(project.spec)
        first = next((f for f in spec.fields if categories_of(f) is not None), None)
        labels = [] if first is None else store.label_counts(conn, project.id, first.name, walled)
    per = dict(counted)
    days, total = [], before
    for k in range(DAYS):
        d = (start + timedelta(days=k)).isoformat()
        total += per.get(d, 0)
        days.append(Day(d, per.get(d, 0), total))
    found = Activity(
        project=project.name,
        days=days,
        needed=needed,
        done=total,
        label_field=None if first is None else first.name,
        labels=labels,
    )
    with _lock:
        _cache[key] = (time.monotonic(), annotations, found)
    return found
