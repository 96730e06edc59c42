"""A project's facts for capacity planning, kept between views and brought up to date
incrementally.

Grouping a million annotations by person and day takes about 1.7 s on SQLite, so the
counts are kept per project with the newest annotation id they cover. A view reads the
newest id anywhere (a primary-key lookup); when it moved, only the annotations past the
kept id are grouped and added (a range of the primary key), so the history is always
current for the price of what arrived since. The rest (items grouped by their annotations
and target, gold answers and reviews per person) changes in place, not by appending: it is
recounted on the spot when that is cheap (under ``CHEAP_SECONDS``) and it is over
``MAX_AGE`` seconds old or the newest id moved; when dear, in a background thread at most
every ``REFRESH_EVERY`` seconds while views use the last counts. The whole history is
recounted with it every ``RECOUNT_EVERY`` seconds, which corrects what the increments
cannot see: an annotation set aside between two views, or (on PostgreSQL) one whose
transaction committed after a newer id was read.

Every vendor's facts are kept together; a walled view filters the people
(``work_left``), and ``history`` turns the person-days into the project's days.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from threading import Lock

from labelworks.domain.spec import ProjectSpec
from labelworks.planning import ItemGroup, Overheads, Workload, observed_dynamic_extra, workload
from labelworks.storage import capacity as store
from labelworks.storage.capacity import Person, PersonDays
from labelworks.storage.engine import Database
from labelworks.storage.projects import ProjectRow

MAX_AGE = 60.0
CHEAP_SECONDS = 0.1
REFRESH_EVERY = 10.0
RECOUNT_EVERY = 600.0


@dataclass(frozen=True, slots=True)
class Facts:
    """Every vendor's facts of one project. ``newest``: the newest annotation id the
    person-day counts cover; ``counted_newest``, ``counted_at``, ``took``: the newest id
    when the rest was counted, when (``time.monotonic``) and how long that took;
    ``recounted_at``: the last whole recount."""

    project_id: int
    person_days: PersonDays
    newest: int
    groups: tuple[ItemGroup, ...]
    gold: dict[int, int]
    reviews: dict[int, dict[str, int]]
    people: dict[int, Person]
    counted_newest: int
    counted_at: float
    took: float
    recounted_at: float

    def version(self) -> tuple[int, float]:
        return (self.newest, self.counted_at)


_kept: dict[tuple[str, int], Facts] = {}
_refreshing: set[tuple[str, int]] = set()
_lock = Lock()


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="labelworks-capacity", daemon=True).start()


# How background refreshes start; tests replace it to run them where they are asked for.
runner: Callable[[Callable[[], None]], None] = _in_thread


def facts_of(db: Database, project_id: int) -> Facts:
    """The project's facts, current as the module docstring says."""
    key = (db.cache_scope, project_id)
    with _lock:
        kept = _kept.get(key)
    if kept is None:
        return _count(db, project_id, key)
    now = time.monotonic()
    with db.read(snapshot=True) as conn:
        newest = store.newest_annotation_id(conn)
        if newest < kept.newest:  # annotations were deleted (a project removed)
            return _count(db, project_id, key)
        if newest > kept.newest:
            added = store.person_days(conn, project_id, after=kept.newest)
            days = dict(kept.person_days)
            for k, n in added.items():
                days[k] = days.get(k, 0) + n
            fresh_people = {a for a, _ in added} - kept.people.keys()
            people = {**kept.people, **store.people(conn, fresh_people)}
            kept = replace(kept, person_days=days, newest=newest, people=people)
            with _lock:
                _kept[key] = kept
    age = now - kept.counted_at
    current = newest == kept.counted_newest and now - kept.recounted_at < RECOUNT_EVERY
    if age < MAX_AGE and current:
        return kept
    if kept.took < CHEAP_SECONDS:
        return _count(db, project_id, key)
    if age >= REFRESH_EVERY:
        _count_later(db, project_id, key)
    return kept


