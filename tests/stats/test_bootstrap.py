"""bootstrap_ci: the vectorised path, the generic fallback, BCa against hand-worked numbers and
scipy, its fallbacks and properties (coverage simulations: test_bootstrap_coverage.py)."""

from __future__ import annotations

import doctest
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from labelworks.stats import InvalidRatingsError, Ratings, bootstrap, intervals
from labelworks.stats.agreement import (
    bootstrap_ci,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    icc,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)
from labelworks.stats.bootstrap import bootstrap_interval, jackknife_values, resample_values
from labelworks.stats.intervals import Interval, bca_interval, percentile_interval

VECTORISED = [
    (percent_agreement, {}),
    (fleiss_kappa, {}),
    (fleiss_kappa, {"weights": "linear"}),
    (conger_kappa, {}),
    (gwet_ac1, {}),
    (gwet_ac2, {"weights": "quadratic"}),
    (brennan_prediger, {}),
    (krippendorff_alpha, {"level": "nominal"}),
    (krippendorff_alpha, {"level": "ordinal"}),
    (krippendorff_alpha, {"level": "interval"}),
    (krippendorff_alpha, {"level": "ratio"}),
]


def _scipy_rng(seed: int) -> dict[str, Any]:
    """scipy.stats.bootstrap's generator argument: ``rng`` since scipy 1.15,
    ``random_state`` before (the lowest supported versions run these tests too)."""
    import inspect

    from scipy import stats

    name = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
    return {name: np.random.default_rng(seed)}


def noisy(items: int, raters: int, seed: int, accuracy: float = 0.7, q: int = 4) -> Ratings:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, q, items)
    m = np.where(rng.random((items, raters)) < accuracy, truth[:, None],
                 rng.integers(0, q, (items, raters))).astype(float)  # fmt: skip
    m[rng.random(m.shape) < 0.2] = np.nan
    m[:, :2] = np.where(np.isnan(m[:, :2]), truth[:, None], m[:, :2])
    return Ratings.from_matrix(m)


@pytest.mark.parametrize(("metric", "kwargs"), VECTORISED)
def test_vectorised_resamples_equal_recomputation(metric, kwargs) -> None:
    """Sufficient-statistic resamples equal recomputing the metric on the same resamples."""
    r = noisy(30, 4, seed=5)

    def plain(t: Ratings, **kw: object) -> float:
        return metric(t, **kw)

    fast = resample_values(metric, r, 25, np.random.default_rng(9), **kwargs)
    slow = resample_values(plain, r, 25, np.random.default_rng(9), **kwargs)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_two_rater_metrics_vectorised() -> None:
    """Cohen's kappa and Scott's pi resample vectorised too, equal to recomputation."""
    r = noisy(40, 2, seed=2)
    for metric in (cohen_kappa, scott_pi):
        fast = resample_values(metric, r, 20, np.random.default_rng(1))
        slow = resample_values(lambda t, m=metric: m(t), r, 20, np.random.default_rng(1))
        np.testing.assert_allclose(fast, slow, rtol=1e-9)


def test_seed_makes_interval_reproducible() -> None:
    """The same seed gives the same interval; the estimate is the plain coefficient."""
    r = noisy(50, 3, seed=4)
    a = bootstrap_ci(krippendorff_alpha, r, n_resamples=200, seed=7, level="ordinal")
    b = bootstrap_ci(krippendorff_alpha, r, n_resamples=200, seed=7, level="ordinal")
    assert a == b
    assert a[0] == krippendorff_alpha(r, "ordinal")
    assert a[1] < a[0] < a[2]


def test_generic_fallback_for_icc() -> None:
    """A metric without item statistics (ICC) is recomputed per resample."""
    rng = np.random.default_rng(0)
    true = rng.normal(size=40)
    m = true[:, None] + rng.normal(scale=0.5, size=(40, 3))
    est, low, high = bootstrap_ci(
        icc, Ratings.from_matrix(m), n_resamples=100, seed=1, form="ICC(2,1)"
    )
    assert (round(est, 10), low < est < high) == (round(icc(Ratings.from_matrix(m)), 10), True)


def test_bad_arguments() -> None:
    """Too few resamples or a confidence outside (0, 1) raise InvalidRatingsError."""
    r = noisy(10, 3, seed=0)
    with pytest.raises(InvalidRatingsError, match="n_resamples"):
        bootstrap_ci(fleiss_kappa, r, n_resamples=1)
    with pytest.raises(InvalidRatingsError, match="confidence"):
        bootstrap_ci(fleiss_kappa, r, confidence=95)


