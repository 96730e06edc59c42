"""People analytics in the core: shares with Wilson intervals, throughput with Poisson
intervals, medians per group, percentiles with intervals, the four warning signs and the
Dawid–Skene matrices, on hand-computed fixtures and against scipy."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, chi2_contingency, poisson

from labelworks.stats import Ratings
from labelworks.stats.aggregation import DawidSkene
from labelworks.stats.people import (
    Percentile,
    Proportion,
    confusion_matrices,
    group_medians,
    histogram,
    hourly_rates,
    percentiles,
    proportions,
)
from labelworks.stats.people_signs import (
    binomial_excess,
    guideline_drop,
    idle_leases,
    straight_lining,
    too_fast,
    two_proportion_test,
)
from labelworks.stats.people_team import TeamInput, team_figures


def test_proportions_carry_wilson_intervals_and_mark_few_answers() -> None:
    """8 of 10 and 15 of 30 are "few answers" (under 20; interval 0.337 wide), 20 of 40
    (0.296 wide) and 30 of 30 are not, nothing answered has no value."""
    found = proportions([8, 15, 20, 30, 0], [10, 30, 40, 30, 0])
    assert [(p.value, p.few) for p in found] == [
        (0.8, True),
        (0.5, True),
        (0.5, False),
        (1.0, False),
        (None, True),
    ]
    assert found[4] == Proportion(0, 0, None, None, None, True)
    assert (round(found[0].low or 0, 4), round(found[0].high or 0, 4)) == (0.4902, 0.9433)
    assert round((found[1].high or 0) - (found[1].low or 0), 3) == 0.337
    assert round((found[2].high or 0) - (found[2].low or 0), 3) == 0.296


@pytest.mark.parametrize(("k", "n"), [(0, 7), (3, 7), (8, 10), (19, 20), (57, 113), (400, 401)])
def test_wilson_intervals_match_scipy(k: int, n: int) -> None:
    """The interval is scipy's Wilson interval (binomtest(...).proportion_ci)."""
    (found,) = proportions([k], [n])
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert found.low == pytest.approx(ci.low, abs=1e-12)
    assert found.high == pytest.approx(ci.high, abs=1e-12)


def test_proportions_refuse_impossible_counts() -> None:
    """More successes than trials is a caller's mistake, said as such."""
    with pytest.raises(ValueError, match="between 0 and trials"):
        proportions([3], [2])


def test_hourly_rates_are_exact_poisson_intervals() -> None:
    """10 annotations in one active hour: 10 an hour, 4.80–18.39 (Garwood); each end is
    where a Poisson count of 10 sits in a 2.5% tail; no time measured gives no rate."""
    ten, none = hourly_rates([10, 3], [3600.0, 0.0])
    assert (ten.value, round(ten.low or 0, 2), round(ten.high or 0, 2)) == (10.0, 4.80, 18.39)
    assert poisson.sf(9, ten.low) == pytest.approx(0.025)
    assert poisson.cdf(10, ten.high) == pytest.approx(0.025)
    assert (none.value, none.low, none.high, none.annotations) == (None, None, None, 3)
    (half,) = hourly_rates([5], [1800.0])
    assert (half.value, half.hours) == (10.0, 0.5)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.one_of(st.floats(0, 1e4, allow_nan=False), st.just(float("nan"))),
        ),
        max_size=60,
    )
)
def test_group_medians_equal_numpy_per_group(rows: list[tuple[int, float]]) -> None:
    """The vectorised medians equal numpy's median of each group's defined values."""
    group = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=np.float64)
    found = group_medians(group, values, 5)
    for g in range(5):
        mine = values[(group == g) & np.isfinite(values)]
        if mine.size == 0:
            assert np.isnan(found[g])
        else:
            assert found[g] == pytest.approx(float(np.median(mine)))


def test_percentiles_say_where_a_value_and_its_interval_stand() -> None:
    """Among 0.5, 0.7 and 0.9 the middle one is the 50th percentile, its interval
    0.5–0.9 the 25th–75th (ties count half); a missing value gets none and is left out."""
    found = percentiles([0.5, 0.7, 0.9, np.nan], [0.3, 0.5, 0.8, np.nan], [0.7, 0.9, 0.95, np.nan])
    assert found == [
        Percentile(0.0, 0.0, 25.0, 2, False),
        Percentile(50.0, 25.0, 75.0, 2, False),
        Percentile(100.0, 100.0, 100.0, 2, False),
        Percentile(None, None, None, 3, False),
    ]
    alone = percentiles([0.4], few=[True])
    assert alone == [Percentile(None, None, None, 0, True)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=30), st.floats(0, 0.3))
