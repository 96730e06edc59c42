"""Capacity planning for one project: the work left in annotations, the completion
forecast with its P10/P50/P90 dates, the deadline at the spec's confidence and the
headcount it needs, the projected cost against the budget, and what-if scenarios.

**Who sees what.** Anyone with the review right on the project (reviewers, managers,
admins). Behind a vendor wall the forecast is that vendor's share: their people's daily
history, their observed overheads, and the project's remaining work times the vendor's
share of the annotations made so far; the cost is their price, and the budget (the
client's) is not shown.

**The history** is the annotations done per UTC day, set-aside ones included, from the
first annotation to yesterday, idle days as 0. Today is left out while it is not over (a
half day read as a whole one would understate the pace), unless it is the only day.

**Headcount.** A person is on the project from their first to their last day of work in
it, idle days included; the history's headcount is the mean number of people on the
project per day. A planned headcount (``--headcount`` or the spec's ``plan.headcount``)
scales the history by planned / observed; the headcount needed for a deadline comes from
the person-days (``planning.headcount_needed``).

**Cost.** A rate per annotation given with the request, else the project's average price
of an accepted annotation from its vendors' rate cards (``vendor_usage``). Rejected work
is not billed, so rework costs nothing; the cost so far is the annotations done at the
same rate, an estimate (the vendors' usage statements have the billed amounts).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from threading import Lock
from typing import Any

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.errors import InvalidInput
from labelworks.domain.spec import ProjectSpec
from labelworks.planning import (
    Forecast,
    Outlook,
    Overheads,
    Workload,
    finish_date,
    headcount_needed,
    what_if,
)
from labelworks.planning.scenario import MAX_OVERLAP
from labelworks.services.access import project_for
from labelworks.services.capacity_facts import (
    Facts,
    facts_of,
    history,
    people_per_day,
    person_day_counts,
    wall_work,
    work_left,
)
from labelworks.services.capacity_price import price_of
from labelworks.services.specs import stored_spec
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow

MAX_HEADCOUNT = 100_000
MAX_RATE = 1e9


@dataclass(frozen=True, slots=True)
class Knobs:
    """What the caller changed (``None``: the spec's or what was observed)."""

    deadline: date | None = None
    confidence: float | None = None
    headcount: int | None = None
    overlap: float | None = None
    gold_rate: float | None = None
    review_rate: float | None = None
    rate: float | None = None

    def checked(self, today: date) -> Knobs:
        if self.deadline is not None and self.deadline <= today:
            raise InvalidInput(
                f"deadline {self.deadline.isoformat()} is not after today "
                f"({today.isoformat()}): give a day still ahead"
            )
        _within("confidence", self.confidence, 0.5, 0.99)
        _within("headcount", self.headcount, 1, MAX_HEADCOUNT)
        _within("overlap", self.overlap, 1, MAX_OVERLAP)
        _within("gold_rate", self.gold_rate, 0, 0.95)
        _within("review_rate", self.review_rate, 0, 1)
        _within("rate", self.rate, 0, MAX_RATE)
        return self


def _within(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput(f"{name} must lie between {low:g} and {high:g}, not {value}")


@dataclass(frozen=True, slots=True)
class Deadline:
    """The deadline read at ``confidence``: the day the work is done by with that
    probability, whether that is in time, and the people it needs (``None``: no number
    of people is that sure; ``passed``: the deadline is today or gone)."""

    day: date
    confidence: float
    days_left: int
    done_by: date | None
    on_track: bool
    passed: bool
    headcount_needed: int | None


@dataclass(frozen=True, slots=True)
class Cost:
    """Money at ``rate`` per annotation (``source``: ``given`` or ``rate cards``)."""

    rate: float
    currency: str | None
    source: str
    remaining: float
    spent: float
    budget: float | None = None
    budget_currency: str | None = None

    @property
    def projected(self) -> float:
        return self.spent + self.remaining

    @property
    def comparable(self) -> bool:
        return self.budget is not None and (
            self.currency is None or self.currency == self.budget_currency
        )

    @property
    def over_budget(self) -> bool | None:
        return None if not self.comparable or self.budget is None else self.projected > self.budget


@dataclass(frozen=True, slots=True)
class CapacityForecast:
    """A project's capacity view; ``forecast`` is ``None`` before any annotation (the
    ``notes`` say so)."""

    project: str
    today: date
    vendor: str | None
    done: int
    share: float  # the vendor's share of the work (1 without a wall)
    observed: Overheads
    overheads: Overheads
    workload: Workload
    remaining: float
    days: list[tuple[str, int]]  # the history, oldest first
    headcount_observed: float
    headcount_planned: float | None
    forecast: Forecast | None
    p10_date: date | None
    p50_date: date | None
    p90_date: date | None
    deadline: Deadline | None
    cost: Cost | None
    notes: list[str] = field(default_factory=list)


def project_forecast(
    db: Database,
    project_name: str,
    knobs: Knobs = Knobs(),
    *,
    actor: Actor | None = None,
    today: date | None = None,
) -> CapacityForecast:
    """The project's capacity view with ``knobs`` applied (module docstring)."""
    day = today or utcnow().date()
    knobs = knobs.checked(day)
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
    facts = facts_of(db, project.id)
    walled = wall(actor)
    rate, currency, note = knobs.rate, None, None
    if rate is None:
        priced, note = price_of(db, project, actor, facts.newest)
        if priced is not None:
            rate, currency = priced
    key = (db.cache_scope, project.id, project.spec_revision, walled, knobs, day,
           facts.version(), rate, currency)  # fmt: skip
    with _lock:
        kept = _kept.get(key)
    if kept is not None:
        return kept
    spec = stored_spec(project.spec)
    found = _view(project, spec, facts, walled, knobs, day, (rate, currency, note))
    with _lock:
        if len(_kept) >= _KEEP:
            _kept.clear()
        _kept[key] = found
    return found


_kept: dict[tuple[object, ...], CapacityForecast] = {}
_KEEP = 512
_lock = Lock()


def _view(
    project: ProjectRow,
    spec: ProjectSpec,
    facts: Facts,
    walled: str | None,
    knobs: Knobs,
    today: date,
    price: tuple[float | None, str | None, str | None],
) -> CapacityForecast:
    """The view; ``price`` is the rate per annotation, its currency, and why there is none
    (or ``None``)."""
    rate, currency, price_note = price
    left = work_left(project, spec, facts, walled, overlap=knobs.overlap,
                     gold_rate=knobs.gold_rate, review_rate=knobs.review_rate)  # fmt: skip
    per_person, done, share, work = left.per_person, left.done, left.share, left.workload
    days = history(wall_work(facts, walled).by_day, today)
    observed_people = people_per_day(per_person, [d for d, _ in days])
    plan = spec.plan
    planned = knobs.headcount or (plan.headcount if plan is not None else None)
    notes: list[str] = []
    outlook: Outlook | None = None
    if done and share > 0:
        outlook = what_if(
            facts.groups,
            overlap=work.overlap,
            overheads=left.overheads,
            daily_done=[n for _, n in days],
            today=today,
            headcount=planned,
            observed_headcount=observed_people,
            rate=rate,
            share=share,
            seed=project.id,
        )
    else:
        whose = f" by {walled}'s people" if walled else ""
        notes.append(f"No annotations yet{whose}: there is no pace to forecast from.")
    forecast = None if outlook is None else outlook.forecast
    remaining = work.total * share
    people_days = person_day_counts(per_person, today)
    deadline = _deadline(knobs, spec, today, forecast, people_days, remaining, project.id)
    if deadline is not None and deadline.passed:
        notes.append(f"The deadline {deadline.day.isoformat()} has passed.")
    cost = None
    if rate is not None:
        budget = None if walled is not None or plan is None else plan.budget
        cost = Cost(
            rate=rate,
            currency=currency or (None if budget is None else budget.currency),
            source="given" if knobs.rate is not None else "rate cards",
            remaining=(work.total - work.rework) * share * rate,
            spent=done * rate,
            budget=None if budget is None else budget.amount,
            budget_currency=None if budget is None else budget.currency,
        )
        if budget is not None and not cost.comparable:
            notes.append(
                f"The budget is in {budget.currency} and the rate in {cost.currency}: "
                "they are not compared."
            )
    else:
        notes.append(
            price_note or "No cost: no rate was given and no vendor rate card prices this work."
        )
    return CapacityForecast(
        project=project.name,
        today=today,
        vendor=walled,
        done=done,
        share=share,
        observed=left.observed,
        overheads=left.overheads,
        workload=work,
        remaining=remaining,
        days=days,
        headcount_observed=observed_people,
        headcount_planned=None if planned is None else float(planned),
        forecast=forecast,
        p10_date=None if outlook is None else outlook.p10_date,
        p50_date=None if outlook is None else outlook.p50_date,
        p90_date=None if outlook is None else outlook.p90_date,
        deadline=deadline,
        cost=cost,
        notes=notes,
    )


def _deadline(
    knobs: Knobs,
    spec: ProjectSpec,
    today: date,
    forecast: Forecast | None,
    people_days: list[int],
    remaining: float,
    seed: int,
) -> Deadline | None:
    plan = spec.plan
    day = knobs.deadline or (plan.deadline if plan is not None else None)
    if day is None:
        return None
    confidence = knobs.confidence or (plan.confidence if plan is not None else 0.8)
    if day <= today:
        return Deadline(day, confidence, 0, None, False, True, None)
    left = (day - today).days
    at = None if forecast is None else forecast.quantile(confidence)
    needed = None
    if any(people_days):
        needed = headcount_needed(people_days, remaining, left, confidence, seed=seed)
    return Deadline(
        day=day,
        confidence=confidence,
        days_left=left,
        done_by=None if at is None else finish_date(today, at),
        on_track=at is not None and at <= left,
        passed=False,
        headcount_needed=needed,
    )


def _days(value: float) -> float | None:
    return None if math.isinf(value) else round(value, 3)


def forecast_dict(found: CapacityForecast) -> dict[str, Any]:
    """The wire form (``schemas.capacity.CapacityForecastOut``): shares and counts rounded,
    days beyond any bound as ``None``."""
    f, d, c, w = found.forecast, found.deadline, found.cost, found.workload
    return {
        "project": found.project,
        "today": found.today,
        "vendor": found.vendor,
        "done": found.done,
        "share": round(found.share, 6),
        "remaining": round(found.remaining, 3),
        "workload": {**asdict(w), "total": w.total},
        "observed": asdict(found.observed),
        "overheads": asdict(found.overheads),
        "days": [{"day": day, "annotations": n} for day, n in found.days],
        "headcount_observed": round(found.headcount_observed, 3),
        "headcount_planned": found.headcount_planned,
        "forecast": None
        if f is None
        else {
            "p10_days": _days(f.p10),
            "p50_days": _days(f.p50),
            "p90_days": _days(f.p90),
            "p10_date": found.p10_date,
            "p50_date": found.p50_date,
            "p90_date": found.p90_date,
        },
        "deadline": None if d is None else asdict(d),
        "cost": None
        if c is None
        else {**asdict(c), "projected": c.projected, "over_budget": c.over_budget},
        "notes": list(found.notes),
    }
