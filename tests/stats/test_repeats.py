"""Finding repeated (item, annotator) pairs: the run and presence-table checks answer what a
plain Python scan of the pairs answers, in every row order and pair range."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import InvalidRatingsError, Ratings
from labelworks.stats.repeats import _repeat_within_runs, first_repeat, has_repeat

PROPERTY = settings(max_examples=300, deadline=None)


def scanned(pair: list[tuple[int, int]]) -> int | None:
    """The second row of the smallest repeated pair, by a dict of first rows."""
    first: dict[tuple[int, int], int] = {}
    second: dict[tuple[int, int], int] = {}
    for row, value in enumerate(pair):
        if value in first:
            second.setdefault(value, row)
        else:
            first[value] = row
    return second[min(second)] if second else None


@st.composite
def pair_tables(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """Item and annotator codes and the number of annotators: rows in item order or not,
    runs short or past the row-by-row limit, pair ranges narrow (presence table) or wide
    (sort)."""
    n_items = draw(st.integers(1, 6))
    n_annotators = draw(st.sampled_from([1, 2, 5, 30, 10**6, 10**9]))
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, n_items - 1), st.integers(0, min(n_annotators, 30) - 1)),
            min_size=1,
            max_size=60,
        )
    )
    if draw(st.booleans()):
        rows.sort(key=lambda row: row[0])  # item order, annotators in any order
    item = np.array([i for i, _ in rows], dtype=np.int64)
    annotator = np.array([a for _, a in rows], dtype=np.int64)
    return item, annotator, n_annotators


@given(pair_tables())
@PROPERTY
def test_repeats_are_found_as_a_scan_finds_them(table: tuple[np.ndarray, np.ndarray, int]) -> None:
    """has_repeat and first_repeat give the answer and the row of a scan of the pairs."""
    item, annotator, n_annotators = table
    expected = scanned(list(zip(item.tolist(), annotator.tolist(), strict=True)))
    found = has_repeat(item, annotator, n_annotators), first_repeat(item, annotator, n_annotators)
    assert found == (expected is not None, expected)


def test_only_tables_in_item_order_with_short_runs_are_checked_row_by_row() -> None:
    """The run check answers for item order (repeat or not) and leaves unordered tables and
    runs past 16 rows to the other checks."""
    item = np.array([0, 0, 0, 1, 1, 2])
    answers = [
        _repeat_within_runs(item, np.array(annotators))
        for annotators in ([0, 1, 2, 0, 1, 0], [0, 1, 0, 0, 1, 0])
    ]
    long_run = np.zeros(17, dtype=np.int64)
    answers.append(_repeat_within_runs(long_run, np.arange(17)))
    answers.append(_repeat_within_runs(np.array([1, 0, 1]), np.array([0, 0, 1])))
    assert answers == [False, True, None, None]


def test_a_repeat_far_apart_in_item_order_is_named_at_its_second_row() -> None:
    """In an item-ordered table a repeat two rows apart is refused with its row."""
    records = [("a", "x", 1), ("a", "y", 1), ("a", "x", 2), ("b", "x", 1)]
    with pytest.raises(
        InvalidRatingsError, match=r"^annotator 'x' rated item 'a' more than once \(row 2\)"
    ):
        Ratings.from_records(records)