def test_percentile_intervals_hold_the_percentile(values: list[float], spread: float) -> None:
    """For any team, each percentile lies in 0–100 and inside its own interval."""
    x = np.array(values)
    for p in percentiles(x, x - spread, x + spread):
        assert p.value is not None and p.low is not None and p.high is not None
        assert 0 <= p.low <= p.value <= p.high <= 100


def test_histogram_spreads_time_per_task_up_to_the_99th_percentile() -> None:
    """100 tasks of 0–99 s in 4 bins up to 98.01 s; the slowest share the last bin."""
    edges, counts = histogram(np.arange(100.0), bins=4)
    assert [round(e, 4) for e in edges] == [0.0, 24.5025, 49.005, 73.5075, 98.01]
    assert counts == [25, 25, 24, 26]
    assert histogram(np.array([np.nan])) == ([], [])


def test_too_fast_against_a_quarter_of_the_team_median() -> None:
    """The team's median person takes 19 s (of 20, 18, 4, 22; the fifth has too few
    answers to count), so the floor is 4.75 s and only the 4 s person is flagged."""
    signs = too_fast(np.array([20.0, 18.0, 4.0, 22.0, 3.0]), np.array([30, 30, 30, 30, 5]))
    assert [s is not None for s in signs] == [False, False, True, False, False]
    flagged = signs[2]
    assert flagged is not None and flagged.evidence == {
        "median_seconds": 4.0,
        "floor_seconds": 4.75,
        "team_median_seconds": 19.0,
        "answers": 30,
    }
    assert "a quarter of the team's typical 19.0 s" in flagged.explanation


def test_too_fast_against_a_set_floor() -> None:
    """With a floor of 19 s set for the project, the 18 s and 4 s people are flagged."""
    signs = too_fast(
        np.array([20.0, 18.0, 4.0, 22.0]), np.array([30, 30, 30, 30]), floor_seconds=19.0
    )
    assert [s is not None for s in signs] == [False, True, True, False]
    first = signs[1]
    assert first is not None and "the project's floor of 19.0 s" in first.explanation


def test_straight_lining_tests_each_label_against_the_rest_of_the_team() -> None:
    """The first person gave 'a' 40 times of 50 where the others gave it 22 of 100: the
    binomial p is scipy's one-sided binomtest, tripled for three labels; the others'
    shares stay near the team's and raise nothing."""
    counts = np.array([[40, 5, 5], [10, 20, 20], [12, 18, 20]])
    signs = straight_lining(counts, ["a", "b", "c"])
    assert [s is not None for s in signs] == [True, False, False]
    sign = signs[0]
    assert sign is not None
    expected = binomtest(40, 50, 0.22, alternative="greater").pvalue
    assert sign.evidence["p_value"] == pytest.approx(expected, rel=1e-9)
    assert sign.evidence["p_adjusted"] == pytest.approx(3 * expected, rel=1e-9)
    assert (sign.evidence["label"], sign.evidence["share"], sign.evidence["team_share"]) == (
        "a",
        0.8,
        0.22,
    )


def test_straight_lining_needs_enough_answers_and_a_real_excess() -> None:
    """Nineteen answers are too few to judge, 10 'b' of 20 where the others give it 26%
    is not unlikely enough (p = 0.017, 0.033 for two labels), and a share 10 points over the
    team's is not "far above" whatever its p-value."""
    few = straight_lining(np.array([[19, 0], [10, 10], [10, 10]]), ["a", "b"])
    near = straight_lining(np.array([[600, 400], [500, 500]]), ["a", "b"])
    assert few == [None, None, None]
    assert near == [None, None]
    assert binomial_excess(0, 10, 0.5) == 1.0