def test_bad_method() -> None:
    """An unknown interval method raises InvalidRatingsError naming the choices."""
    with pytest.raises(InvalidRatingsError, match=r"unknown method 'student'.*'bca'"):
        bootstrap_ci(fleiss_kappa, noisy(10, 3, seed=0), method="student")


def leave_one_out(metric, r: Ratings, **kwargs: object) -> np.ndarray:
    """The jackknife the slow way: the metric recomputed without each item."""
    every = np.arange(r.n_items)
    return np.array([metric(r.take_items(np.delete(every, i)), **kwargs) for i in every])


@pytest.mark.parametrize(("metric", "kwargs"), VECTORISED)
def test_vectorised_jackknife_equals_recomputation(metric, kwargs) -> None:
    """Leave-one-item-out values from the column totals equal recomputing without the item."""
    r = noisy(25, 4, seed=3)
    np.testing.assert_allclose(
        jackknife_values(metric, r, **kwargs), leave_one_out(metric, r, **kwargs), rtol=1e-9
    )


def test_two_rater_jackknife_vectorised() -> None:
    """Cohen's kappa and Scott's pi jackknife vectorised too, equal to recomputation."""
    r = noisy(20, 2, seed=8)
    for metric in (cohen_kappa, scott_pi):
        np.testing.assert_allclose(jackknife_values(metric, r), leave_one_out(metric, r), rtol=1e-9)


def test_generic_jackknife_leaves_out_items_then_groups(monkeypatch) -> None:
    """A metric without item statistics is recomputed without each item, and above the
    group limit without each interleaved group of item codes ``g, g + groups, ...``."""
    rng = np.random.default_rng(5)
    m = rng.normal(size=(10, 1)) + rng.normal(scale=0.5, size=(10, 3))
    r = Ratings.from_matrix(m)
    single = jackknife_values(icc, r)
    np.testing.assert_allclose(single, leave_one_out(icc, r), rtol=1e-12)
    monkeypatch.setattr(bootstrap, "_GENERIC_JACKKNIFE", 4)
    groups = [np.flatnonzero(np.arange(10) % 4 != g) for g in range(4)]
    np.testing.assert_allclose(
        jackknife_values(icc, r), [icc(r.take_items(keep)) for keep in groups], rtol=1e-12
    )


def test_large_vectorised_jackknife_deletes_groups(monkeypatch) -> None:
    """Past the cell budget the vectorised jackknife deletes interleaved groups of items (as
    many as fit, at least the generic group count), equal to recomputing without each."""
    r = noisy(30, 3, seed=4)
    monkeypatch.setattr(bootstrap, "_JACKKNIFE_CELLS", 1)
    monkeypatch.setattr(bootstrap, "_GENERIC_JACKKNIFE", 7)
    groups = [np.flatnonzero(np.arange(30) % 7 != g) for g in range(7)]
    expected = [fleiss_kappa(r.take_items(keep)) for keep in groups]
    np.testing.assert_allclose(jackknife_values(fleiss_kappa, r), expected, rtol=1e-9)


def test_bca_hand_worked_example() -> None:
    """BCa of replicates 1..10 around 4.5 with jackknife values (0, 0, 0, 1) at 80% is
    [1.179791, 7.772240], as worked by hand below."""
    # z0 = Φ⁻¹(8/20) = -0.253347 (4 replicates below 4.5, none equal); d = 0.25 - (0, 0, 0, 1)
    # gives Σd² = 0.75, Σd³ = -0.375 and a = -0.375 / (6 · 0.75^1.5) = -0.096225. At 80%,
    # z = ∓1.281552: α₁ = Φ(z0 + (-1.534899 / 0.852304)) = Φ(-2.054232) = 0.019977 and
    # α₂ = Φ(z0 + 1.028204 / 1.098939) = Φ(0.682287) = 0.752471; the linear quantiles of
    # 1..10 there are 1 + 9α: 1.179791 and 7.772240.
    got = bca_interval(4.5, np.arange(1.0, 11.0), np.array([0.0, 0.0, 0.0, 1.0]), 0.8)
    assert got == Interval(
        pytest.approx(1.179791, abs=1e-6), pytest.approx(7.772240, abs=1e-6), "bca"
    )


def test_bca_is_percentile_when_symmetric_and_unbiased() -> None:
    """Replicates symmetric about the estimate (z0 = 0) and a symmetric jackknife (a = 0)
    give exactly the percentile interval's levels."""
    half = np.random.default_rng(2).gamma(2.0, size=500)
    replicates = 0.4 + np.concatenate([half, -half])
    jackknife = 0.4 + np.array([-0.03, -0.01, 0.0, 0.01, 0.03])
    for confidence in (0.8, 0.9, 0.95, 0.99):
        bca = bca_interval(0.4, replicates, jackknife, confidence)
        pct = percentile_interval(replicates, confidence)
        assert (bca.method, bca.low, bca.high) == (
            "bca",
            pytest.approx(pct.low, abs=1e-12),
            pytest.approx(pct.high, abs=1e-12),
        )


