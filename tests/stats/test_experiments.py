"""A/B experiments on the operation: the split, the cluster bootstrap against Wilson, Wald and
Newcombe intervals where answers do not cluster, the randomisation test's false-positive
rate on strongly clustered A/A experiments against a naive test's, the design-effect power
against simulation, the ICC against scipy's one-way ANOVA, and the verdict's words."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom, binomtest, chi2_contingency, f_oneway, norm

from labelworks.stats.clustered import (
    affordable,
    anova_icc,
    design_effect,
    normal_power,
    permutation_p,
    unit_sums,
    weighted_medians,
)
from labelworks.stats.experiment_verdict import verdict
from labelworks.stats.experiments import (
    Analysis,
    Answers,
    ArmFigures,
    Difference,
    Estimate,
    ExperimentDataError,
    Power,
    analyze,
    late_arm,
    split,
)

PROPERTY = settings(max_examples=40, deadline=None)
Z = norm.ppf(0.975)


def clustered(
    rng: np.random.Generator,
    per_arm: int,
    size: int,
    rates: tuple[float, float],
    icc: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beta-binomial answers: ``per_arm`` units per arm, ``size`` answers each, each unit's
    accuracy drawn from a Beta with the arm's mean and the given ICC (1 / (a + b + 1))."""
    unit = np.repeat(np.arange(2 * per_arm), size)
    arm = np.repeat(np.repeat([0, 1], per_arm), size)
    if icc == 0:
        p = np.repeat(np.array(rates), per_arm)
    else:
        total = 1 / icc - 1
        means = np.repeat(np.array(rates), per_arm)
        p = rng.beta(means * total, (1 - means) * total)
    right = (rng.random(unit.size) < p[unit]).astype(float)
    return unit, arm, right


def gold_only(unit: np.ndarray, arm: np.ndarray, right: np.ndarray) -> Answers:
    nan = np.full(unit.size, np.nan)
    return Answers(unit.astype(np.int64), arm.astype(np.int64), right, nan, nan)


@pytest.mark.parametrize(
    "name",
    [
        "labelworks.stats.experiments",
        "labelworks.stats.clustered",
        "labelworks.stats.experiment_verdict",
    ],
)
def test_docstring_examples(name: str) -> None:
    """Every docstring example of the experiment modules runs and prints what it shows."""
    result = doctest.testmod(importlib.import_module(name))
    assert (result.failed, result.attempted > 0) == (0, True)


@PROPERTY
@given(st.sets(st.integers(1, 10**6), max_size=60), st.integers(0, 2**31 - 1))
def test_split_is_balanced_and_repeatable(units: set[int], seed: int) -> None:
    """The split covers every unit once, the arms differ by at most one, and the same seed
    gives the same split whatever order the units come in."""
    got = split(sorted(units), seed)
    sizes = [list(got.values()).count(a) for a in (0, 1)]
    assert (set(got), abs(sizes[0] - sizes[1]) <= 1, split(sorted(units, reverse=True), seed)) == (
        units,
        True,
        got,
    )


def test_split_depends_on_the_seed() -> None:
    """Two seeds deal 40 units differently, and each arm gets 20 of them."""
    a, b = split(range(40), 1), split(range(40), 2)
    assert (a != b, sorted(a.values()).count(1), sorted(b.values()).count(1)) == (True, 20, 20)


def test_late_arms_are_a_fair_coin_that_never_moves() -> None:
    """A late unit's arm is the same on every call, and over 10,000 ids the share in the
    second arm lies in the binomial 99.9% band around a half."""
    arms = [late_arm(42, u) for u in range(10_000)]
    low, high = binom.interval(0.999, 10_000, 0.5)
    assert ([late_arm(42, u) for u in range(10_000)] == arms, low <= sum(arms) <= high) == (
        True,
        True,
    )


def test_known_answer_on_four_units() -> None:
    """Two units per arm: the pooled shares, the medians and the randomisation p-value are
    the hand-computed ones (2 of the 6 deals are as extreme as the one observed: p = 1/3)."""
    answers = Answers.of(
        unit=[1, 1, 2, 2, 3, 3, 4, 4],
        arm=[0, 0, 0, 0, 1, 1, 1, 1],
        gold=[1, 0, 0, 0, 1, 1, 1, 1],
        seconds=[4, 6, 8, 10, 2, 3, 3, 5],
    )
    got = analyze(answers, n_boot=200, n_perm=30_000, seed=1)
    d = got.differences["gold_accuracy"]
    assert (
        got.arms[0].gold_accuracy.value,
        got.arms[1].gold_accuracy.value,
        d.value,
        got.arms[0].median_seconds.value,
        got.arms[1].median_seconds.value,
        got.differences["median_seconds"].value,
        got.arms[1].log_seconds.value,
    ) == (
        0.25,
        1.0,
        0.75,
        7.0,
        3.0,
        -4.0,
        pytest.approx(np.log([2, 3, 3, 5]).mean(), rel=1e-12),
    )
    assert d.p_value == pytest.approx(1 / 3, abs=0.01)


