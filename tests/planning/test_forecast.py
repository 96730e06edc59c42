"""forecast_completion and headcount_needed: known answers, an exact distribution computed
by enumeration, brute-force simulation, refusals and properties."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.domain.errors import InvalidInput
from labelworks.planning import Forecast, forecast_completion, headcount_needed
from labelworks.planning.forecast import completion_days

FAST = settings(max_examples=30, deadline=None)
histories = st.lists(st.integers(0, 200), min_size=1, max_size=30).filter(any)


def test_a_steady_history_forecasts_exact_days() -> None:
    """Every day alike: 250 annotations at 100 a day end halfway through the third day."""
    f = forecast_completion([100, 100, 100], 250, seed=1)
    assert f == Forecast(2.5, 2.5, 2.5)


def test_nothing_remaining_is_done_today_whatever_the_history() -> None:
    """Remaining 0 is 0 days, even before any history exists."""
    assert forecast_completion([], 0) == Forecast(0.0, 0.0, 0.0)
    assert forecast_completion([0, 0], 0) == Forecast(0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("history", "remaining", "message"),
    [
        ([], 10, "daily_done is empty: there is no past throughput to forecast from"),
        ([0, 0, 0], 10, "daily_done has no annotations on any of its 3 days: "
         "there is no pace to forecast from"),
        ([5, -1], 10, "daily_done cannot hold negative counts"),
        ([5, math.nan], 10, "daily_done must hold finite numbers"),
        ([5], -1, "remaining must be a finite number of annotations ≥ 0, not -1"),
        ([5], math.inf, "remaining must be a finite number of annotations ≥ 0, not inf"),
    ],
)  # fmt: skip
def test_bad_histories_and_remaining_are_refused_by_name(
    history: list[float], remaining: float, message: str
) -> None:
    """An empty or idle history, a negative or non-finite count: InvalidInput saying which."""
    with pytest.raises(InvalidInput) as caught:
        forecast_completion(history, remaining)
    assert caught.value.message == message


def exact_law(history: list[int], remaining: int) -> tuple[dict[Fraction, Fraction], Fraction]:
    """The forecast's distribution by enumeration: every resampled history (a multiset of
    the days, with its multinomial probability), then every path of future days drawn
    from it until the work is done. Returns the law of the finite completion times and
    the probability of never finishing (an all-zero resample)."""
    n = len(history)
    law: Counter[Fraction] = Counter()
    never = Fraction(0)
    for picks in itertools.product(range(n), repeat=n):
        resampled = [history[i] for i in picks]
        p_resample = Fraction(1, n**n)
        if not any(resampled):
            never += p_resample
            continue
        day_law = Counter(resampled)
        paths = {0: p_resample}  # annotations done so far → probability
        day = 0
        while paths:
            day += 1
            nxt: dict[int, Fraction] = {}
            for done, p in paths.items():
                for value, count in day_law.items():
                    q = p * Fraction(count, n)
                    if done + value >= remaining:
                        law[day - 1 + Fraction(remaining - done, value)] += q
                    else:
                        nxt[done + value] = nxt.get(done + value, Fraction(0)) + q
            # paths that keep drawing zeros shrink geometrically; drop the negligible tail
            paths = {k: v for k, v in nxt.items() if v > Fraction(1, 10**12)}
    return dict(law), never


def inverse_cdf(law: dict[Fraction, Fraction], q: float) -> float:
    acc = Fraction(0)
    for t in sorted(law):
        acc += law[t]
        if acc >= q:
            return float(t)
    return math.inf


def test_simulations_follow_the_distribution_enumerated_exactly() -> None:
    """Days of 0, 100 and 200 with 450 to go: the simulated completion times have the exact
    law's CDF within four standard errors everywhere, 1/27 of them never finish, and each
    quantile lies within a step of the exact one."""
    law, never = exact_law([0, 100, 200], 450)
    assert never == Fraction(1, 27)
    sims = 50_000
    rng = np.random.default_rng(7)
    days = completion_days(np.array([0.0, 100.0, 200.0]), 450, rng, sims)
    assert np.mean(np.isinf(days)) == pytest.approx(1 / 27, abs=4 * (1 / 27 / sims) ** 0.5)
    acc = Fraction(0)
    for t in sorted(law):
        acc += law[t]
        expected = float(acc)
        se = (expected * (1 - expected) / sims) ** 0.5
        assert np.mean(days <= float(t) + 1e-9) == pytest.approx(expected, abs=4 * se + 1e-9)
    f = forecast_completion([0, 100, 200], 450, seed=8, simulations=sims)
    for q, got in zip((0.1, 0.5, 0.9), (f.p10, f.p50, f.p90), strict=True):
        assert inverse_cdf(law, q - 0.01) <= got <= inverse_cdf(law, q + 0.01)
    assert [inverse_cdf(law, q) for q in (0.1, 0.5, 0.9)] == [2.25, 4.5, 14.25]


def test_a_history_of_mostly_idle_days_has_no_upper_bound() -> None:
    """One productive day in five: a third of the plausible paces are zero, so p90 is inf
    while p10 and p50 are finite."""
    f = forecast_completion([0, 0, 0, 0, 100], 100, seed=3)
    assert math.isinf(f.p90)
    assert 0 < f.p10 <= f.p50 < math.inf


def test_the_same_seed_gives_the_same_forecast() -> None:
    """Seeded forecasts repeat exactly; another seed moves them a little."""
    history = [120, 0, 80, 95, 0, 130, 100]
    a = forecast_completion(history, 2000, seed=11)
    assert forecast_completion(history, 2000, seed=11) == a
    b = forecast_completion(history, 2000, seed=12)
    assert b != a
    assert b.p50 == pytest.approx(a.p50, rel=0.05)


def test_a_far_horizon_finishes_at_each_simulation_s_own_pace() -> None:
    """Past the simulated days (1,000) a simulation ends at its resampled pace: 10 a day
    for 50,000 annotations is 5,000 days."""
    f = forecast_completion([10, 10], 50_000, seed=1, simulations=500)
    assert f == Forecast(5000.0, 5000.0, 5000.0)


@FAST
@given(histories, st.integers(1, 20_000), st.integers(0, 20_000))
def test_more_remaining_never_finishes_sooner(history: list[int], a: int, extra: int) -> None:
    """With the same seed every quantile grows with the remaining work."""
    low = forecast_completion(history, a, seed=5, simulations=500)
    high = forecast_completion(history, a + extra, seed=5, simulations=500)
    assert low.p10 <= high.p10 and low.p50 <= high.p50 and low.p90 <= high.p90


@FAST
@given(histories, st.integers(1, 20_000))
def test_quantiles_are_ordered(history: list[int], remaining: int) -> None:
    """p10 ≤ p50 ≤ p90, all positive."""
    f = forecast_completion(history, remaining, seed=2, simulations=500)
    assert 0 < f.p10 <= f.p50 <= f.p90


@FAST
@given(histories, st.integers(1, 20_000), st.integers(2, 9))
def test_scaling_history_and_work_together_changes_nothing(
    history: list[int], remaining: int, k: int
) -> None:
    """k times the pace for k times the work takes the same days, exactly."""
    base = forecast_completion(history, remaining, seed=9, simulations=300)
    scaled = forecast_completion([k * v for v in history], k * remaining, seed=9, simulations=300)
    assert [scaled.p10, scaled.p50, scaled.p90] == pytest.approx([base.p10, base.p50, base.p90])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(20, 200), min_size=5, max_size=30), st.integers(2, 4))
def test_k_times_the_pace_takes_about_a_kth_of_the_days(history: list[int], k: int) -> None:
    """Scaling the history by k divides the median days by about k (a long horizon: the
    rounding of the last day is small beside it)."""
    remaining = 40 * k * sum(history) / len(history)
    base = forecast_completion(history, remaining, seed=4, simulations=1000)
    faster = forecast_completion([k * v for v in history], remaining, seed=4, simulations=1000)
    assert faster.p50 == pytest.approx(base.p50 / k, rel=0.1)


def test_the_quantile_between_the_kept_ones_is_linear() -> None:
    """Confidence 0.8 reads three quarters of the way from p50 to p90."""
    f = Forecast(2.0, 4.0, 8.0)
    assert [f.quantile(q) for q in (0.05, 0.3, 0.8, 0.95)] == [2.0, 3.0, 7.0, 8.0]
    assert Forecast(1.0, 2.0, math.inf).quantile(0.7) == math.inf


# -- headcount ---------------------------------------------------------------------------


def test_steady_people_need_exactly_the_work_over_their_days() -> None:
    """10 a person-day, 1,000 to do in 10 days: 10 people; one more annotation: 11."""
    assert headcount_needed([10, 10, 10, 10], 1000, 10, 0.8, seed=1) == 10
    assert headcount_needed([10, 10, 10, 10], 1001, 10, 0.8, seed=1) == 11
    assert headcount_needed([10, 10], 0, 10, 0.8) == 0


def brute_force_chance(
    person_days: np.ndarray, people: int, days: int, remaining: float, sims: int
) -> float:
    """Resample the person-days, then draw every person-day of the plan from the resample."""
    rng = np.random.default_rng(99)
    n = person_days.size
    done = np.empty(sims)
    for s in range(sims):
        resampled = person_days[rng.integers(0, n, n)]
        done[s] = resampled[rng.integers(0, n, people * days)].sum()
    return float(np.mean(done >= remaining))


def test_headcount_agrees_with_brute_force_simulation() -> None:
    """The answer is the first headcount whose brute-force chance reaches the confidence."""
    rng = np.random.default_rng(8)
    person_days = np.where(rng.random(120) < 0.2, 0, rng.poisson(40, 120)).astype(float)
    remaining, days = 9_000.0, 15
    needed = headcount_needed(person_days, remaining, days, 0.9, seed=1)
    assert needed == 20
    assert brute_force_chance(person_days, needed, days, remaining, 3000) >= 0.88
    assert brute_force_chance(person_days, needed - 1, days, remaining, 3000) < 0.9


def test_a_confidence_no_headcount_reaches_gives_none() -> None:
    """Two idle person-days in three: 30% of the plausible paces are zero, so 80% is out of
    reach with any number of people."""
    assert headcount_needed([0, 0, 10], 100, 5, 0.8, seed=1) is None
    assert headcount_needed([0, 0, 10], 100, 5, 0.6, seed=1) is not None


@pytest.mark.parametrize(
    ("days_left", "confidence", "message"),
    [
        (0, 0.8, "days_left must be a whole number of days ≥ 1, not 0"),
        (2.5, 0.8, "days_left must be a whole number of days ≥ 1, not 2.5"),
        (5, 1.0, "confidence must lie between 0 and 1, not 1.0"),
    ],
)
def test_headcount_refuses_bad_inputs_by_name(
    days_left: float, confidence: float, message: str
) -> None:
    """No days left, a fractional day or a certainty: InvalidInput naming the argument."""
    with pytest.raises(InvalidInput) as caught:
        headcount_needed([10], 100, days_left, confidence)  # type: ignore[arg-type]
    assert caught.value.message == message


@FAST
@given(st.lists(st.integers(0, 100), min_size=3, max_size=40).filter(lambda h: sum(h) > 50),
       st.integers(1, 50_000), st.integers(0, 50_000), st.integers(1, 60))  # fmt: skip
def test_more_work_never_needs_fewer_people(
    history: list[int], remaining: int, extra: int, days: int
) -> None:
    """With the same seed the headcount grows with the remaining work (``None``, out of
    reach, counting as more than any number)."""
    low = headcount_needed(history, remaining, days, 0.8, seed=3, simulations=500)
    high = headcount_needed(history, remaining + extra, days, 0.8, seed=3, simulations=500)
    assert (math.inf if low is None else low) <= (math.inf if high is None else high)
