"""Billing and service-level rules: which annotations are billed, what they cost, the
percentile of a turnaround histogram, and which weeks breach which target."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.domain.vendor_terms import Money, SlaTargets, terms_from_dict
from labelworks.stats.vendor_billing import (
    Breach,
    Cost,
    Histogram,
    WeekFacts,
    WorkGroup,
    billing_status,
    cost_of,
    percentile,
    sla_breaches,
    turnaround,
)


def test_billing_status_from_review() -> None:
    """No review or accepted: billed; pending: held; fixed: reworked; rejected: rejected."""
    assert [billing_status(s) for s in (None, "accepted", "pending", "fixed", "rejected")] == [
        "billed",
        "billed",
        "held",
        "reworked",
        "rejected",
    ]


def _group(kinds: tuple[str, ...], status: str, count: int, seconds: float) -> WorkGroup:
    return WorkGroup("acme", "p", "2026-W10", kinds, status, count, seconds)  # type: ignore[arg-type]


def test_cost_counts_billed_work_only() -> None:
    """10 choice (0.05) and 4 choice+spans (0.05 + 0.20) billed, 7200 s at 12/h:
    0.50 + 1.00 + 24 = 25.50 over 14 priced; held, reworked and rejected work is free, and
    2 boxes annotations stay unpriced."""
    terms = terms_from_dict(
        {"currency": "USD", "per_annotation": {"choice": 0.05, "spans": 0.2}, "per_hour": 12}
    )
    groups = [
        _group(("choice",), "billed", 10, 3600.0),
        _group(("choice", "spans"), "billed", 4, 3600.0),
        _group(("boxes",), "billed", 2, 100.0),
        _group(("choice",), "held", 5, 500.0),
        _group(("choice",), "reworked", 3, 300.0),
        _group(("choice",), "rejected", 1, 100.0),
    ]
    cost = cost_of(groups, terms)
    assert cost == Cost(Money(Decimal("25.50"), "USD"), 16, 14, 2, ("boxes",), 7300 / 3600)
    per = cost.per_accepted
    assert per is not None and round(per.amount, 6) == Decimal("1.821429")
    assert cost_of(groups, None) == Cost(None, 16, 0, 16, (), 7300 / 3600)


@settings(max_examples=50)
@given(
    st.dictionaries(st.integers(0, 5000), st.integers(1, 50), min_size=1, max_size=40),
    st.floats(1, 100),
)
def test_percentile_is_numpys_inverted_cdf(histogram: dict[int, int], q: float) -> None:
    """The histogram's percentile equals numpy's inverted-CDF percentile of the values."""
    values = np.repeat(list(histogram), list(histogram.values()))
    expected = np.percentile(values, q, method="inverted_cdf")
    assert percentile(histogram, q) == int(expected)
    limit = sorted(histogram)[len(histogram) // 2]
    assert Histogram(histogram).at_most(limit) == int((values <= limit).sum())


def test_turnaround_against_a_target() -> None:
    """Ten submits at 10…100 minutes: P50 50 min, P90 90 min; with a 1.25 h target at P90,
    7 of 10 are within and the target is missed (90 min > 75)."""
    minutes = Histogram({10 * k: 1 for k in range(1, 11)})
    found = turnaround(minutes, 90, 1.25)
    assert (found.n, found.p50, found.p90, found.at_percentile, found.within, found.met) == (
        10,
        50 / 60,
        1.5,
        1.5,
        0.7,
        False,
    )
    assert turnaround(Histogram({}), 90, 1.0).met is None


def test_breaches_per_week() -> None:
    """W10 misses lease-to-submit and volume; W11 is under the floor with too few answers
    to be sure; W12 is clearly under it and still running, so its volume is not judged."""
    sla = SlaTargets(lease_to_submit_hours=1, quality_floor=0.9, weekly_volume=100)
    weeks = [
        WeekFacts("2026-W10", 80, 9, 10, Histogram({30: 5, 120: 5})),
        WeekFacts("2026-W11", 150, 8, 10, Histogram({30: 10})),
        WeekFacts("2026-W12", 10, 50, 100),
    ]
    found = sla_breaches(weeks, sla, {"2026-W10", "2026-W11"})
    assert [(b.week, b.target, b.observed, b.limit, b.certain) for b in found] == [
        ("2026-W10", "lease_to_submit", 2.0, 1.0, True),
        ("2026-W10", "weekly_volume", 80.0, 100.0, True),
        ("2026-W11", "quality_floor", 0.8, 0.9, False),
        ("2026-W12", "quality_floor", 0.5, 0.9, True),
    ]
    assert found[0] == Breach(
        "2026-W10", "lease_to_submit", 2.0, 1.0, "P90 lease to submit 2.0 h, over the 1.0 h target"
    )
    assert "not certain" in found[2].text
