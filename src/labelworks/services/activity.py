"""A project's activity for its Overview: the burn-up of annotation work against what its
items need, throughput per day, and the distribution of the labels given.

Counting a million annotations by day and by label takes seconds (bench/overview.py), so
the figures are kept
per (project, vendor wall, day) with the annotation count they were computed at and how
long they took. A page view uses them while the count is unchanged and they are under
``MAX_AGE`` seconds old. When the count moved, figures that were cheap (under
``CHEAP_SECONDS``) are recomputed on the spot, so a small project's Overview is always
current; dear ones are refreshed in a background thread at most every ``REFRESH_EVERY``
seconds while the page shows the last ones, so no page view on a big, busy project waits
for the count. Only the very first view of a project computes them in the request.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from threading import Lock

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.consensus import categories_of
from labelworks.domain.gold import wilson_bounds
from labelworks.domain.period import week_of
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.storage import activity as store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow

DAYS = 30
GOLD_WEEKS = 12


@dataclass(frozen=True, slots=True)
class Day:
    day: str  # YYYY-MM-DD, UTC
    annotations: int
    cumulative: int  # annotations up to the end of the day


@dataclass(frozen=True, slots=True)
class VendorDay:
    day: str
    vendor: str | None  # None: the organisation's own people
    annotations: int


@dataclass(frozen=True, slots=True)
class GoldWeek:
    """Gold answers scored in an ISO week, with the 95% Wilson interval of their accuracy."""

    week: str  # e.g. 2026-W48
    correct: int
    answered: int
    low: float
    high: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered


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
    # The same days split by the annotators' vendors (days without work left out).
    vendor_days: list[VendorDay] = field(default_factory=list)
    # The last ``GOLD_WEEKS`` ISO weeks that scored gold answers, oldest first.
    gold_weeks: list[GoldWeek] = field(default_factory=list)

    @property
    def last_week(self) -> int:
        return sum(d.annotations for d in self.days[-7:])


MAX_AGE = 60.0
# Projects with more annotations than this are counted in the background the first time
# (pages answer at once; see ``kept_activity``).
INLINE_UP_TO = 20_000
CHEAP_SECONDS = 0.1
REFRESH_EVERY = 10.0


@dataclass(frozen=True, slots=True)
class _Kept:
    at: float  # time.monotonic() when computed
    annotations: int
    took: float  # seconds the computation took
    activity: Activity


_cache: dict[tuple[str, int, str | None, str], _Kept] = {}
_refreshing: set[tuple[str, int, str | None, str]] = set()
_lock = Lock()


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="labelworks-activity", daemon=True).start()


# How background refreshes start; tests replace it to run them where they are asked for.
runner: Callable[[Callable[[], None]], None] = _in_thread


def project_activity(
    db: Database,
    project_name: str,
    *,
    annotations: int,
    actor: Actor | None = None,
    today: date | None = None,
) -> Activity:
    """The project's activity (the review right; behind a vendor wall, that vendor's work).
    ``annotations`` is the project's current annotation count (see the module docstring
    for how it decides between kept and fresh figures)."""
    day = today or utcnow().date()
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
    walled = wall(actor)
    key = (db.cache_scope, project.id, walled, day.isoformat())
    with _lock:
        kept = _cache.get(key)
    now = time.monotonic()
    if kept is not None:
        age = now - kept.at
        if kept.annotations == annotations and age < MAX_AGE:
            return kept.activity
        if kept.took >= CHEAP_SECONDS:
            if age >= REFRESH_EVERY:
                _refresh_later(db, project, walled, day, annotations, key)
            return kept.activity
    return _compute(db, project, walled, day, annotations, key)


def kept_activity(
    db: Database,
    project_name: str,
    *,
    annotations: int,
    actor: Actor | None = None,
    inline_up_to: int | None = None,
) -> Activity | None:
    """``project_activity`` for lists of projects, which must not wait: figures kept for
    the project, or computed now when it has at most ``inline_up_to`` annotations; else
    ``None``, with the figures computed in the background for the next view."""
    day = utcnow().date()
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
    key = (db.cache_scope, project.id, wall(actor), day.isoformat())
    with _lock:
        kept = _cache.get(key)
    if kept is not None or annotations <= (INLINE_UP_TO if inline_up_to is None else inline_up_to):
        return project_activity(db, project_name, annotations=annotations, actor=actor)
    _refresh_later(db, project, wall(actor), day, annotations, key)
    return None


def _refresh_later(
    db: Database,
    project: ProjectRow,
    walled: str | None,
    day: date,
    annotations: int,
    key: tuple[str, int, str | None, str],
) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def work() -> None:
        try:
            _compute(db, project, walled, day, annotations, key)
        finally:
            with _lock:
                _refreshing.discard(key)

    runner(work)


def _compute(
    db: Database,
    project: ProjectRow,
    walled: str | None,
    day: date,
    annotations: int,
    key: tuple[str, int, str | None, str],
) -> Activity:
    started = time.monotonic()
    start = day - timedelta(days=DAYS - 1)
    with db.read() as conn:
        since = datetime(start.year, start.month, start.day)
        before = store.count_before(conn, project.id, since, walled)
        needed = store.scope(conn, project.id, project.overlap)
        spec = stored_spec(project.spec)
        first = next((f for f in spec.fields if categories_of(f) is not None), None)
        labels = [] if first is None else store.label_counts(conn, project.id, first.name, walled)
        by_vendor = store.per_day_and_vendor(conn, project.id, since, walled)
        gold_start = day - timedelta(days=day.weekday() + 7 * (GOLD_WEEKS - 1))
        gold = store.gold_per_day(
            conn, project.id, datetime(gold_start.year, gold_start.month, gold_start.day), walled
        )
    # The days' totals are the sums over vendors: one grouping of the window, not two.
    per: Counter[str] = Counter()
    for d, _, n in by_vendor:
        per[d] += n
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
        vendor_days=[VendorDay(d, v, n) for d, v, n in by_vendor],
        gold_weeks=gold_weeks(gold),
    )
    finished = time.monotonic()
    with _lock:
        _cache[key] = _Kept(finished, annotations, finished - started, found)
    return found


def gold_weeks(per_day: list[tuple[str, int, int]]) -> list[GoldWeek]:
    """Gold answers scored per day (day, correct, answered) summed per ISO week, oldest
    first; weeks without answers left out."""
    weeks: dict[str, list[int]] = {}
    for day, correct, answered in per_day:
        tally = weeks.setdefault(week_of(date.fromisoformat(day)), [0, 0])
        tally[0] += correct
        tally[1] += answered
    return [
        GoldWeek(week, c, n, *wilson_bounds(c, n)) for week, (c, n) in sorted(weeks.items()) if n
    ]
