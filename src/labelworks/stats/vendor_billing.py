"""What a vendor is owed and whether it kept its service levels, as pure rules over counts.

Billing. An annotation is billed when it is in the data set (not set aside) and review did
not refuse it: no review, or a review that accepted it. One whose review is still pending
is *held* (billed once accepted); one a reviewer had to fix is *reworked*, and one rejected
is *rejected*: neither is billed. Set-aside annotations (rejected in review, a paused
annotator's work sent back, work re-queued by a guideline change) are out of the data set
and never billed; the annotation redone in their place is billed like any other. An
annotation costs the card's rate for the kind of each field it answered, plus the hourly
rate times its active seconds.

Service levels. Turnarounds are kept as histograms of minutes, counted in whole steps
rounded up (so none is reported shorter than it was); a percentile is the smallest observed
value with at least that share of observations at or below it (numpy's ``inverted_cdf``),
so "P90 ≤ 24 h" reads exactly as "at least 90% within 24 hours".
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate
from typing import Literal

from labelworks.domain.gold import wilson_bounds
from labelworks.domain.vendor_terms import Money, SlaTargets, VendorTerms, decimal_of

Status = Literal["billed", "held", "reworked", "rejected"]
STATUSES: tuple[Status, ...] = ("billed", "held", "reworked", "rejected")


def billing_status(review: str | None) -> Status:
    """How an annotation still in the data set is billed, from its review's status."""
    if review is None or review == "accepted":
        return "billed"
    if review == "pending":
        return "held"
    if review == "fixed":
        return "reworked"
    return "rejected"


@dataclass(frozen=True, slots=True)
class WorkGroup:
    """Annotations of one vendor (``None``: in-house) in one project and ISO week that
    answered fields of the same ``kinds`` and share a billing ``status``; ``seconds`` is
    their active time in all."""

    vendor: str | None
    project: str
    week: str
    kinds: tuple[str, ...]
    status: Status
    count: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Cost:
    """The cost of the billed annotations: ``amount`` (``None`` when none could be
    priced), how many were billed, priced and left unpriced (the card prices annotations
    but not the ``missing`` kinds), and their active hours."""

    amount: Money | None
    billed: int
    priced: int
    unpriced: int
    missing: tuple[str, ...]
    hours: float

    @property
    def per_accepted(self) -> Money | None:
        """Cost per accepted (billed and priced) annotation."""
        return None if self.amount is None else self.amount.per(self.priced)


def cost_of(groups: Iterable[WorkGroup], terms: VendorTerms | None) -> Cost:
    """What ``terms`` charge for the billed annotations among ``groups``."""
    billed = priced = 0
    seconds = 0.0
    missing: set[str] = set()
    amount: Money | None = None
    for g in groups:
        if g.status != "billed":
            continue
        billed += g.count
        seconds += g.seconds
        if terms is None or not terms.priced:
            continue
        gaps = terms.missing(g.kinds)
        if gaps:
            missing.update(gaps)
            continue
        part = Decimal(0)
        for kind in g.kinds if terms.per_annotation else ():
            part += decimal_of(terms.per_annotation[kind]) * g.count
        if terms.per_hour is not None:
            part += decimal_of(terms.per_hour) * decimal_of(g.seconds) / 3600
        here = Money(part, terms.currency)
        amount = here if amount is None else amount + here
        priced += g.count
    return Cost(amount, billed, priced, billed - priced, tuple(sorted(missing)), seconds / 3600)


class Histogram:
    """Counts of whole minutes, sorted once so a percentile or a share below a limit is a
    binary search (a vendor's year of turnarounds is read on every page view)."""

    __slots__ = ("_cumulative", "_values", "n")

    def __init__(self, counts: Mapping[int, int]) -> None:
        self._values = sorted(counts)
        self._cumulative = list(accumulate(counts[v] for v in self._values))
        self.n = self._cumulative[-1] if self._cumulative else 0

    def percentile(self, q: float) -> int | None:
        """The ``q``-th percentile (0 < q ≤ 100): the smallest value with at least ``q`` %
        of the counts at or below it; ``None`` when empty."""
        if not self.n:
            return None
        need = math.ceil(Fraction(str(q)) * self.n / 100)
        return self._values[min(bisect_left(self._cumulative, need), len(self._values) - 1)]

    def at_most(self, limit: float) -> int:
        """How many values are at or below ``limit``."""
        index = bisect_right(self._values, limit)
        return self._cumulative[index - 1] if index else 0


EMPTY = Histogram({})


