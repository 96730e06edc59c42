"""Hypothesis properties of the agreement coefficients."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import Ratings
from labelworks.stats.agreement import (
    bootstrap_ci,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)

MULTI = [percent_agreement, fleiss_kappa, conger_kappa, gwet_ac1, brennan_prediger]
FAST = settings(max_examples=40, deadline=None)


@st.composite
def tables(draw: st.DrawFn, raters: int | None = None) -> np.ndarray:
    """Items × raters matrices of small integer labels with NaN gaps; every item has at
    least two ratings and at least two categories occur."""
    k = raters or draw(st.integers(2, 5))
    n = draw(st.integers(3, 12))
    q = draw(st.integers(2, 4))
    cells = draw(st.lists(st.integers(0, q - 1), min_size=n * k, max_size=n * k))
    gaps = draw(st.lists(st.booleans(), min_size=n * k, max_size=n * k))
    m = np.array(cells, dtype=float).reshape(n, k)
    hide = np.array(gaps).reshape(n, k)
    hide[:, :2] = False  # keep two ratings per item
    m[hide] = np.nan
    if np.unique(m[~np.isnan(m)]).size < 2:
        m[0, 0] = (m[0, 0] + 1) % q
    return m


def values(r: Ratings) -> list[float]:
    out = [round(f(r), 10) for f in MULTI]
    out += [round(krippendorff_alpha(r, lv), 10) for lv in ("nominal", "ordinal", "interval")]
    return out


@FAST
@given(st.integers(2, 6), st.integers(3, 10), st.integers(2, 4), st.randoms())
def test_perfect_agreement_gives_one(raters: int, items: int, q: int, rnd) -> None:
    """When every annotator gives each item the same label, every coefficient is 1."""
    truth = [rnd.randrange(q) for _ in range(items)]
    truth[0], truth[1] = 0, 1  # two categories in use, so chance agreement is below 1
    r = Ratings.from_matrix([[t] * raters for t in truth])
    got = [round(v, 10) for v in values(r)]
    assert got == [1.0] * len(got)


@FAST
@given(tables(), st.permutations(["a", "b", "c", "d"]))
def test_relabeling_categories_changes_nothing_nominal(m: np.ndarray, names: list[str]) -> None:
    """Renaming nominal categories (any bijection) leaves the nominal coefficients unchanged."""
    r = Ratings.from_matrix(m)
    renamed = [[None if np.isnan(v) else names[int(v)] for v in row] for row in m]
    s = Ratings.from_matrix(renamed)
    nominal = [*MULTI, krippendorff_alpha]
    assert [round(f(s), 10) for f in nominal] == [round(f(r), 10) for f in nominal]


@FAST
@given(tables(), st.randoms())
def test_rater_order_changes_nothing(m: np.ndarray, rnd) -> None:
    """Shuffling the annotator columns leaves every coefficient unchanged."""
    order = list(range(m.shape[1]))
    rnd.shuffle(order)
    assert values(Ratings.from_matrix(m[:, order])) == values(Ratings.from_matrix(m))


@FAST
@given(tables(raters=2))
def test_two_rater_coefficients_symmetric(m: np.ndarray) -> None:
    """Cohen's kappa and Scott's pi do not depend on which annotator is first."""
    r, s = Ratings.from_matrix(m), Ratings.from_matrix(m[:, ::-1])
    pair = [cohen_kappa, scott_pi]
    assert [round(f(s), 10) for f in pair] == [round(f(r), 10) for f in pair]


@FAST
@given(tables(raters=2))
def test_conger_equals_cohen_on_complete_two_rater_data(m: np.ndarray) -> None:
    """Conger's kappa reduces to Cohen's kappa for two annotators without gaps."""
    r = Ratings.from_matrix(np.nan_to_num(m, nan=0.0))
    assert round(conger_kappa(r), 10) == round(cohen_kappa(r), 10)


@settings(max_examples=20, deadline=None)
@given(tables(), st.sampled_from([fleiss_kappa, krippendorff_alpha, gwet_ac1]))
def test_bootstrap_interval_contains_estimate(m: np.ndarray, metric) -> None:
    """The bootstrap interval brackets the point estimate whenever both are defined."""
    est, low, high = bootstrap_ci(metric, Ratings.from_matrix(m), n_resamples=50, seed=0)
    assert np.isnan(low) or low <= est <= high