NO_JACKKNIFE = "the coefficient is undefined without some item (jackknife)"
ONE_SIDED = "every resample lies on one side of the estimate (infinite bias correction)"
# one jackknife outlier: d = (-0.01, ..., 0.99), a = 0.9702 / (6 · 0.99^1.5) = 0.1642; with
# z0 = Φ⁻¹(4/6) = 0.4307 and z = 6.1094 at 1 - 1e-9, a (z0 + z) = 1.074 ≥ 1
OUTLIER = [0.0] * 99 + [-1.0]


@pytest.mark.parametrize(
    ("estimate", "replicates", "jackknife", "confidence", "reason"),
    [
        (np.nan, [0.1, 0.2, 0.3], [0, 1], 0.9, "the coefficient is undefined on the sample"),
        (0.2, [0.1, np.nan, 0.3], [0, 1], 0.9, "the coefficient is undefined on 1 of 3 resamples"),
        (0.2, [0.5, 0.5, 0.5], [0, 1], 0.9, "every resample gives the same value"),
        (0.2, [0.3, 0.4, 0.5], [0, 1], 0.9, ONE_SIDED),
        (0.2, [0.1, 0.2, 0.3], [0, np.nan], 0.9, NO_JACKKNIFE),
        (
            0.2,
            [0.1, 0.2, 0.3],
            [0.7, 0.7, 0.7],
            0.9,
            "the jackknife variance is 0 (no acceleration)",
        ),
        (
            0.25,
            [0.1, 0.2, 0.3],
            OUTLIER,
            1 - 1e-9,
            "the acceleration 0.164 is too large for the adjustment",
        ),
    ],
)
def test_bca_falls_back_to_percentile_with_the_reason(
    estimate, replicates, jackknife, confidence, reason
) -> None:
    """Where BCa is undefined the interval is the percentile interval, with the reason."""
    reps = np.array(replicates, dtype=float)
    pct = percentile_interval(reps, confidence)
    got = bca_interval(estimate, reps, np.array(jackknife, dtype=float), confidence)
    assert got == Interval(pct.low, pct.high, "percentile", reason)


def test_degenerate_ratings_fall_back() -> None:
    """On ratings, perfect agreement gives a point interval at 1 (every resample equal), a
    single category an undefined coefficient and interval, and two items undefined resamples."""
    perfect = Ratings.from_matrix([[c, c, c] for c in [0, 1, 2] * 7])
    same = Ratings.from_matrix([[1, 1, 1]] * 5)
    few = Ratings.from_matrix([[0, 0], [1, 1]])
    got = [
        bootstrap_interval(fleiss_kappa, t, n_resamples=200, seed=1) for t in (perfect, same, few)
    ]
    assert [(g.method, g.reason) for g in got] == [
        ("percentile", "every resample gives the same value"),
        ("percentile", "the coefficient is undefined on the sample"),
        (
            "percentile",
            f"the coefficient is undefined on {got[2].reason.split()[5]} of 200 resamples",
        ),
    ]
    np.testing.assert_equal(
        [(g.estimate, g.low, g.high) for g in got[:2]], [(1, 1, 1), [np.nan] * 3]
    )


def test_percentile_method_reads_the_resamples() -> None:
    """method="percentile" is the 2.5th and 97.5th percentiles of the same-seed resamples."""
    r = noisy(40, 3, seed=6)
    reps = resample_values(fleiss_kappa, r, 300, np.random.default_rng(4))
    est = fleiss_kappa(r)
    low, high = np.percentile(reps, [2.5, 97.5])
    expected = (est, min(low, est), max(high, est))
    assert bootstrap_ci(fleiss_kappa, r, 300, seed=4, method="percentile") == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    ("metric", "raters", "kwargs"),
    [
        (cohen_kappa, 2, {}),
        (fleiss_kappa, 3, {}),
        (krippendorff_alpha, 4, {"level": "nominal"}),
        (krippendorff_alpha, 3, {"level": "ordinal"}),
        (gwet_ac1, 3, {}),
    ],
)
def test_bca_equals_scipy_on_the_same_resamples(metric, raters, kwargs) -> None:
    """scipy.stats.bootstrap(method="BCa") over item indices, fed the same generator, draws
    the same resamples and gives the same interval (to rounding)."""
    r = noisy(45, raters, seed=raters)

    def on_items(idx: np.ndarray) -> float:
        return metric(r.take_items(idx.astype(np.int64)), **kwargs)

    ref = scipy_stats.bootstrap(
        (np.arange(r.n_items),), on_items, vectorized=False, n_resamples=1000,
        confidence_level=0.9, method="BCa", **_scipy_rng(11),
    )  # fmt: skip
    ours = bootstrap_interval(metric, r, 1000, 0.9, seed=11, **kwargs)
    ci = ref.confidence_interval
    assert (ours.method, ours.low, ours.high) == (
        "bca",
        pytest.approx(ci.low, abs=1e-12),
        pytest.approx(ci.high, abs=1e-12),
    )


