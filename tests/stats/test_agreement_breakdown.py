"""Pairwise, per-item, per-label and confusion breakdowns, and the coefficients' errors."""

from __future__ import annotations

import numpy as np
import pytest
from tests.stats.agreement_data import KRIPPENDORFF_2011, SHROUT_FLEISS_1979

from labelworks.stats import InvalidRatingsError, Ratings
from labelworks.stats.agreement import (
    cohen_kappa,
    disagreement_matrix,
    fleiss_kappa,
    gwet_ac2,
    icc,
    item_agreement,
    krippendorff_alpha,
    pairwise_matrix,
    per_label_agreement,
    percent_agreement,
    scott_pi,
    weight_matrix,
)


def test_pairwise_matrix_fast_path_matches_pair_by_pair() -> None:
    """Vectorised Cohen's kappa for all pairs equals calling cohen_kappa on each pair."""
    rng = np.random.default_rng(3)
    m = rng.integers(0, 3, (40, 4)).astype(float)
    m[rng.random(m.shape) < 0.3] = np.nan
    r = Ratings.from_matrix(m, annotators=["a", "b", "c", "d"])
    p = pairwise_matrix(r, weights="quadratic")
    expected = np.full((4, 4), np.nan)
    for i in range(4):
        for j in range(4):
            if i != j:
                both = ~np.isnan(m[:, i]) & ~np.isnan(m[:, j])
                pair = Ratings.from_matrix(m[both][:, [i, j]])
                expected[i, j] = cohen_kappa(pair, weights="quadratic")
    assert p.annotators == ["a", "b", "c", "d"]
    np.testing.assert_allclose(p.values, expected, rtol=1e-12)
    shared = (~np.isnan(m)).astype(int).T @ (~np.isnan(m)).astype(int)
    np.testing.assert_array_equal(p.shared, shared)


def test_pairwise_matrix_generic_metric_and_min_shared() -> None:
    """Any metric works pair by pair; pairs sharing too few items are NaN."""
    r = Ratings.from_matrix([[1, 1, None], [2, 2, 2], [1, 2, 1], [2, 2, None]])
    p = pairwise_matrix(r, scott_pi, min_shared=3)
    scott_ab = scott_pi(Ratings.from_matrix([[1, 1], [2, 2], [1, 2], [2, 2]]))
    expected = np.array([[np.nan, scott_ab, np.nan], [scott_ab, np.nan, np.nan],
                         [np.nan, np.nan, np.nan]])  # fmt: skip
    np.testing.assert_allclose(p.values, expected)
    assert p.mean_agreement() == pytest.approx({0: scott_ab, 1: scott_ab, 2: np.nan}, nan_ok=True)


def test_disagreement_matrix_counts_and_rates() -> None:
    """Pair counts are symmetric, diagonal = agreements, rows of rates sum to one."""
    r = Ratings.from_matrix([["a", "a", "b"], ["a", "b", "c"], ["c", "c", "c"]])
    d = disagreement_matrix(r)
    assert d.categories == ["a", "b", "c"]
    assert d.counts.tolist() == [[2, 3, 1], [3, 0, 1], [1, 1, 6]]
    np.testing.assert_allclose(d.rates, d.counts / d.counts.sum(axis=1, keepdims=True))
    assert d.top_confusions(2) == [("a", "b", 3), ("a", "c", 1)]


def test_item_agreement_orders_most_contested_first() -> None:
    """Per-item agreement skips single-rated items and sorts ascending."""
    r = Ratings.from_matrix([["a", "a", "a"], ["a", "b", "c"], ["a", "a", "b"], ["x", None, None]])
    assert item_agreement(r) == {1: 0.0, 2: pytest.approx(1 / 3), 0: 1.0}
    assert item_agreement(r, "majority") == {
        1: pytest.approx(1 / 3),
        2: pytest.approx(2 / 3),
        0: 1.0,
    }


def test_per_label_agreement_any_metric() -> None:
    """One-vs-rest agreement per category, with krippendorff_alpha as the metric."""
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    got = per_label_agreement(r, krippendorff_alpha)
    expected = {}
    for c in r.categories:
        binary = [[None if v is None else int(v == c) for v in row] for row in KRIPPENDORFF_2011]
        expected[c] = krippendorff_alpha(Ratings.from_matrix(binary))
    assert got == pytest.approx(expected)


def test_icc_missing_policy() -> None:
    """ICC refuses gaps by default and uses only complete items with missing='drop'."""
    rows = [*SHROUT_FLEISS_1979, [5, None, 3, 2]]
    r = Ratings.from_matrix(rows)
    with pytest.raises(InvalidRatingsError, match="1 of 7 items are incomplete"):
        icc(r)
    assert icc(r, "ICC(3,1)", missing="drop") == icc(
        Ratings.from_matrix(SHROUT_FLEISS_1979), "ICC(3,1)"
    )


def test_weight_matrix_named_forms() -> None:
    """Named weights on category positions (Gwet 2014, ch. 3)."""
    got = {w: weight_matrix(w, 3).round(4).tolist() for w in ("linear", "quadratic", "ordinal")}
    assert got == {
        "linear": [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]],
        "quadratic": [[1.0, 0.75, 0.0], [0.75, 1.0, 0.75], [0.0, 0.75, 1.0]],
        "ordinal": [[1.0, 0.6667, 0.0], [0.6667, 1.0, 0.6667], [0.0, 0.6667, 1.0]],
    }


def test_undefined_coefficient_is_nan() -> None:
    """When every rating is the same category chance agreement is 1 and kappa is NaN."""
    r = Ratings.from_matrix([["a", "a"], ["a", "a"]])
    assert [np.isnan(fleiss_kappa(r)), np.isnan(krippendorff_alpha(r)), percent_agreement(r)] == [
        True,
        True,
        1.0,
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: cohen_kappa(r), "exactly two annotators"),
        (lambda r: krippendorff_alpha(r, "cardinal"), "unknown level"),
        (lambda r: fleiss_kappa(r, weights="cubic"), "unknown weights"),
        (lambda r: gwet_ac2(r, weights=np.eye(2)), "shape"),
        (lambda r: icc(r, "ICC(4,1)"), "unknown ICC form"),
        (lambda r: pairwise_matrix(r, min_shared=0), "min_shared"),
        (lambda r: item_agreement(r, "entropy"), "measure"),
    ],
)
def test_bad_arguments_raise(call, message: str) -> None:
    """Bad arguments raise InvalidRatingsError naming the problem."""
    r = Ratings.from_matrix([[1, 2, 3], [2, 2, 3]])
    with pytest.raises(InvalidRatingsError, match=message):
        call(r)


@pytest.mark.parametrize(
    ("rows", "call", "message"),
    [
        ([[1, None], [None, 2]], fleiss_kappa, "no item has ratings from two"),
        ([["a", "b"], ["b", "b"]], lambda r: krippendorff_alpha(r, "interval"), "numeric"),
        ([[-1, 2], [2, 2]], lambda r: krippendorff_alpha(r, "ratio"), "non-negative"),
        ([[1], [2]], lambda r: pairwise_matrix(r), "at least 2 annotators"),
        ([[1, None], [None, 2], [1, 1]], lambda r: icc(r, missing="drop"), "at least two items"),
    ],
)
def test_bad_tables_raise(rows, call, message: str) -> None:
    """Tables a statistic cannot use raise InvalidRatingsError naming the problem."""
    with pytest.raises(InvalidRatingsError, match=message):
        call(Ratings.from_matrix(rows))
