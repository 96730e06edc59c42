"""Test–retest agreement: annotators against themselves on the items served twice."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import Ratings, consistency
from labelworks.stats.agreement import cohen_kappa

# ann sees q1-q6 then q1-q4 again (q1 a third time); bob sees q1-q3 and q2 again; eve once.
AUDIT = [
    ("q1", "ann", "pos"), ("q2", "ann", "pos"), ("q3", "ann", "neg"),
    ("q4", "ann", "neg"), ("q5", "ann", "pos"), ("q6", "ann", "neu"),
    ("q1", "bob", "neg"), ("q2", "bob", "pos"), ("q3", "bob", "neg"), ("q1", "eve", "pos"),
    ("q1", "ann", "pos"), ("q2", "ann", "neg"), ("q3", "ann", "neg"), ("q4", "ann", "neg"),
    ("q2", "bob", "pos"), ("q1", "ann", "neg"),
]  # fmt: skip


def plain(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """Report rows with NaN as None, so that whole rows compare with ==."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in records
    ]


def test_constructed_audit() -> None:
    """ann: 4 items retested, 3 the same (q2 pos -> neg), chance 1/2 from first ratings
    (neg, pos) = (1/2, 1/2) and second (3/4, 1/4), kappa 1/2; bob: 1 item, the same, kappa
    undefined; eve: none; q1's third rating is not used. Pooled: 4 of 5, kappa
    (0.8 - 0.48) / 0.52."""
    result = consistency.test_retest(Ratings.from_records(AUDIT, repeats=True))
    assert (result.annotators, result.categories) == (["ann", "bob", "eve"], ["neg", "neu", "pos"])
    assert plain(result.to_records()) == [
        {"annotator": "ann", "items": 4, "agreed": 3, "percent_agreement": 0.75, "kappa": 0.5},
        {"annotator": "bob", "items": 1, "agreed": 1, "percent_agreement": 1.0, "kappa": None},
    ]
    assert result.tables.tolist() == [
        [[2, 0, 0], [0, 0, 0], [1, 0, 1]],
        [[0, 0, 0], [0, 0, 0], [0, 0, 1]],
        [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
    ]
    assert (result.items.tolist(), result.agreed.tolist()) == ([4, 1, 0], [3, 1, 0])
    np.testing.assert_allclose(result.percent_agreement, [0.75, 1.0, np.nan])
    np.testing.assert_allclose(result.kappa, [0.5, np.nan, np.nan])
    assert result.overall() == {
        "items": 5,
        "agreed": 4,
        "percent_agreement": 0.8,
        "kappa": pytest.approx(0.32 / 0.52, abs=1e-15),
    }


def test_row_order_decides_first_and_second() -> None:
    """The same ratings in another order compare other pairs: first and second are the
    first two rows of each (item, annotator)."""
    records = [("x", "a", 1), ("x", "a", 2), ("x", "a", 2)]
    forward = consistency.test_retest(Ratings.from_records(records, repeats=True))
    backward = consistency.test_retest(Ratings.from_records(records[::-1], repeats=True))
    assert (forward.agreed.tolist(), backward.agreed.tolist()) == ([0], [1])
    assert forward.tables.tolist() == [[[0, 1], [0, 0]]]


def test_a_table_without_repeats_has_nothing_to_compare() -> None:
    """Without repeats every annotator has 0 items and NaN values, and no report rows."""
    result = consistency.test_retest(Ratings.from_records(AUDIT[:10]))
    assert (result.items.tolist(), result.to_records()) == ([0, 0, 0], [])
    assert np.isnan(result.kappa).all() and math.isnan(result.overall()["kappa"])


@st.composite
def retests(draw: st.DrawFn) -> list[tuple[int, int]]:
    return draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=40))


@given(retests(), st.sampled_from([None, "linear", "quadratic"]))
@settings(max_examples=150, deadline=None)
def test_kappa_is_cohens_kappa_of_first_against_second(
    pairs: list[tuple[int, int]], weights: str | None
) -> None:
    """One annotator's retest kappa equals cohen_kappa of a table whose two annotators are
    the first and the second occasion (itself cross-checked against statsmodels and
    scikit-learn in tests/stats/peers)."""
    records = [(i, "a", first) for i, (first, _) in enumerate(pairs)]
    records += [(i, "a", second) for i, (_, second) in enumerate(pairs)]
    categories = [0, 1, 2, 3]
    result = consistency.test_retest(
        Ratings.from_records(records, repeats=True, categories=categories), weights
    )
    occasions = [(i, "first", f) for i, (f, _) in enumerate(pairs)]
    occasions += [(i, "second", s) for i, (_, s) in enumerate(pairs)]
    expected = cohen_kappa(Ratings.from_records(occasions, categories=categories), weights)
    np.testing.assert_allclose(result.kappa[0], expected, rtol=1e-12, atol=1e-12)
    assert result.agreed[0] == sum(f == s for f, s in pairs)


def test_weights_give_near_misses_partial_credit() -> None:
    """5 of 8 scores repeated exactly and 3 one step off: kappa (0.625 - 14/64) / (50/64)
    = 0.52; with linear weights the misses earn 3/4, (0.90625 - 0.625) / 0.375 = 0.75."""
    records = [(i, "a", s) for i, s in enumerate([1, 2, 3, 4, 5, 1, 2, 3])]
    records += [(i, "a", s) for i, s in enumerate([2, 2, 3, 5, 5, 1, 3, 3])]
    r = Ratings.from_records(records, repeats=True)
    plain = consistency.test_retest(r).kappa[0]
    linear = consistency.test_retest(r, weights="linear").kappa[0]
    assert (plain, linear) == (pytest.approx(0.52, abs=1e-15), pytest.approx(0.75, abs=1e-15))


def test_docstring_examples() -> None:
    """The worked example in the module's docstrings runs and prints what it shows."""
    result = doctest.testmod(consistency, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert (result.failed, result.attempted > 0) == (0, True)
