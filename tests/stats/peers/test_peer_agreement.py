"""Cross-checks of the agreement coefficients against independent implementations.

Conventions: ``krippendorff.alpha`` wants raters × units and defaults to interval;
scikit-learn weights kappa on label ranks (we pass every category so ranks = positions);
statsmodels' fleiss_kappa wants a complete items × categories count table; irrCAC wants a
units × raters DataFrame and computes weights on category values (we use 1..q).
"""

from __future__ import annotations

import numpy as np
import pytest

from labelworks.stats import Ratings
from labelworks.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac2,
    icc,
    krippendorff_alpha,
)

pytestmark = [
    pytest.mark.peer,
    pytest.mark.filterwarnings("ignore:(?s).*set on a copy of a slice"),
]


def random_table(seed: int, items: int = 60, raters: int = 5, q: int = 4, gaps: float = 0.3):
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, q + 1, items)
    m = np.where(rng.random((items, raters)) < 0.6, truth[:, None],
                 rng.integers(1, q + 1, (items, raters))).astype(float)  # fmt: skip
    m[rng.random(m.shape) < gaps] = np.nan
    return m


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_package(seed: int, level: str) -> None:
    """krippendorff_alpha equals krippendorff.alpha at every level, with missing data."""
    kd = pytest.importorskip("krippendorff")
    m = random_table(seed)
    r = Ratings.from_matrix(m, categories=[1, 2, 3, 4])
    theirs = kd.alpha(m.T, level_of_measurement=level, value_domain=[1, 2, 3, 4])
    assert krippendorff_alpha(r, level) == pytest.approx(float(theirs), abs=1e-10)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_sklearn_cohen_kappa(seed: int, weights: str | None) -> None:
    """cohen_kappa equals sklearn's cohen_kappa_score, weighted and not."""
    metrics = pytest.importorskip("sklearn.metrics")
    m = random_table(seed, raters=2, gaps=0.0)
    ours = cohen_kappa(Ratings.from_matrix(m, categories=[1, 2, 3, 4]), weights=weights)
    theirs = metrics.cohen_kappa_score(m[:, 0], m[:, 1], labels=[1, 2, 3, 4], weights=weights)
    assert ours == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_statsmodels_fleiss_kappa(seed: int) -> None:
    """fleiss_kappa equals statsmodels' fleiss_kappa on complete data."""
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    m = random_table(seed, gaps=0.0)
    r = Ratings.from_matrix(m, categories=[1, 2, 3, 4])
    assert fleiss_kappa(r) == pytest.approx(inter_rater.fleiss_kappa(r.counts()), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("weights", ["identity", "linear", "quadratic", "ordinal", "radical"])
def test_irrcac_with_missing(seed: int, weights: str) -> None:
    """Fleiss, Gwet AC2, Brennan–Prediger, Conger and alpha (weighted) equal irrCAC's."""
    pytest.importorskip("irrCAC")
    pd = pytest.importorskip("pandas")
    from irrCAC.raw import CAC

    m = random_table(seed)
    cac = CAC(pd.DataFrame(m), weights=weights, categories=[1, 2, 3, 4], digits=12)
    r = Ratings.from_matrix(m, categories=[1, 2, 3, 4])
    w = None if weights == "identity" else weights
    ours = [fleiss_kappa(r, w), gwet_ac2(r, w), brennan_prediger(r, w), conger_kappa(r, w)]
    theirs = [
        cac.fleiss()["est"]["coefficient_value"],
        cac.gwet()["est"]["coefficient_value"],
        cac.bp()["est"]["coefficient_value"],
        cac.conger()["est"]["coefficient_value"],
    ]
    assert ours == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_irrcac_krippendorff_nominal(seed: int) -> None:
    """Nominal alpha equals irrCAC's Krippendorff coefficient."""
    pytest.importorskip("irrCAC")
    pd = pytest.importorskip("pandas")
    from irrCAC.raw import CAC

    m = random_table(seed)
    cac = CAC(pd.DataFrame(m), categories=[1, 2, 3, 4], digits=12)
    r = Ratings.from_matrix(m, categories=[1, 2, 3, 4])
    assert krippendorff_alpha(r) == pytest.approx(
        cac.krippendorff()["est"]["coefficient_value"], abs=1e-9
    )


@pytest.mark.parametrize("seed", range(3))
def test_icc_against_anova_by_statsmodels(seed: int) -> None:
    """ICC(2,1) and ICC(3,1) equal the mean squares of statsmodels' two-way ANOVA."""
    pytest.importorskip("statsmodels")
    pd = pytest.importorskip("pandas")
    import statsmodels.api as sm
    from statsmodels.formula.api import ols

    rng = np.random.default_rng(seed)
    m = rng.normal(size=(15, 1)) + rng.normal(size=(1, 4)) + rng.normal(scale=0.7, size=(15, 4))
    long = pd.DataFrame(
        {"y": m.ravel(), "t": np.repeat(np.arange(15), 4).astype(str),
         "j": np.tile(np.arange(4), 15).astype(str)}
    )  # fmt: skip
    table = sm.stats.anova_lm(ols("y ~ C(t) + C(j)", data=long).fit())
    ms = table["mean_sq"]
    bms, jms, ems = ms["C(t)"], ms["C(j)"], ms["Residual"]
    n, k = 15, 4
    expected = [
        (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n),
        (bms - ems) / (bms + (k - 1) * ems),
    ]
    r = Ratings.from_matrix(m)
    assert [icc(r, "ICC(2,1)"), icc(r, "ICC(3,1)")] == pytest.approx(expected, abs=1e-10)