def forget(db: Database, project_id: int) -> None:
    """Drop the kept facts (tests, or a project removed)."""
    with _lock:
        _kept.pop((db.cache_scope, project_id), None)


def _count_later(db: Database, project_id: int, key: tuple[str, int]) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def work() -> None:
        try:
            _count(db, project_id, key)
        finally:
            with _lock:
                _refreshing.discard(key)

    runner(work)


def _count(db: Database, project_id: int, key: tuple[str, int]) -> Facts:
    started = time.monotonic()
    with db.read(snapshot=True) as conn:
        newest = store.newest_annotation_id(conn)
        days = store.person_days(conn, project_id)
        groups = tuple(ItemGroup(n, t, k) for n, t, k in store.item_groups(conn, project_id))
        gold = store.gold_answers_by_person(conn, project_id)
        reviews = store.reviews_by_person(conn, project_id)
        people = store.people(conn, {a for a, _ in days} | gold.keys() | reviews.keys())
    finished = time.monotonic()
    found = Facts(
        project_id=project_id,
        person_days=days,
        newest=newest,
        groups=groups,
        gold=gold,
        reviews=reviews,
        people=people,
        counted_newest=newest,
        counted_at=finished,
        took=finished - started,
        recounted_at=finished,
    )
    with _lock:
        kept = _kept.get(key)
        # A slower count that started before a newer one finished must not undo it.
        if kept is None or kept.newest <= newest:
            _kept[key] = found
    return found


@dataclass(frozen=True, slots=True)
class WorkLeft:
    """The work left for the people behind a wall: their annotations per day
    (``per_person``), how many they did, their share of all annotations, the overheads
    seen in their work and those applied, and the project's workload."""

    per_person: dict[int, dict[str, int]]
    done: int
    share: float
    observed: Overheads
    overheads: Overheads
    workload: Workload

    @property
    def remaining(self) -> float:
        """Annotations left for these people: their share of the project's."""
        return self.workload.total * self.share


@dataclass(frozen=True, slots=True)
class WallWork:
    """The facts' person-days behind one wall: per person and day, per day, their total,
    and everyone's total (every vendor's)."""

    mine: frozenset[int]
    per_person: dict[int, dict[str, int]]
    by_day: dict[str, int]
    done: int
    everyone: int


# The split of each kept Facts per wall, reused while those facts are current (a what-if
# changes knobs, not facts). Keyed by the Facts object itself.
_split: dict[tuple[int, str | None], tuple[Facts, WallWork]] = {}
_SPLITS = 64


def wall_work(facts: Facts, walled: str | None) -> WallWork:
    """``facts``' work behind ``walled``'s wall (``None``: everyone's)."""
    key = (id(facts), walled)
    with _lock:
        found = _split.get(key)
    if found is not None and found[0] is facts:
        return found[1]
    mine = frozenset(a for a, p in facts.people.items() if walled is None or p.vendor == walled)
    per_person: dict[int, dict[str, int]] = {}
    by_day: dict[str, int] = {}
    everyone = done = 0
    for (who, d), n in facts.person_days.items():
        everyone += n
        if who in mine:
            per_person.setdefault(who, {})[d] = n
            by_day[d] = by_day.get(d, 0) + n
            done += n
    work = WallWork(mine, per_person, by_day, done, everyone)
    with _lock:
        if len(_split) >= _SPLITS:
            _split.clear()
        _split[key] = (facts, work)
    return work


