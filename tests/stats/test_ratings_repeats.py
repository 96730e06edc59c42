"""Repeated ratings: Ratings keeps them only when asked, and each statistic either uses
them as its definition says or refuses them by name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import InvalidRatingsError, Ratings
from labelworks.stats.aggregation import MajorityVote
from labelworks.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    coincidence_matrix,
    conger_kappa,
    disagreement_matrix,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    icc,
    item_agreement,
    krippendorff_alpha,
    pairwise_matrix,
    per_label_agreement,
    percent_agreement,
    scott_pi,
)

RECORDS = [
    ("q1", "ann", 1), ("q1", "bob", 2), ("q2", "ann", 1),
    ("q1", "ann", 2), ("q2", "bob", 1), ("q1", "ann", 1),
]  # fmt: skip


def rows(r: Ratings) -> list[tuple[Any, Any, Any]]:
    """The table back as (item, annotator, label) records, in row order."""
    return [
        (r.items[i], r.annotators[a], r.categories[c])
        for i, a, c in zip(r.item.tolist(), r.annotator.tolist(), r.label.tolist(), strict=True)
    ]


def test_the_default_refuses_repeats_and_says_how_to_allow_them() -> None:
    """Without repeats=True a repeated (item, annotator) is refused, at its second row,
    with the hint."""
    with pytest.raises(InvalidRatingsError) as info:
        Ratings.from_records(RECORDS)
    assert str(info.value) == (
        "annotator 'ann' rated item 'q1' more than once (row 3); pass repeats=True to keep "
        "repeated ratings, e.g. for a consistency audit"
    )


def test_records_round_trip_with_repeats() -> None:
    """With repeats=True every rating is kept in row order and has_repeats is set."""
    r = Ratings.from_records(RECORDS, repeats=True)
    assert (rows(r), r.has_repeats, r.n_ratings) == (RECORDS, True, 6)
    assert r.counts().tolist() == [[2, 2], [2, 0]]


def test_frames_and_columns_keep_repeats_on_every_path() -> None:
    """String frames (Arrow path), object columns and integer columns give the same table."""
    df = pd.DataFrame(RECORDS, columns=["item", "annotator", "label"])
    by_frame = Ratings.from_frame(df, repeats=True)
    by_columns = Ratings.from_columns(
        df["item"].to_numpy(object), df["annotator"].tolist(), df["label"].to_numpy(), repeats=True
    )
    by_ints = Ratings.from_columns(
        np.array([0, 0, 1, 0, 1, 0]), np.array([5, 6, 5, 5, 6, 5]), df["label"], repeats=True
    )
    assert rows(by_frame) == rows(by_columns) == RECORDS
    assert rows(by_ints) == [(0, 5, 1), (0, 6, 2), (1, 5, 1), (0, 5, 2), (1, 6, 1), (0, 5, 1)]
    assert by_frame.has_repeats and by_columns.has_repeats and by_ints.has_repeats


def test_allowing_repeats_without_any_gives_the_strict_table() -> None:
    """repeats=True on a table without repeats is the strict table, has_repeats False."""
    strict = Ratings.from_records(RECORDS[:3])
    lenient = Ratings.from_records(RECORDS[:3], repeats=True)
    assert rows(lenient) == rows(strict) and lenient.has_repeats is False


def test_select_take_items_and_without_repeats() -> None:
    """select re-derives has_repeats, take_items keeps it, without_repeats keeps each
    (item, annotator)'s first rating."""
    r = Ratings.from_records(RECORDS, repeats=True)
    assert r.select(r.item == 1).has_repeats is False
    anns = [("q1", "ann", 1), ("q2", "ann", 1), ("q1", "ann", 2), ("q1", "ann", 1)]
    assert rows(r.select(r.annotator == 0)) == anns
    assert r.select(r.annotator == 0).has_repeats is True
    assert r.take_items(np.array([0])).has_repeats is True
    first = r.without_repeats()
    assert (rows(first), first.has_repeats) == ([*RECORDS[:3], RECORDS[4]], False)


def test_wide_refuses_repeats() -> None:
    """The items × annotators matrix has one cell per pair, so it refuses repeats."""
    with pytest.raises(InvalidRatingsError, match="the items × annotators matrix assumes one"):
        Ratings.from_records(RECORDS, repeats=True).wide()