def test_bca_generic_metric_agrees_with_scipy_within_monte_carlo_error() -> None:
    """For ICC (recomputed per resample, on other draws than scipy's) both BCa endpoints lie
    within 0.35 bootstrap SDs of scipy's, 4 Monte-Carlo SEs of their difference."""
    # an endpoint's SE ≈ SD · √(0.025 · 0.975 / 2000) / φ(1.96) ≈ 0.06 SD; of the difference
    # of two independent ones ≈ 0.085 SD
    rng = np.random.default_rng(12)
    m = rng.normal(size=(40, 1)) + rng.normal(scale=0.7, size=(40, 3))
    r = Ratings.from_matrix(m)
    ref = scipy_stats.bootstrap(
        (np.arange(40),), lambda idx: icc(r.take_items(idx.astype(np.int64))),
        vectorized=False, n_resamples=2000, method="BCa", **_scipy_rng(1),
    )  # fmt: skip
    ours = bootstrap_interval(icc, r, 2000, seed=2)
    ci, sd = ref.confidence_interval, ref.standard_error
    assert (ours.method, ours.low, ours.high) == (
        "bca",
        pytest.approx(ci.low, abs=0.35 * sd),
        pytest.approx(ci.high, abs=0.35 * sd),
    )


def test_intervals_doctests() -> None:
    """The worked examples in labelworks.stats.intervals run and print what they show."""
    result = doctest.testmod(intervals, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert (result.failed, result.attempted > 0) == (0, True)


@st.composite
def tables(draw: st.DrawFn) -> Ratings:
    """Ratings of 6-30 items by 2-4 annotators over 2-4 categories, noisy copies of a truth."""
    items, raters, q = draw(st.integers(6, 30)), draw(st.integers(2, 4)), draw(st.integers(2, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    return noisy(items, raters, seed, accuracy=draw(st.floats(0.3, 0.95)), q=q)


@settings(max_examples=40, deadline=None)
@given(tables(), st.sampled_from([fleiss_kappa, krippendorff_alpha, gwet_ac1]))
def test_bca_nested_in_confidence_and_contains_estimate(r: Ratings, metric) -> None:
    """With the same resamples, the 80% interval lies inside the 95%, which lies inside the
    99%, each containing the estimate, whenever all three are BCa."""
    got = [bootstrap_interval(metric, r, 200, c, seed=3) for c in (0.8, 0.95, 0.99)]
    if any(g.method != "bca" for g in got):
        return
    lows, highs = [g.low for g in got], [g.high for g in got]
    assert (lows == sorted(lows, reverse=True), highs == sorted(highs)) == (True, True)
    assert lows[0] <= got[0].estimate <= highs[0]


DYADIC = st.integers(-40, 40).map(lambda k: k / 8)  # exact under the maps below


@settings(max_examples=100, deadline=None)
@given(
    st.lists(DYADIC, min_size=5, max_size=60),
    st.lists(DYADIC, min_size=2, max_size=20),
    DYADIC,
    st.integers(-10, 10),
    st.sampled_from([0.25, 0.5, 2.0, 4.0]),
)
def test_bca_is_affine_equivariant(reps, jack, estimate, shift, scale) -> None:
    """Shifting and stretching estimate, replicates and jackknife alike (scale > 0) shifts
    and stretches the interval alike and keeps its method and reason."""
    reps_a, jack_a = np.array(reps), np.array(jack)
    base = bca_interval(estimate, reps_a, jack_a, 0.9)
    moved = bca_interval(
        shift + scale * estimate, shift + scale * reps_a, shift + scale * jack_a, 0.9
    )
    assert (moved.method, moved.reason, moved.low, moved.high) == (
        base.method,
        base.reason,
        pytest.approx(shift + scale * base.low, abs=1e-9),
        pytest.approx(shift + scale * base.high, abs=1e-9),
    )