def work_left(
    project: ProjectRow,
    spec: ProjectSpec,
    facts: Facts,
    walled: str | None,
    *,
    overlap: float | None = None,
    gold_rate: float | None = None,
    review_rate: float | None = None,
) -> WorkLeft:
    """The project's remaining work and the share of it behind ``walled``'s wall, at the
    given overlap, gold and review rates (``None``: the project's, as observed)."""
    split = wall_work(facts, walled)
    done, everyone = split.done, split.everyone
    share = 1.0 if walled is None or not everyone else done / everyone
    observed = _observed(project, spec, facts, split.mine, done)
    overheads = replace(
        observed,
        gold_rate=observed.gold_rate if gold_rate is None else gold_rate,
        review_rate=observed.review_rate if review_rate is None else review_rate,
    )
    work = workload(facts.groups, float(overlap or project.overlap), overheads)
    return WorkLeft(split.per_person, done, share, observed, overheads, work)


def _observed(
    project: ProjectRow, spec: ProjectSpec, facts: Facts, mine: frozenset[int], done: int
) -> Overheads:
    """The overheads seen in ``mine``'s work; before any, the spec's settings."""
    extra = observed_dynamic_extra(facts.groups, project.overlap)
    quality = spec.quality
    if not done:
        review = quality.review.rate if quality.review is not None else quality.review_rate
        return Overheads(min(quality.gold_rate or 0.0, 0.95), review or 0.0, 0.0, extra)
    gold = sum(n for who, n in facts.gold.items() if who in mine)
    reviewed = decided = rejected = 0
    for who, statuses in facts.reviews.items():
        if who in mine:
            reviewed += sum(statuses.values())
            decided += sum(statuses.get(s, 0) for s in ("accepted", "rejected", "fixed"))
            rejected += statuses.get("rejected", 0)
    ordinary = done - gold
    return Overheads(
        # A training project is all gold and has no ordinary work left to carry it.
        gold_rate=min(gold / done, 0.95),
        review_rate=min(reviewed / ordinary, 1.0) if ordinary > 0 else 0.0,
        rejection_rate=rejected / decided if decided else 0.0,
        dynamic_extra=extra,
    )


def history(by_day: dict[str, int], today: date) -> list[tuple[str, int]]:
    """Every day from the first with work to yesterday (today when it is the only one)."""
    if not by_day:
        return []
    first = date.fromisoformat(min(by_day))
    last = max(today - timedelta(days=1), first, date.fromisoformat(max(by_day)))
    if last >= today and first < today:
        last = today - timedelta(days=1)
    out = []
    d = first
    while d <= last:
        out.append((d.isoformat(), by_day.get(d.isoformat(), 0)))
        d += timedelta(days=1)
    return out


def person_day_counts(per_person: dict[int, dict[str, int]], today: date) -> list[int]:
    """Each person's days from their first to their last day of work (idle ones as 0),
    today left out unless it is their only day."""
    if not per_person:
        return []
    first_day = date.fromisoformat(min(min(c) for c in per_person.values()))
    last_day = max(today, date.fromisoformat(max(max(c) for c in per_person.values())))
    names = [
        (first_day + timedelta(days=k)).isoformat() for k in range((last_day - first_day).days + 1)
    ]
    where = {name: k for k, name in enumerate(names)}
    yesterday = (today - timedelta(days=1)).isoformat()
    out: list[int] = []
    for counts in per_person.values():
        first, last = min(counts), max(counts)
        if last > yesterday and first <= yesterday:
            last = yesterday
        out.extend(counts.get(d, 0) for d in names[where[first] : where[last] + 1])
    return out


def people_per_day(per_person: dict[int, dict[str, int]], days: list[str]) -> float:
    """The mean number of people on the project (between their first and last day of
    work) over the history's days."""
    if not days:
        return 0.0
    where = {d: k for k, d in enumerate(days)}
    # +1 where a person's span starts, -1 after it ends; the running sum is who is on.
    steps = [0] * (len(days) + 1)
    for counts in per_person.values():
        first, last = min(counts), max(counts)
        if last < days[0] or first > days[-1]:
            continue
        start = where.get(first, 0)
        end = where.get(last, len(days) - 1)
        steps[start] += 1
        steps[end + 1] -= 1
    on = running = 0
    for k in range(len(days)):
        running += steps[k]
        on += running
    return on / len(days)