def test_no_clustering_matches_wilson_wald_and_newcombe() -> None:
    """With one answer per annotator the cluster bootstrap is the ordinary bootstrap: each
    arm's interval agrees with scipy's Wilson interval and the difference's with the Wald
    and Newcombe (hybrid score) intervals, to Monte Carlo error."""
    rng = np.random.default_rng(7)
    unit, arm, right = clustered(rng, 1500, 1, (0.70, 0.76), 0.0)
    got = analyze(gold_only(unit, arm, right), n_boot=4000, n_perm=200, seed=3)
    k = [int(right[arm == a].sum()) for a in (0, 1)]
    n = [int((arm == a).sum()) for a in (0, 1)]
    wilson = [binomtest(k[a], n[a]).proportion_ci(0.95, method="wilson") for a in (0, 1)]
    p = [k[a] / n[a] for a in (0, 1)]
    se = math.sqrt(sum(p[a] * (1 - p[a]) / n[a] for a in (0, 1)))
    wald = (p[1] - p[0] - Z * se, p[1] - p[0] + Z * se)
    (l0, u0), (l1, u1) = [(w.low, w.high) for w in wilson]
    newcombe = (
        p[1] - p[0] - math.sqrt((p[1] - l1) ** 2 + (u0 - p[0]) ** 2),
        p[1] - p[0] + math.sqrt((u1 - p[1]) ** 2 + (p[0] - l0) ** 2),
    )
    d = got.differences["gold_accuracy"]
    figures = [got.arms[a].gold_accuracy for a in (0, 1)]
    tolerance = 0.006
    assert [(f.low, f.high) for f in figures] == [
        (pytest.approx(w.low, abs=tolerance), pytest.approx(w.high, abs=tolerance)) for w in wilson
    ]
    assert (d.low, d.high) == (
        pytest.approx(wald[0], abs=tolerance),
        pytest.approx(wald[1], abs=tolerance),
    )
    assert (d.low, d.high) == (
        pytest.approx(newcombe[0], abs=tolerance),
        pytest.approx(newcombe[1], abs=tolerance),
    )
    power = got.power["gold_accuracy"]
    assert power is not None
    assert (power.cluster_size, power.design_effect) == (1.0, 1.0)


def test_equal_annotators_do_not_widen_the_interval() -> None:
    """Ten answers per annotator but every annotator alike (ICC 0): the cluster bootstrap's
    interval of the difference is the Wald interval, to Monte Carlo error, and the ICC is
    about 0."""
    rng = np.random.default_rng(11)
    unit, arm, right = clustered(rng, 200, 10, (0.8, 0.8), 0.0)
    got = analyze(gold_only(unit, arm, right), n_boot=4000, n_perm=200, seed=5)
    p = [right[arm == a].mean() for a in (0, 1)]
    se = math.sqrt(sum(q * (1 - q) / 2000 for q in p))
    d = got.differences["gold_accuracy"]
    power = got.power["gold_accuracy"]
    assert power is not None
    assert (d.low, d.high, abs(power.icc) < 0.02) == (
        pytest.approx(p[1] - p[0] - Z * se, abs=0.006),
        pytest.approx(p[1] - p[0] + Z * se, abs=0.006),
        True,
    )


def test_clustered_aa_experiments_hold_five_percent_where_a_naive_test_does_not() -> None:
    """200 A/A experiments, 20 annotators per arm answering 50 gold questions each with
    ICC 0.2: the cluster-level randomisation test rejects at 5% within the binomial 99.9%
    band around 10 of 200, while a chi-square test on the pooled answers rejects far more
    often than 5%."""
    rng = np.random.default_rng(20261213)
    ours, naive = 0, 0
    for _ in range(200):
        unit, arm, right = clustered(rng, 20, 50, (0.8, 0.8), 0.2)
        m = unit_sums(unit, arm, right)
        observed = right[arm == 1].mean() - right[arm == 0].mean()
        p = permutation_p(m, observed, 400, rng)
        assert p is not None
        ours += p < 0.05
        table = [[int(right[arm == a].sum()), int((1 - right[arm == a]).sum())] for a in (0, 1)]
        naive += chi2_contingency(table, correction=False).pvalue < 0.05
    low, high = binom.interval(0.999, 200, 0.05)
    assert (low <= ours <= high, naive / 200 > 0.3) == (True, True), (ours, naive)


