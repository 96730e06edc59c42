"""bootstrap_ci: the vectorised path, the generic fallback, and coverage (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from labelworks.stats import InvalidRatingsError, Ratings
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
from labelworks.stats.bootstrap import resample_values


def noisy(items: int, raters: int, seed: int, accuracy: float = 0.7, q: int = 4) -> Ratings:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, q, items)
    m = np.where(rng.random((items, raters)) < accuracy, truth[:, None],
                 rng.integers(0, q, (items, raters))).astype(float)  # fmt: skip
    m[rng.random(m.shape) < 0.2] = np.nan
    m[:, :2] = np.where(np.isnan(m[:, :2]), truth[:, None], m[:, :2])
    return Ratings.from_matrix(m)


@pytest.mark.parametrize(
    ("metric", "kwargs"),
    [
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
    ],
)
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


def simulate(items: int, raters: int, kappa: float, rng: np.random.Generator) -> Ratings:
    """Each annotator copies a latent label with probability sqrt(kappa), else guesses from
    the same prevalence; Fleiss' kappa of this population is exactly ``kappa``."""
    prevalence = np.array([0.5, 0.3, 0.2])
    latent = rng.choice(3, items, p=prevalence)
    copy = rng.random((items, raters)) < np.sqrt(kappa)
    guess = rng.choice(3, (items, raters), p=prevalence)
    return Ratings.from_matrix(np.where(copy, latent[:, None], guess))


@pytest.mark.slow
def test_bootstrap_coverage_near_nominal() -> None:
    """On simulated data with known kappa = 0.5, the 95% interval covers it ~95% of the time."""
    rng = np.random.default_rng(2024)
    trials, hits = 400, 0
    for _ in range(trials):
        r = simulate(200, 4, 0.5, rng)
        _, low, high = bootstrap_ci(fleiss_kappa, r, n_resamples=500, seed=rng)
        hits += low <= 0.5 <= high
    assert 0.92 <= hits / trials <= 0.975