REFUSING = [
    ("percent_agreement", percent_agreement),
    ("fleiss_kappa", fleiss_kappa),
    ("scott_pi", scott_pi),
    ("cohen_kappa", cohen_kappa),
    ("gwet_ac1", gwet_ac1),
    ("gwet_ac2", gwet_ac2),
    ("brennan_prediger", brennan_prediger),
    ("conger_kappa", conger_kappa),
    ("icc", icc),
    ("pairwise_matrix", pairwise_matrix),
    ("item_agreement", item_agreement),
    ("disagreement_matrix", disagreement_matrix),
]


@pytest.mark.parametrize(("name", "metric"), REFUSING, ids=[n for n, _ in REFUSING])
def test_coefficients_over_annotator_pairs_refuse_repeats(name: str, metric: Any) -> None:
    """A coefficient that counts pairs of annotators refuses a table with repeats, naming
    itself, the first repeat and the ways out."""
    r = Ratings.from_records(RECORDS, repeats=True)
    with pytest.raises(InvalidRatingsError) as info:
        metric(r)
    assert str(info.value) == (
        f"{name} assumes one rating per (item, annotator), but the table has repeats: "
        "annotator 'ann' rated item 'q1' more than once (row 3); use "
        "ratings.without_repeats() to keep each first rating, or "
        "labelworks.stats.consistency.test_retest to measure the repeats"
    )
    metric(r.without_repeats())  # and works once the repeats are gone


def test_per_label_agreement_follows_its_metric() -> None:
    """per_label_agreement refuses repeats with a pairwise metric and takes them with alpha."""
    r = Ratings.from_records(RECORDS, repeats=True)
    with pytest.raises(InvalidRatingsError, match="fleiss_kappa assumes one rating"):
        per_label_agreement(r)
    assert per_label_agreement(r, krippendorff_alpha) == {
        1: krippendorff_alpha(r),
        2: krippendorff_alpha(r),
    }


def test_alpha_counts_a_repeat_as_one_more_value_of_its_unit() -> None:
    """Krippendorff's coincidences count the values in a unit: q1 holds 1, 2, 2, 1 (pairs
    weighted 1/3) and q2 holds 1, 1, so o = [[8/3, 4/3], [4/3, 2/3]], n = (4, 2) and
    alpha = 1 - 5 × (8/3) / 16 = 1/6."""
    r = Ratings.from_records(RECORDS, repeats=True)
    np.testing.assert_allclose(coincidence_matrix(r), [[8 / 3, 4 / 3], [4 / 3, 2 / 3]], atol=1e-12)
    assert krippendorff_alpha(r) == pytest.approx(1 / 6, abs=1e-12)


@st.composite
def tables_with_repeats(draw: st.DrawFn) -> list[tuple[int, str, int]]:
    cells = draw(
        st.lists(
            st.tuples(st.integers(0, 6), st.sampled_from("abcd"), st.integers(0, 3)),
            min_size=2,
            max_size=40,
        )
    )
    return cells


@given(tables_with_repeats())
@settings(max_examples=150, deadline=None)
def test_alpha_of_repeats_equals_alpha_with_each_repeat_as_its_own_coder(
    records: list[tuple[int, str, int]],
) -> None:
    """Alpha ignores who gave a value: renaming each repeat to a coder of its own (a table
    without repeats) gives the same alpha, at every level."""
    seen: dict[tuple[int, str], int] = {}
    renamed = []
    for item, who, label in records:
        k = seen[(item, who)] = seen.get((item, who), -1) + 1
        renamed.append((item, f"{who}#{k}", label))
    try:
        ours = Ratings.from_records(records, repeats=True)
        plain = Ratings.from_records(renamed)
        expected = [krippendorff_alpha(plain, level) for level in ("nominal", "interval")]
    except InvalidRatingsError:
        with pytest.raises(InvalidRatingsError):
            krippendorff_alpha(Ratings.from_records(records, repeats=True))
        return
    got = [krippendorff_alpha(ours, level) for level in ("nominal", "interval")]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_majority_vote_counts_every_rating_as_a_vote() -> None:
    """An annotator who said 1 twice outvotes one who said 0 once."""
    r = Ratings.from_records([("x", "a", 1), ("x", "a", 1), ("x", "b", 0)], repeats=True)
    mv = MajorityVote().fit(r)
    assert (mv.labels_.to_dict(), mv.probas_.tolist()) == ({"x": 1}, [[1 / 3, 2 / 3]])