def test_design_effect_power_matches_simulation() -> None:
    """The normal approximation with the design effect gives the power the randomisation
    test shows in 200 simulated experiments of the same shape (0.75 against 0.85, 20
    annotators per arm, 30 answers each, ICC 0.05), within 0.1."""
    rng = np.random.default_rng(5)
    rejected = 0
    for _ in range(200):
        unit, arm, right = clustered(rng, 20, 30, (0.75, 0.85), 0.05)
        m = unit_sums(unit, arm, right)
        p = permutation_p(m, right[arm == 1].mean() - right[arm == 0].mean(), 300, rng)
        rejected += p is not None and p < 0.05
    _, deff = design_effect(np.full(40, 30.0), 0.05)
    se = math.sqrt((0.75 * 0.25 + 0.85 * 0.15) / (600 / deff))
    expected = normal_power(0.10, se)
    assert rejected / 200 == pytest.approx(expected, abs=0.1), (rejected, expected)


def test_icc_matches_scipy_one_way_anova() -> None:
    """In one arm the ICC is (F − 1) / (F + n₀ − 1) from scipy's one-way ANOVA F."""
    rng = np.random.default_rng(3)
    sizes = rng.integers(3, 12, size=15)
    groups = np.repeat(np.arange(15), sizes)
    values = rng.normal(size=15)[groups] * 0.7 + rng.normal(size=groups.size)
    f = f_oneway(*[values[groups == g] for g in range(15)]).statistic
    n = sizes.sum()
    n0 = (n - (sizes**2).sum() / n) / 14
    got = anova_icc(groups, np.zeros(groups.size, dtype=np.int64), values)
    assert got == pytest.approx((f - 1) / (f + n0 - 1), rel=1e-10)


def test_icc_within_arms_recovers_the_beta_binomial_one() -> None:
    """Arms with different accuracies (0.6 and 0.9) do not inflate the ICC: on 400 units
    per arm the estimate is the beta-binomial's 0.1 within 0.03."""
    rng = np.random.default_rng(9)
    unit, arm, right = clustered(rng, 400, 20, (0.6, 0.9), 0.1)
    assert anova_icc(unit, arm, right) == pytest.approx(0.1, abs=0.03)


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(1, 30), st.integers(0, 4)), min_size=1, max_size=12),
)
def test_weighted_median_is_numpys(cells: list[tuple[int, int]]) -> None:
    """The median of a sample given as counts per value is ``np.median`` of the sample
    written out."""
    values = np.arange(1.0, 1.0 + len(cells)) * 1.5
    weights = np.array([[float(c) for _, c in cells]])
    written = np.repeat(values, [c for _, c in cells])
    expected = np.median(written) if written.size else np.nan
    assert weighted_medians(weights, values)[0] == pytest.approx(expected, nan_ok=True)


answers_strategy = st.lists(
    st.tuples(
        st.integers(0, 7),  # unit
        st.sampled_from([0.0, 1.0, math.nan]),
        st.sampled_from([0.0, 1.0, math.nan]),
        st.floats(0, 300, allow_nan=False),
    ),
    min_size=4,
    max_size=40,
)


@PROPERTY
@given(answers_strategy, st.integers(0, 1000))
def test_swapping_arms_negates_every_difference(
    rows: list[tuple[int, float, float, float]], seed: int
) -> None:
    """Naming the arms the other way round swaps the arms' figures, negates each difference
    and its interval, and leaves every p-value as it was."""
    unit = [r[0] for r in rows]
    arm = [u % 2 for u in unit]
    data = {"gold": [r[1] for r in rows], "agree": [r[2] for r in rows]}
    seconds = [r[3] for r in rows]
    one = analyze(Answers.of(unit, arm, seconds=seconds, **data), n_boot=50, n_perm=50, seed=seed)
    flipped = [1 - a for a in arm]
    two = analyze(
        Answers.of(unit, flipped, seconds=seconds, **data), n_boot=50, n_perm=50, seed=seed
    )
    assert (two.arms[0], two.arms[1]) == (one.arms[1], one.arms[0])
    for name, d in one.differences.items():
        e = two.differences[name]

        def neg(x: float | None) -> float | None:
            return None if x is None else -x

        assert (e.value, e.low, e.high, e.p_value) == (
            pytest.approx(neg(d.value), abs=1e-12),
            pytest.approx(neg(d.high), abs=1e-9),
            pytest.approx(neg(d.low), abs=1e-9),
            d.p_value,
        ), name


