"""Finding repeated (item, annotator) pairs: the run and presence-table checks answer what a
plain Python scan of the pairs answers, in every row order and pair range."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import InvalidRatingsError, Ratings
from labelworks.stats.repeats import _repeat_within_runs, first_duplicate, has_duplicate

PROPERTY = settings(max_examples=300, deadline=None)


def scanned(pair: list[int]) -> int | None:
    """The second row of the smallest repeated value, by a dict of first rows."""
    first: dict[int, int] = {}
    second: dict[int, int] = {}
    for row, value in enumerate(pair):
        if value in first:
            second.setdefault(value, row)
        else:
            first[value] = row
    return second[min(second)] if second else None


@st.composite
def pair_tables(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """Item codes, item-major pairs and their bound: rows in item order or not, runs short or
    past the row-by-row limit, pair ranges narrow (presence table) or wide (sort)."""
    n_items = draw(st.integers(1, 6))
    n_annotators = draw(st.integers(1, 30))
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, n_items - 1), st.integers(0, n_annotators - 1)),
            min_size=1,
            max_size=60,
        )
    )
    if draw(st.booleans()):
        rows.sort(key=lambda row: row[0])  # item order, annotators in any order
    width = n_annotators * draw(st.sampled_from([1, 1, 10**6]))
    item = np.array([i for i, _ in rows], dtype=np.int64)
    annotator = np.array([a for _, a in rows], dtype=np.int64)
    return item, item * width + annotator, n_items * width


@given(pair_tables())
@PROPERTY
def test_repeats_are_found_as_a_scan_finds_them(table: tuple[np.ndarray, np.ndarray, int]) -> None:
    """has_duplicate and first_duplicate, with or without the item codes, give the scan's
    answer and row."""
    item, pair, bound = table
    expected = scanned(pair.tolist())
    answers = [
        (has_duplicate(pair, bound, given_item), first_duplicate(pair, bound, given_item))
        for given_item in (item, None)
    ]
    assert answers == [(expected is not None, expected)] * 2


def test_only_tables_in_item_order_with_short_runs_are_checked_row_by_row() -> None:
    """The run check answers for item order (repeat or not) and leaves unordered tables and
    runs past 16 rows to the other checks."""
    item = np.array([0, 0, 0, 1, 1, 2])
    answers = [
        _repeat_within_runs(item * 5 + np.array(annotators), item)
        for annotators in ([0, 1, 2, 0, 1, 0], [0, 1, 0, 0, 1, 0])
    ]
    long_run = np.zeros(17, dtype=np.int64)
    unordered = np.array([1, 0, 1])
    answers.append(_repeat_within_runs(long_run + np.arange(17), long_run))
    answers.append(_repeat_within_runs(unordered * 3, unordered))
    assert answers == [False, True, None, None]


def test_a_repeat_far_apart_in_item_order_is_named_at_its_second_row() -> None:
    """In an item-ordered table a repeat two rows apart is refused with its row."""
    records = [("a", "x", 1), ("a", "y", 1), ("a", "x", 2), ("b", "x", 1)]
    with pytest.raises(
        InvalidRatingsError, match=r"^annotator 'x' rated item 'a' more than once \(row 2\)"
    ):
        Ratings.from_records(records)