def test_guideline_drop_is_a_two_proportion_test() -> None:
    """18 of 20 before version 2 and 6 of 15 since is a drop (p = 0.0016, the same as
    the uncorrected chi-squared test of the 2×2 table); a rise, or fewer than five gold
    answers on a side, raises nothing."""
    signs = guideline_drop(
        np.array([18, 9, 4]), np.array([20, 10, 4]), np.array([6, 10, 0]), np.array([15, 10, 4]), 2
    )
    assert [s is not None for s in signs] == [True, False, False]
    sign = signs[0]
    assert sign is not None
    table = np.array([[18, 2], [6, 9]])
    expected = chi2_contingency(table, correction=False).pvalue
    assert sign.evidence["p_value"] == pytest.approx(expected, rel=1e-9)
    assert "18 of 20 gold answers right (90%, 95% interval 70%–97%)" in sign.explanation
    assert "6 of 15 (40%, 20%–64%)" in sign.explanation
    assert guideline_drop(np.array([18]), np.array([20]), np.array([6]), np.array([15]), None) == [
        None
    ]
    assert two_proportion_test(5, 5, 5, 5) == 1.0


def test_idle_leases_from_held_time_and_lapses() -> None:
    """With a typical 2 min to submit the limit is 10 min (the minimum): holding a task
    15 min is flagged, 5 min is not; 3 lapsed of 20 leases is, 3 of 40 is not."""
    signs = idle_leases(
        np.array([900.0, 300.0, np.nan, np.nan]),
        np.array([0, 0, 3, 3]),
        np.array([5, 5, 20, 40]),
        120.0,
    )
    assert [s is not None for s in signs] == [True, False, True, False]
    held, lapsed = signs[0], signs[2]
    assert held is not None and held.evidence["limit_seconds"] == 600.0
    assert "held a task for 15 min" in held.explanation
    assert lapsed is not None and "3 of the 20 tasks" in lapsed.explanation


def test_confusion_matrices_are_dawid_skene_per_person() -> None:
    """Each person's matrix is the one DawidSkene fits on the same ratings, put at their
    index; a person with no ratings gets NaN."""
    item = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    annotator = np.array([0, 1, 3, 0, 1, 3, 0, 1, 3, 0, 1, 3])
    label = np.array([0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1])
    found = confusion_matrices(item, annotator, label, 4, 2)
    ratings = Ratings.from_records(
        zip(item.tolist(), [f"p{a}" for a in annotator.tolist()], label.tolist(), strict=True),
        categories=[0, 1],
    )
    fitted = DawidSkene().fit(ratings)
    for k, name in enumerate(ratings.annotators):
        np.testing.assert_allclose(found[int(name[1:])], fitted.confusions_[k])
    assert np.isnan(found[2]).all()
    np.testing.assert_allclose(found[[0, 1, 3]].sum(axis=2), 1.0)
    assert np.isnan(confusion_matrices(item[:3], annotator[:3], label[:3], 4, 2)).all()


def test_team_figures_on_a_small_team() -> None:
    """Three people: throughput from timed work, medians overall and per kind, pooled
    gold, percentiles among the others, and the too-fast person flagged."""
    seconds = [10.0] * 12 + [12.0] * 12 + [2.0] * 12 + [np.nan]
    data = replace(
        TeamInput.empty(3, ["choice"], ["x", "y"]),
        annotator=np.array([0] * 12 + [1] * 12 + [2] * 13),
        seconds=np.array(seconds),
        kind=np.zeros(37, dtype=np.int64),
        gold_before_correct=np.array([4, 3, 1]),
        gold_before_total=np.array([5, 5, 5]),
        gold_after_correct=np.array([5, 0, 0]),
        gold_after_total=np.array([5, 0, 0]),
        review_accepted=np.array([2, 1, 0]),
        review_decided=np.array([2, 2, 2]),
    )
    team = team_figures(data)
    a, b, c = team.people
    assert (a.annotations, a.timed, a.throughput.value, a.median_seconds) == (12, 12, 360.0, 10.0)
    assert (c.annotations, c.timed, c.median_by_kind) == (13, 12, {"choice": 2.0})
    assert c.throughput.value == pytest.approx(1800.0)
    assert (a.gold.successes, a.gold.trials, a.gold_after.value, b.gold_after.value) == (
        9,
        10,
        1.0,
        None,
    )
    assert [p.percentiles["gold"].value for p in team.people] == [100.0, 50.0, 0.0]
    assert [p.percentiles["review"].value for p in team.people] == [100.0, 50.0, 0.0]
    assert [[s.code for s in p.signs] for p in team.people] == [[], [], ["too_fast"]]
    assert (team.annotations, team.median_seconds, team.gold.successes, team.gold.trials) == (
        37,
        10.0,
        13,
        20,
    )
    assert team.throughput.value == pytest.approx(36 / ((120 + 144 + 24) / 3600))
    assert sum(team.counts) == 36