def test_bad_answers_are_refused() -> None:
    """A unit in both arms, a third arm, a gold value that is not 0 or 1 and a minimum
    effect outside (0, 1) are each refused with the reason."""
    cases = [
        (Answers.of([1, 1], [0, 1], gold=[1, 0]), {}),
        (Answers.of([1, 2], [0, 2], gold=[1, 0]), {}),
        (Answers.of([1, 2], [0, 1], gold=[1, 0.5]), {}),
        (Answers.of([1, 2], [0, 1]), {"min_effect": 1.5}),
    ]
    said = []
    for answers, options in cases:
        with pytest.raises(ExperimentDataError) as caught:
            analyze(answers, n_boot=10, n_perm=10, **options)
        said.append(str(caught.value))
    assert said == [
        "each unit belongs to one arm",
        "arms are numbered 0 and 1",
        "gold holds 1 (right), 0 (wrong) or NaN",
        "min_effect must lie strictly between 0 and 1, got 1.5",
    ]


def test_one_unit_per_arm_gives_figures_without_intervals() -> None:
    """With one annotator in an arm the figures stand, the intervals and the test (two
    units allow no re-dealing worth the name) do not, and a note says why."""
    got = analyze(Answers.of([1, 1, 2, 2], [0, 0, 1, 1], gold=[1, 0, 1, 1]), n_boot=50)
    d = got.differences["gold_accuracy"]
    assert (got.arms[0].gold_accuracy, d, got.notes) == (
        Estimate(0.5, None, None, 2, 1),
        Difference(0.5, None, None, None),
        [
            "the first arm has 1 unit(s) with answers: intervals need at least two to resample",
            "the second arm has 1 unit(s) with answers: intervals need at least two to resample",
        ],
    )


def _analysis(gold: Difference, power: Power | None, time: Difference) -> Analysis:
    empty = Estimate(None, None, None, 0, 0)
    arm = ArmFigures(10, 500, empty, empty, empty, empty)
    first = dataclasses.replace(arm, log_seconds=Estimate(math.log(9.2), 2.1, 2.3, 500, 10))
    second = dataclasses.replace(arm, log_seconds=Estimate(math.log(8.1), 2.0, 2.2, 500, 10))
    none = Difference(None, None, None, None)
    return Analysis(
        (first, second),
        {"gold_accuracy": gold, "agreement": none, "log_seconds": time, "median_seconds": none},
        {"gold_accuracy": power, "agreement": None, "log_seconds": None},
        0.95,
        2000,
        2000,
        0,
        0.05,
        0.10,
    )


def test_verdict_reads_a_clear_win_with_its_power() -> None:
    """A clear 6-point gain with 85% power and a clear 12% speed-up read as the sentences
    an operations lead would write."""
    power = Power(0.05, 0.05, 20.0, 1.96, (500.0, 500.0), 0.85, 30)
    speed = Difference(math.log(8.1 / 9.2), math.log(0.81), math.log(0.96), 0.004)
    got = verdict(_analysis(Difference(0.06, 0.02, 0.10, 0.003), power, speed), ("A", "B"))
    assert got == [
        "B is 6 points more accurate on gold than A (95% CI 2–10, p = 0.003).",
        "The experiment had 85% power to detect 5 points in gold accuracy (ICC 0.05, design "
        "effect 2.0).",
        "B takes 12% less time per item than A (geometric mean 8.1 s in B, 9.2 s in A; 95% CI "
        "4%–19%, p = 0.004).",
    ]


def test_verdict_reads_no_difference_and_low_power() -> None:
    """An inconclusive comparison says so, with the interval and what 80% power would take;
    an arm that is behind is named as the one behind."""
    power = Power(0.05, 0.2, 50.0, 10.8, (93.0, 93.0), 0.31, 64)
    none = Difference(0.01, -0.03, 0.05, 0.6)
    worse = Difference(-0.06, -0.10, -0.02, 0.002)
    flat = Difference(0.0, -0.05, 0.05, 0.9)
    assert verdict(_analysis(none, power, flat), ("guide v3", "guide v4"), "annotator")[:2] == [
        "No clear difference in gold accuracy: guide v4 − guide v3 = 1 points (95% CI -3 to 5, "
        "p = 0.6).",
        "The experiment had 31% power to detect 5 points in gold accuracy (ICC 0.20, design "
        "effect 10.8); about 64 annotators per arm, each giving about 50 answers, would give "
        "80%.",
    ]
    assert verdict(_analysis(worse, None, flat), ("A", "B"))[0] == (
        "A is 6 points more accurate on gold than B (95% CI 2–10, p = 0.002)."
    )


def test_resampling_is_bounded_on_big_experiments() -> None:
    """Resamples and re-deals are as asked up to 5,000 units, then about 10 million
    unit-cells in all, never below 200 (nor above what was asked)."""
    assert [affordable(2000, n) for n in (40, 5_000, 20_000, 10**6)] + [affordable(100, 10**6)] == [
        2000,
        2000,
        500,
        200,
        100,
    ]
