"""The work left in a project, counted in annotations, and what-if scenarios over it.

**Remaining work.** Ordinary items are counted in groups of (annotations they have, their
own target): an item still needs ``max(t - n, 0)`` annotations, ``t`` its own target (a
larger one dynamic overlap or a re-queue gave it) or else the expected overlap. On top of
that, as observed so far:

- *dynamic overlap*: each item not yet judged (short of its first target, without its own
  one) is expected to ask for ``dynamic_extra`` more, the mean raise of the items judged;
- *review*: a share ``review_rate`` of annotations is reviewed and a share
  ``rejection_rate`` of those is rejected and done again; a redone annotation can be
  rejected again, so the rework is ``base · rq / (1 − rq)``;
- *gold*: a share ``gold_rate`` of all annotations is served on gold items, so the
  ordinary work ``w`` comes with ``w · g / (1 − g)`` gold annotations.

**What if.** ``what_if`` recounts the work with other settings (overlap, gold rate, review
rate), scales the daily history by ``headcount / observed_headcount`` when a headcount is
given, forecasts, and prices the work at a rate per annotation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from labelworks.domain.errors import InvalidInput
from labelworks.planning.forecast import SIMULATIONS, Forecast, forecast_completion

MAX_OVERLAP = 100.0


@dataclass(frozen=True, slots=True)
class ItemGroup:
    """``items`` ordinary items with ``submitted`` annotations and ``target`` their own
    target (``None``: the project's overlap)."""

    submitted: int
    target: int | None
    items: int


@dataclass(frozen=True, slots=True)
class Overheads:
    """Shares observed so far (or set in a what-if): ``gold_rate`` of all annotations on
    gold items; ``review_rate`` of ordinary annotations reviewed; ``rejection_rate`` of
    the reviewed ones rejected; ``dynamic_extra`` annotations dynamic overlap asked for
    per judged item, on average."""

    gold_rate: float = 0.0
    review_rate: float = 0.0
    rejection_rate: float = 0.0
    dynamic_extra: float = 0.0

    def checked(self) -> Overheads:
        for name in ("gold_rate", "review_rate", "rejection_rate"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= 1):
                raise InvalidInput(f"{name} must lie between 0 and 1, not {value}")
        if self.gold_rate >= 1:
            raise InvalidInput("gold_rate must be below 1: some annotations must be ordinary")
        if self.review_rate * self.rejection_rate >= 1:
            raise InvalidInput(
                "every annotation reviewed and every one rejected would never finish; "
                "lower the review rate"
            )
        if not (math.isfinite(self.dynamic_extra) and 0 <= self.dynamic_extra <= MAX_OVERLAP):
            raise InvalidInput(f"dynamic_extra must lie between 0 and {MAX_OVERLAP:g}")
        return self


@dataclass(frozen=True, slots=True)
class Workload:
    """The annotations still to do, by where they come from."""

    overlap: float  # the expected overlap items without their own target were counted at
    items: int  # ordinary items
    items_short: int  # ordinary items still short of their target
    ordinary: float  # annotations those items need to reach their targets
    dynamic: float  # expected extra from dynamic overlap
    rework: float  # expected redone after rejection in review
    gold: float  # expected gold annotations served alongside

    @property
    def total(self) -> float:
        return self.ordinary + self.dynamic + self.rework + self.gold


def observed_dynamic_extra(groups: Sequence[ItemGroup], overlap: int) -> float:
    """Mean annotations dynamic overlap added per judged item: items that reached the
    project's overlap or got a target of their own (0 before any was judged)."""
    judged = raised = 0
    for g in groups:
        if g.target is not None or g.submitted >= overlap:
            judged += g.items
            raised += g.items * max((g.target or overlap) - overlap, 0)
    return raised / judged if judged else 0.0


def workload(groups: Sequence[ItemGroup], overlap: float, overheads: Overheads) -> Workload:
    """The remaining work of items in ``groups`` at ``overlap`` with ``overheads`` (module
    docstring).

    >>> w = workload([ItemGroup(0, None, 10), ItemGroup(1, None, 5)], 2, Overheads(0.2))
    >>> (w.ordinary, w.gold, w.total)
    (25.0, 6.25, 31.25)
    """
    if not (math.isfinite(overlap) and 1 <= overlap <= MAX_OVERLAP):
        raise InvalidInput(f"overlap must lie between 1 and {MAX_OVERLAP:g}, not {overlap}")
    rates = overheads.checked()
    items = short = 0
    ordinary = unjudged = 0.0
    for g in groups:
        if g.items < 0 or g.submitted < 0:
            raise InvalidInput("item groups cannot hold negative counts")
        wanted = overlap if g.target is None else max(float(g.target), overlap)
        need = max(wanted - g.submitted, 0.0)
        items += g.items
        if need > 0:
            short += g.items
            ordinary += g.items * need
            if g.target is None:
                unjudged += g.items
    dynamic = unjudged * rates.dynamic_extra
    rq = rates.review_rate * rates.rejection_rate
    rework = (ordinary + dynamic) * rq / (1 - rq)
    gold = (ordinary + dynamic + rework) * rates.gold_rate / (1 - rates.gold_rate)
    return Workload(float(overlap), items, short, ordinary, dynamic, rework, gold)


def finish_date(today: date, days: float) -> date | None:
    """The day work finishes ``days`` future days after ``today`` (a fraction of a day
    ends during that day; 0 is today); ``None`` for never (``math.inf``)."""
    if math.isinf(days):
        return None
    return today + timedelta(days=math.ceil(days))


def days_until(today: date, deadline: date) -> int:
    """Whole future days from tomorrow through ``deadline``; a deadline before tomorrow
    is refused (it leaves no day to work)."""
    left = (deadline - today).days
    if left < 1:
        raise InvalidInput(
            f"the deadline {deadline.isoformat()} is not after today ({today.isoformat()})",
        )
    return left


@dataclass(frozen=True, slots=True)
class Outlook:
    """A scenario's work (the whole project's), forecast and finishing days (``None``:
    beyond any horizon) and cost (``None`` without a rate) of its share."""

    workload: Workload
    forecast: Forecast
    p10_date: date | None
    p50_date: date | None
    p90_date: date | None
    cost: float | None
    speedup: float  # the daily history was multiplied by this (planned / observed people)


def what_if(
    groups: Sequence[ItemGroup],
    *,
    overlap: float,
    overheads: Overheads,
    daily_done: Sequence[float] | npt.ArrayLike,
    today: date,
    headcount: float | None = None,
    observed_headcount: float | None = None,
    rate: float | None = None,
    share: float = 1.0,
    seed: int | np.random.Generator | None = None,
    simulations: int = SIMULATIONS,
) -> Outlook:
    """The work, dates and cost of a scenario: ``groups`` counted at ``overlap`` with
    ``overheads``; the forecast over ``daily_done`` scaled to ``headcount`` people when
    the history was made by ``observed_headcount`` on average; the cost at ``rate`` per
    annotation. ``share`` is the part of the work the history's people do (a vendor's
    share of a project): the forecast and the cost are of that part.

    Rejected annotations are not billed, so the rework costs nothing: the cost is the
    work without it."""
    if not (math.isfinite(share) and 0 < share <= 1):
        raise InvalidInput(f"share must lie in (0, 1], not {share}")
    work = workload(groups, overlap, overheads)
    speedup = 1.0
    if headcount is not None:
        if not (math.isfinite(headcount) and headcount > 0):
            raise InvalidInput(f"headcount must be a positive number, not {headcount}")
        if not observed_headcount or observed_headcount <= 0:
            raise InvalidInput("a headcount needs the people the history was made by")
        speedup = headcount / observed_headcount
    if rate is not None and not (math.isfinite(rate) and rate >= 0):
        raise InvalidInput(f"rate must be a number ≥ 0, not {rate}")
    history = np.asarray(daily_done, dtype=np.float64) * speedup
    forecast = forecast_completion(history, work.total * share, seed=seed, simulations=simulations)
    return Outlook(
        workload=work,
        forecast=forecast,
        p10_date=finish_date(today, forecast.p10),
        p50_date=finish_date(today, forecast.p50),
        p90_date=finish_date(today, forecast.p90),
        cost=None if rate is None else (work.total - work.rework) * share * rate,
        speedup=speedup,
    )
