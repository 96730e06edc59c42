"""Every vendor's work over a period, gathered once and kept: what scorecards, the vendors
list and ``cost_per_annotation`` read.

Grouping a million annotations by vendor, day and review status takes about a second, so
the facts are kept per (database, period, projects the caller may see, vendor wall) with the
data stamp they were gathered at (``storage.vendor_stats.stamp``: the newest annotation,
set-aside annotation and audit event, read from their indexes) and how long they took. A
view uses them while the stamp is unchanged and they are under ``MAX_AGE`` seconds old.
When the stamp moved, facts that were cheap (under ``CHEAP_SECONDS``) are gathered again
on the spot, so a small installation is always current; dear ones are refreshed in a
background thread at most every ``REFRESH_EVERY`` seconds (and ten times as long as they
took) while views show the last ones.
Only the first view gathers them in the request (as ``services.activity`` does); a page's
first view of a big installation does not wait for that either (``kept_facts``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from threading import Lock

from sqlalchemy import Connection

from labelworks.domain.period import week_of
from labelworks.domain.spec import ProjectSpec
from labelworks.domain.vendor_terms import Period
from labelworks.services.specs import stored_spec
from labelworks.stats.vendor_billing import (
    EMPTY,
    Histogram,
    WeekFacts,
    WorkGroup,
    billing_status,
)
from labelworks.storage import projects as project_store
from labelworks.storage import vendor_stats as store
from labelworks.storage.engine import Database
from labelworks.storage.vendor_stats import Scope, week_monday

MAX_AGE = 60.0
CHEAP_SECONDS = 0.1
REFRESH_EVERY = 10.0
# A refresh waits at least this many times as long as the last gathering took, so the
# background thread of a big, busy installation spends at most a tenth of a core on it.
REFRESH_FACTOR = 10.0
# Installations with more annotations than this (the newest annotation's id, a bound on the
# count) gather a period's first facts in the background when a page asks (``kept_facts``).
INLINE_UP_TO = 20_000


@dataclass(slots=True)
class VendorFacts:
    """One vendor's (``None``: in-house) work in the period: billing groups, each week's
    facts, review outcomes, set-aside annotations (``rejected`` in review, ``other``),
    gold answers, turnaround histograms (minutes), and the Mondays of its first and last
    weeks of work."""

    vendor: str | None
    groups: list[WorkGroup] = field(default_factory=list)
    weeks: dict[str, WeekFacts] = field(default_factory=dict)
    reviews: Counter[str] = field(default_factory=Counter)
    set_aside: Counter[str] = field(default_factory=Counter)
    gold_correct: int = 0
    gold_total: int = 0
    lease: Histogram = EMPTY
    final: Histogram = EMPTY
    first_day: date | None = None
    last_day: date | None = None

    def week(self, number: int) -> WeekFacts:
        monday = week_monday(number)
        self.first_day = monday if self.first_day is None else min(self.first_day, monday)
        self.last_day = monday if self.last_day is None else max(self.last_day, monday)
        key = week_of(monday)
        found = self.weeks.get(key)
        if found is None:
            found = self.weeks[key] = WeekFacts(key)
        return found


@dataclass(frozen=True, slots=True)
class Facts:
    period: Period
    vendors: dict[str | None, VendorFacts]
    projects: dict[int, str]


@dataclass(frozen=True, slots=True)
class _Kept:
    at: float
    stamp: tuple[int, ...]
    took: float
    facts: Facts


_Key = tuple[str, str, frozenset[int] | None, str | None]
_cache: dict[_Key, _Kept] = {}
_refreshing: set[_Key] = set()
_lock = Lock()


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="labelworks-vendors", daemon=True).start()


# How background refreshes start; tests replace it to run them where they are asked for.
runner: Callable[[Callable[[], None]], None] = _in_thread


def vendor_facts(
    db: Database, period: Period, project_ids: frozenset[int] | None, wall: str | None
) -> Facts:
    """The facts of ``period`` over ``project_ids`` behind ``wall``, kept or gathered."""
    found = _facts(db, period, project_ids, wall, wait=True)
    assert found is not None
    return found


def kept_facts(
    db: Database, period: Period, project_ids: frozenset[int] | None, wall: str | None
) -> Facts | None:
    """``vendor_facts`` for pages, which must not wait: when nothing is kept yet and the
    installation has more than ``INLINE_UP_TO`` annotations, ``None``, with the facts
    gathered in the background for the next view."""
    return _facts(db, period, project_ids, wall, wait=False)


def _facts(
    db: Database,
    period: Period,
    project_ids: frozenset[int] | None,
    wall: str | None,
    *,
    wait: bool,
) -> Facts | None:
    scope = Scope(period.start, period.end, project_ids, wall)
    key: _Key = (db.cache_scope, period.label, project_ids, wall)
    with db.read() as conn:
        now_stamp = store.stamp(conn)
    with _lock:
        kept = _cache.get(key)
    now = time.monotonic()
    if kept is not None:
        age = now - kept.at
        if kept.stamp == now_stamp and age < MAX_AGE:
            return kept.facts
        if kept.took >= CHEAP_SECONDS:
            if age >= max(REFRESH_EVERY, REFRESH_FACTOR * kept.took):
                _refresh_later(db, period, scope, key)
            return kept.facts
    if not wait and now_stamp[0] > INLINE_UP_TO:
        _refresh_later(db, period, scope, key)
        return None
    return _gather(db, period, scope, key)


def _refresh_later(db: Database, period: Period, scope: Scope, key: _Key) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def work() -> None:
        try:
            _gather(db, period, scope, key)
        finally:
            with _lock:
                _refreshing.discard(key)

    runner(work)


def _gather(db: Database, period: Period, scope: Scope, key: _Key) -> Facts:
    started = time.monotonic()
    with db.read(snapshot=True) as conn:
        stamp = store.stamp(conn)
        facts = gather(conn, period, scope)
    finished = time.monotonic()
    with _lock:
        _cache[key] = _Kept(finished, stamp, finished - started, facts)
    return facts


def kinds_by_project(
    specs: dict[int, ProjectSpec],
) -> dict[int, tuple[tuple[str, ...], list[tuple[str, str]]]]:
    """Per project, the kinds of the fields every annotation answers, and the (name, kind)
    of the fields an annotation may leave out (optional or conditional)."""
    found: dict[int, tuple[tuple[str, ...], list[tuple[str, str]]]] = {}
    for pid, spec in specs.items():
        always = tuple(sorted(str(f.kind) for f in spec.fields if f.required and f.when is None))
        maybe = [(f.name, str(f.kind)) for f in spec.fields if not (f.required and f.when is None)]
        found[pid] = (always, maybe)
    return found


def gather(conn: Connection, period: Period, scope: Scope) -> Facts:
    """Every vendor's facts in ``scope`` (one read transaction)."""
    rows = project_store.all_projects(conn)
    shown = [p for p in rows if scope.project_ids is None or p.id in scope.project_ids]
    names = {p.id: p.name for p in shown}
    kinds = kinds_by_project({p.id: stored_spec(p.spec) for p in shown})
    by: dict[str | None, VendorFacts] = {}

    def of(vendor: str | None) -> VendorFacts:
        found = by.get(vendor)
        if found is None:
            found = by[vendor] = VendorFacts(vendor)
        return found

    plain = frozenset(pid for pid, (_, maybe) in kinds.items() if not maybe)
    batches: list[tuple[Scope, tuple[str, ...]]] = []
    if plain:
        batches.append((Scope(scope.since, scope.until, plain, scope.wall), ()))
    batches += [
        (Scope(scope.since, scope.until, frozenset({pid}), scope.wall), tuple(n for n, _ in maybe))
        for pid, (_, maybe) in kinds.items()
        if maybe
    ]
    for batch, fields in batches:
        for vendor, pid, day, review, present, n, seconds in store.work(conn, batch, fields):
            always, maybe = kinds[pid]
            answered = tuple(
                sorted(always + tuple(k for (_, k), p in zip(maybe, present, strict=True) if p))
            )
            status = billing_status(review)
            facts = of(vendor)
            week = facts.week(day)
            facts.groups.append(
                WorkGroup(vendor, names[pid], week.week, answered, status, n, seconds)
            )
            if status in ("billed", "held"):
                week.delivered += n
    for vendor, _, decision, n in store.review_counts(conn, scope):
        of(vendor).reviews[decision] += n
    for vendor, _, rejected, n in store.set_aside_counts(conn, scope):
        of(vendor).set_aside["rejected" if rejected else "other"] += n
    for vendor, day, correct, n in store.gold_counts(conn, scope):
        facts = of(vendor)
        week = facts.week(day)
        week.gold_total += n
        facts.gold_total += n
        if correct:
            week.gold_correct += n
            facts.gold_correct += n
    _histograms(by, of, store.lease_minutes(conn, scope), "lease")
    _histograms(by, of, store.final_minutes(conn, scope), "final")
    return Facts(period, by, names)


def _histograms(
    by: dict[str | None, VendorFacts],
    of: Callable[[str | None], VendorFacts],
    rows: list[tuple[str | None, int, int, int]],
    measure: str,
) -> None:
    """Each vendor's and each of its weeks' histogram of ``measure`` from grouped rows."""
    overall: dict[str | None, Counter[int]] = {}
    weekly: dict[tuple[str | None, str], Counter[int]] = {}
    for vendor, number, minutes, n in rows:
        week = of(vendor).week(number).week
        overall.setdefault(vendor, Counter())[minutes] += n
        weekly.setdefault((vendor, week), Counter())[minutes] += n
    for vendor, counts in overall.items():
        setattr(by[vendor], measure, Histogram(counts))
    for (vendor, week), counts in weekly.items():
        setattr(by[vendor].weeks[week], measure, Histogram(counts))


def kinds_of_value(
    value_text: str, always: tuple[str, ...], maybe: list[tuple[str, str]]
) -> tuple[str, ...]:
    """The kinds of the fields one stored annotation value answers."""
    value = json.loads(value_text)
    return tuple(sorted(always + tuple(k for name, k in maybe if value.get(name) is not None)))