def percentile(histogram: Mapping[int, int], q: float) -> int | None:
    """The ``q``-th percentile of values given as {value: count} (see ``Histogram``)."""
    return Histogram(histogram).percentile(q)


@dataclass(frozen=True, slots=True)
class Turnaround:
    """Turnaround in hours over ``n`` observations: median, P90, the value at the SLA's
    percentile, the share within the target, and whether the target is met (``None``:
    no target or no data)."""

    n: int
    p50: float | None
    p90: float | None
    at_percentile: float | None
    percentile: float
    target: float | None
    within: float | None
    met: bool | None


def turnaround(minutes: Histogram, q: float, target_hours: float | None) -> Turnaround:
    """The turnaround of a histogram of minutes against ``target_hours`` at ``q``."""
    n = minutes.n

    def hours(p: float) -> float | None:
        found = minutes.percentile(p)
        return None if found is None else found / 60

    at = hours(q)
    within = met = None
    if target_hours is not None and n:
        within = minutes.at_most(target_hours * 60) / n
        met = at is not None and at <= target_hours
    return Turnaround(n, hours(50), hours(90), at, q, target_hours, within, met)


@dataclass(frozen=True, slots=True)
class Proportion:
    """``hits`` of ``n`` with the 95% Wilson interval (all ``None`` when ``n`` is 0)."""

    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def low(self) -> float | None:
        return wilson_bounds(self.hits, self.n)[0] if self.n else None

    @property
    def high(self) -> float | None:
        return wilson_bounds(self.hits, self.n)[1] if self.n else None


@dataclass(slots=True)
class WeekFacts:
    """One ISO week of a vendor's work: annotations delivered (billed or held), gold
    answers and how many were right, and turnaround histograms in minutes."""

    week: str
    delivered: int = 0
    gold_correct: int = 0
    gold_total: int = 0
    lease: Histogram = EMPTY
    final: Histogram = EMPTY


def hours_text(hours: float) -> str:
    """A duration for people: minutes under an hour, else hours to a tenth."""
    return f"{round(hours * 60)} min" if hours < 1 else f"{hours:.1f} h"


Target = Literal["lease_to_submit", "import_to_final", "quality_floor", "weekly_volume"]


@dataclass(frozen=True, slots=True)
class Breach:
    """A week that missed a target: what was observed against the limit, in words too.
    ``certain`` is false for a gold accuracy below the floor whose interval still reaches
    it (few answers): worth watching, not yet a breach."""

    week: str
    target: Target
    observed: float
    limit: float
    text: str
    certain: bool = True


def sla_breaches(weeks: Iterable[WeekFacts], sla: SlaTargets, full_weeks: set[str]) -> list[Breach]:
    """Each week's missed targets, oldest week first. Weekly volume is judged only in
    ``full_weeks`` (weeks wholly inside the period and over): a week still running or cut
    by the period's edge has not had its chance yet."""
    q = sla.percentile
    found: list[Breach] = []
    for w in sorted(weeks, key=lambda w: w.week):
        for target, histogram, limit in (
            ("lease_to_submit", w.lease, sla.lease_to_submit_hours),
            ("import_to_final", w.final, sla.import_to_final_hours),
        ):
            at = histogram.percentile(q)
            if limit is not None and at is not None and at / 60 > limit:
                what = "lease to submit" if target == "lease_to_submit" else "import to final label"
                found.append(
                    Breach(
                        w.week,
                        target,  # type: ignore[arg-type]
                        at / 60,
                        limit,
                        f"P{q:g} {what} {hours_text(at / 60)}, over the {hours_text(limit)} target",
                    )
                )
        floor = sla.quality_floor
        if floor is not None and w.gold_total:
            accuracy = Proportion(w.gold_correct, w.gold_total)
            value, high = accuracy.value or 0.0, accuracy.high or 0.0
            if value < floor:
                certain = high < floor
                found.append(
                    Breach(
                        w.week,
                        "quality_floor",
                        value,
                        floor,
                        f"gold accuracy {value:.1%} ({w.gold_correct}/{w.gold_total}) under the "
                        f"{floor:.0%} floor"
                        + ("" if certain else f"; its interval reaches {high:.1%}: not certain"),
                        certain,
                    )
                )
        volume = sla.weekly_volume
        if volume is not None and w.week in full_weeks and w.delivered < volume:
            found.append(
                Breach(
                    w.week,
                    "weekly_volume",
                    float(w.delivered),
                    float(volume),
                    f"{w.delivered:,} annotations delivered, under the {volume:,} a week agreed",
                )
            )
    return found
