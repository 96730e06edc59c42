"""The Ratings table: constructors, ids kept as given, and clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelworks.stats import InvalidRatingsError, Ratings


def as_tuple(r: Ratings) -> tuple[list[int], list[int], list[int], list, list, list]:
    return (
        r.item.tolist(),
        r.annotator.tolist(),
        r.label.tolist(),
        r.items,
        r.annotators,
        r.categories,
    )


def test_from_records_sorts_categories_and_keeps_ids() -> None:
    """Records become codes; numeric categories sort numerically; ids stay as given."""
    r = Ratings.from_records([("b", 2, 10), ("a", 1, 9), ("b", 1, 10)])
    assert as_tuple(r) == ([1, 0, 1], [1, 0, 0], [1, 0, 1], ["a", "b"], [1, 2], [9, 10])
    assert r.values.tolist() == [9.0, 10.0]


def test_mixed_and_tuple_ids_are_not_stringified() -> None:
    """Mixed int/str ids and tuple ids keep their Python types (no np.asarray coercion)."""
    r = Ratings.from_records([(1, "a", "x"), ("b", "a", 2), ((1, 2), "c", "x")])
    assert (r.items, r.annotators, r.categories, r.values) == (
        [1, "b", (1, 2)],
        ["a", "c"],
        [2, "x"],
        None,
    )


def test_categories_fix_order_and_unused_levels() -> None:
    """categories= fixes the order and keeps unused levels."""
    r = Ratings.from_records([(0, "a", "low"), (0, "b", "high")], categories=["low", "mid", "high"])
    assert (r.label.tolist(), r.categories, r.counts().tolist()) == (
        [0, 2],
        ["low", "mid", "high"],
        [[1, 0, 1]],
    )


def test_from_matrix_numeric_and_object_paths_agree() -> None:
    """A NaN-padded float matrix and the same rows as lists give the same table."""
    rows = [[1, 2, None], [3, None, 3]]
    fast = Ratings.from_matrix(np.array(rows, dtype=float))
    slow = Ratings.from_matrix(rows)
    assert as_tuple(fast) == as_tuple(slow) == (
        [0, 0, 1, 1], [0, 1, 0, 2], [0, 1, 2, 2], [0, 1], [0, 1, 2], [1, 2, 3]
    )  # fmt: skip


def test_from_matrix_frame_uses_column_names_and_pandas_na() -> None:
    """A DataFrame's columns name the annotators; pandas NA cells are missing."""
    df = pd.DataFrame({"ann": [1, None], "bob": [2, 3]}, dtype="Int64")
    r = Ratings.from_matrix(df)
    assert as_tuple(r) == ([0, 0, 1], [0, 1, 1], [0, 1, 2], [0, 1], ["ann", "bob"], [1, 2, 3])


def test_from_frame_named_columns() -> None:
    """from_frame reads the three named columns."""
    df = pd.DataFrame({"doc": ["x", "x"], "who": ["a", "b"], "tag": ["p", "n"]})
    r = Ratings.from_frame(df, item="doc", annotator="who", label="tag")
    assert as_tuple(r) == ([0, 0], [0, 1], [1, 0], ["x"], ["a", "b"], ["n", "p"])


def test_views_counts_and_wide() -> None:
    """counts() and wide() are the dense items × categories / annotators views."""
    r = Ratings.from_matrix([[1, 1], [1, 2]])
    assert (r.counts().tolist(), r.wide().tolist()) == ([[2, 0], [1, 1]], [[0, 0], [0, 1]])


def test_select_renumbers_and_keeps_categories() -> None:
    """select keeps the chosen rows, drops emptied items/annotators, keeps categories."""
    r = Ratings.from_matrix([[1, 2], [3, 1]], annotators=["a", "b"], categories=[1, 2, 3, 4])
    s = r.select(r.annotator == 1)
    assert as_tuple(s) == ([0, 1], [0, 0], [1, 0], [0, 1], ["b"], [1, 2, 3, 4])


def test_take_items_repeats_become_new_items() -> None:
    """take_items builds a bootstrap table: a repeated item becomes a second item."""
    r = Ratings.from_matrix([[1, 2], [3, None]])
    t = r.take_items(np.array([1, 0, 1]))
    assert as_tuple(t) == ([0, 1, 1, 2], [0, 0, 1, 0], [2, 0, 1, 2], [1, 0, 1], [0, 1], [1, 2, 3])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Ratings.from_records([]), "empty"),
        (lambda: Ratings.from_columns([1, 2], ["a"], [1, 2]), "mismatched lengths"),
        (lambda: Ratings.from_records([(1, "a", float("nan"))]), "NaN"),
        (lambda: Ratings.from_records([(1, "a", None)]), "missing"),
        (lambda: Ratings.from_records([(None, "a", 1)]), "item id at row 0 is missing"),
        (lambda: Ratings.from_records([(1, "a", "x")], categories=["y"]), "not one of"),
        (lambda: Ratings.from_records([(1, "a", "x"), (1, "a", "y")]), "more than once"),
        (lambda: Ratings.from_records([(1, "a")]), "not an (item, annotator, label)"),
        (lambda: Ratings.from_matrix([[1, 2], [1]]), "expected 2"),
        (lambda: Ratings.from_matrix([[1, 2]], annotators=["a"]), "annotator names"),
        (lambda: Ratings.from_records([(1, "a", 1)], categories=[1, 1]), "duplicates"),
        (lambda: Ratings.from_records([(1, "a", "x")]).numeric_labels(), "numeric labels"),
        (lambda: Ratings.from_records([(1, "a", "x")]).require_annotators(2), "at least 2"),
        (lambda: Ratings.from_records([(1, "a", "x")]).take_items(np.array([3])), "item codes"),
    ],
)
def test_bad_input_raises_invalid_ratings(build, message: str) -> None:
    """Each kind of bad input raises InvalidRatingsError (a ValueError) naming the problem."""
    with pytest.raises(InvalidRatingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()
    assert issubclass(InvalidRatingsError, ValueError)
