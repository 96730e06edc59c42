"""Remaining work in annotations and what-if scenarios, on hand-computed cases."""

from __future__ import annotations

import math
from datetime import date

import pytest

from labelworks.domain.errors import InvalidInput
from labelworks.planning import (
    Forecast,
    ItemGroup,
    Overheads,
    Workload,
    days_until,
    finish_date,
    observed_dynamic_extra,
    what_if,
    workload,
)

# 10 untouched items, 4 with one annotation, 3 complete at overlap 2, 2 raised to 4 by
# dynamic overlap with 3 so far, 1 raised to 3 and done.
GROUPS = [
    ItemGroup(0, None, 10),
    ItemGroup(1, None, 4),
    ItemGroup(2, None, 3),
    ItemGroup(3, 4, 2),
    ItemGroup(3, 3, 1),
]


def test_dynamic_overlap_s_raise_is_averaged_over_the_judged_items() -> None:
    """Judged: 3 at 2 (raised 0), 2 raised to 4 (+2 each) and 1 raised to 3 (+1): 5/6."""
    assert observed_dynamic_extra(GROUPS, 2) == pytest.approx(5 / 6)
    assert observed_dynamic_extra([ItemGroup(0, None, 5)], 2) == 0.0


def test_the_work_left_adds_each_overhead_on_the_one_before() -> None:
    """Ordinary 10·2 + 4·1 + 2·1 = 26; dynamic 14 unjudged × 0.5 = 7; rework 33 · 0.1/0.9;
    gold a fifth of everything: (33 + 3.667) · 0.25."""
    rates = Overheads(gold_rate=0.2, review_rate=0.5, rejection_rate=0.2, dynamic_extra=0.5)
    w = workload(GROUPS, 2, rates)
    rework = 33 * 0.1 / 0.9
    assert w == Workload(
        overlap=2.0,
        items=20,
        items_short=16,
        ordinary=26.0,
        dynamic=7.0,
        rework=pytest.approx(rework),
        gold=pytest.approx((33 + rework) * 0.25),
    )
    assert w.total == pytest.approx((33 + rework) / 0.8)


def test_a_higher_overlap_recounts_every_item_without_its_own_larger_target() -> None:
    """At overlap 3: 10·3 + 4·2 + 3·1 + (target 4) 2·1 + (target 3 → 3) 0 = 43."""
    w = workload(GROUPS, 3, Overheads())
    assert (w.ordinary, w.items_short, w.total) == (43.0, 19, 43.0)


@pytest.mark.parametrize(
    ("overlap", "rates", "message"),
    [
        (0, Overheads(), "overlap must lie between 1 and 100, not 0"),
        (math.nan, Overheads(), "overlap must lie between 1 and 100, not nan"),
        (2, Overheads(gold_rate=1.0),
         "gold_rate must be below 1: some annotations must be ordinary"),
        (2, Overheads(review_rate=1.5), "review_rate must lie between 0 and 1, not 1.5"),
        (2, Overheads(review_rate=1, rejection_rate=1),
         "every annotation reviewed and every one rejected would never finish; "
         "lower the review rate"),
    ],
)  # fmt: skip
def test_impossible_settings_are_refused_by_name(
    overlap: float, rates: Overheads, message: str
) -> None:
    """An overlap under 1, all gold, a share above 1, endless rework: InvalidInput."""
    with pytest.raises(InvalidInput) as caught:
        workload(GROUPS, overlap, rates)
    assert caught.value.message == message


def test_finish_dates_round_a_part_day_up_and_never_is_none() -> None:
    """2.5 future days end on the third day; 0 is today; inf has no date."""
    today = date(2026, 12, 3)
    assert finish_date(today, 2.5) == date(2026, 12, 6)
    assert finish_date(today, 3.0) == date(2026, 12, 6)
    assert finish_date(today, 0) == today
    assert finish_date(today, math.inf) is None


def test_days_until_a_deadline_and_a_deadline_already_gone() -> None:
    """Tomorrow is one day; today or earlier is refused, naming the date."""
    today = date(2026, 12, 3)
    assert days_until(today, date(2026, 12, 4)) == 1
    assert days_until(today, date(2026, 12, 31)) == 28
    with pytest.raises(InvalidInput) as caught:
        days_until(today, date(2026, 12, 3))
    assert caught.value.message == "the deadline 2026-12-03 is not after today (2026-12-03)"


def test_what_if_gives_work_dates_and_cost_and_doubles_the_pace_with_the_people() -> None:
    """26 annotations at 4 a day: 6.5 days (the 7th day); with 4 people where 2 worked,
    3.25 days; the cost is the work times the rate."""
    today = date(2026, 12, 3)
    base = what_if(GROUPS, overlap=2, overheads=Overheads(), daily_done=[4, 4], today=today,
                   rate=0.5)  # fmt: skip
    assert base.forecast == Forecast(6.5, 6.5, 6.5)
    assert (base.p10_date, base.p50_date, base.p90_date) == (date(2026, 12, 10),) * 3
    assert (base.workload.total, base.cost, base.speedup) == (26.0, 13.0, 1.0)
    more = what_if(GROUPS, overlap=2, overheads=Overheads(), daily_done=[4, 4], today=today,
                   headcount=4, observed_headcount=2)  # fmt: skip
    assert more.forecast == Forecast(3.25, 3.25, 3.25)
    assert (more.p50_date, more.cost, more.speedup) == (date(2026, 12, 7), None, 2.0)


def test_what_if_refuses_a_headcount_without_the_people_behind_the_history() -> None:
    """A planned headcount needs the observed one to scale by; a negative rate is refused."""
    kwargs = {"overlap": 2, "overheads": Overheads(), "daily_done": [4], "today": date(2026, 1, 1)}
    with pytest.raises(InvalidInput) as caught:
        what_if(GROUPS, headcount=3, **kwargs)  # type: ignore[arg-type]
    assert caught.value.message == "a headcount needs the people the history was made by"
    with pytest.raises(InvalidInput) as caught:
        what_if(GROUPS, rate=-1, **kwargs)  # type: ignore[arg-type]
    assert caught.value.message == "rate must be a number ≥ 0, not -1"
