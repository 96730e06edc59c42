"""The fast ways of coding columns (integer ranges, Arrow strings) build exactly the Ratings,
or raise exactly the error, that the general np.unique path gives."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import InvalidRatingsError, Ratings, codes
from labelworks.stats.ids import as_list

PROPERTY = settings(max_examples=150, deadline=None)

SMALL_INTS = st.integers(-3, 3)
WIDE_INTS = st.integers(-(2**62), 2**62)
TEXT = st.text(max_size=3)
FEW_TEXT = st.sampled_from(["a", "b", "B", "é", "a\x00", "\x00a", "a\x00b", "", "ab", "Z"])
KINDS: dict[str, st.SearchStrategy[Any]] = {
    "small ints": SMALL_INTS,
    "wide ints": WIDE_INTS,
    "text": TEXT,
    "few texts": FEW_TEXT,
    "mixed": st.one_of(SMALL_INTS, FEW_TEXT),
}
MISSING = st.sampled_from([None, float("nan"), pd.NA])
CONTAINERS = ["list", "numpy", "object", "series", "object series", "string", "category"]


@contextmanager
def general_path_only() -> Any:
    """Every column coded the way it was before the fast paths: np.unique or a dict."""
    with (
        mock.patch("labelworks.stats.ratings.encode_series", lambda values: None),
        mock.patch("labelworks.stats.ratings.factorize", codes.unique_codes),
    ):
        yield


def outcome(build: Callable[[], Ratings]) -> tuple[Any, ...]:
    """The whole result of a build, ids with their types, or the error it raised."""
    try:
        r = build()
    except InvalidRatingsError as exc:
        return ("error", str(exc))
    typed = [[(type(v), v) for v in ids] for ids in (r.items, r.annotators, r.categories)]
    values = None if r.values is None else r.values.tolist()
    return (r.item.tolist(), r.annotator.tolist(), r.label.tolist(), *typed, values)


def both(build: Callable[[], Ratings]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    fast = outcome(build)
    with general_path_only():
        general = outcome(build)
    return fast, general


def contain(values: list[Any], container: str) -> Any:
    """The same values as the given kind of column."""
    if container == "list":
        return values
    if container == "numpy":
        return np.asarray(values) if values else np.empty(0)
    if container == "object":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    dtypes = {"series": None, "object series": object, "string": "string", "category": "category"}
    return pd.Series(values, dtype=dtypes[container])


@st.composite
def column_values(draw: st.DrawFn, n: int) -> list[Any]:
    values = draw(st.lists(KINDS[draw(st.sampled_from(sorted(KINDS)))], min_size=n, max_size=n))
    if values and draw(st.integers(0, 5)) == 0:
        values[draw(st.integers(0, n - 1))] = draw(MISSING)
    return values


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[Any], list[Any], list[Any]]:
    n = draw(st.integers(0, 30))
    return draw(column_values(n)), draw(column_values(n)), draw(column_values(n))


@given(tables(), st.sampled_from(CONTAINERS), st.booleans())
@PROPERTY
def test_frames_build_what_the_general_path_builds(
    table: tuple[list[Any], list[Any], list[Any]], container: str, fix_categories: bool
) -> None:
    """A pandas frame of ints, strings, mixed ids or missing values gives the same Ratings
    (codes, ids and their types, categories) or the same error on both paths."""
    labels = table[2]
    try:
        df = pd.DataFrame(
            {name: contain(col, container) for name, col in zip("ial", table, strict=True)}
        )
    except (TypeError, ValueError):  # e.g. pd.NA inside a numpy column
        return
    categories = None
    if fix_categories:
        present = [v for v in labels if not codes.is_missing(v)]
        categories = list(dict.fromkeys([*present[::-1], "unused"]))
    fast, general = both(
        lambda: Ratings.from_frame(df, item="i", annotator="a", label="l", categories=categories)
    )
    assert fast == general


@given(tables(), st.sampled_from(["list", "numpy", "object"]))
@PROPERTY
def test_columns_build_what_the_general_path_builds(
    table: tuple[list[Any], list[Any], list[Any]], container: str
) -> None:
    """Lists and numpy arrays (unicode, object, integer) give the same Ratings or error."""
    try:
        columns = [contain(col, container) for col in table]
    except (TypeError, ValueError):
        return
    fast, general = both(lambda: Ratings.from_columns(*columns))
    assert fast == general


@given(
    st.lists(WIDE_INTS | SMALL_INTS, min_size=1, max_size=40),
    st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "uint32", "uint64"]),
)
@PROPERTY
def test_integer_ranges_code_like_np_unique(values: list[int], dtype: str) -> None:
    """The range lookup gives np.unique's codes and ids for every integer dtype, including
    values near its limits."""
    info = np.iinfo(dtype)
    arr = np.asarray([info.min + v % (int(info.max) - int(info.min) + 1) for v in values], dtype)
    fast_codes, fast_ids = codes.factorize(arr, "item")
    unique_codes, unique_ids = codes.unique_codes(arr, "item")
    assert (fast_codes.tolist(), as_list(fast_ids)) == (unique_codes.tolist(), unique_ids)


@given(st.integers(1, 40), st.integers(0, 3), st.sampled_from([-5, 0, 7]), st.randoms())
@settings(max_examples=40, deadline=None)
def test_long_integer_columns_code_like_np_unique(
    span: int, tail_only: int, low: int, random: Any
) -> None:
    """Columns longer than the head that is marked first code like np.unique whether the
    head holds every value, some value appears only after it, or the range has gaps."""
    rng = np.random.default_rng(random.randint(0, 2**32))
    arr = rng.integers(0, span, 20_000) * (2 if tail_only == 3 else 1) + low
    if tail_only in (1, 2):
        arr[rng.integers(17_000, 20_000)] = low + span + tail_only - 1  # past the head
    fast_codes, fast_ids = codes.factorize(arr, "item")
    unique_codes, unique_ids = codes.unique_codes(arr, "item")
    assert (fast_codes.tolist(), as_list(fast_ids)) == (unique_codes.tolist(), unique_ids)


@st.composite
def runs(draw: st.DrawFn) -> list[Any]:
    """A column in runs of equal values, as a table in item order has its item ids: the
    runs' values sorted, in any order or repeating, now and then a missing value or a
    ``str`` subclass."""
    heads = draw(st.lists(st.one_of(TEXT, FEW_TEXT), min_size=1, max_size=12))
    if draw(st.booleans()):
        heads = sorted(set(heads))
    column: list[Any] = []
    for head in heads:
        column += [head] * draw(st.integers(1, 4))
    if draw(st.integers(0, 5)) == 0:
        odd: Any = draw(st.sampled_from([None, np.str_("a"), 7]))
        column[draw(st.integers(0, len(column) - 1))] = odd
    return column


@given(runs(), st.sampled_from(["numpy", "object", "series", "string", "category", "arrow"]))
@PROPERTY
def test_columns_in_runs_build_what_the_general_path_builds(
    items: list[Any], container: str
) -> None:
    """String ids in runs (a table in item order, sorted or not) give the same Ratings or
    error on both paths."""
    if container in {"string", "category", "arrow"}:
        # coded by Arrow, which reads an np.str_ in them (pandas 2 keeps one) as a str
        items = [str(v) if isinstance(v, np.str_) else v for v in items]
    n = len(items)
    annotators = [k % 3 for k in range(n)]
    labels = [k % 2 for k in range(n)]
    try:
        column = pa.array(items) if container == "arrow" else contain(items, container)
    except (TypeError, ValueError, pa.ArrowException):  # e.g. mixed types for Arrow
        return
    fast = outcome(lambda: Ratings.from_columns(column, annotators, labels, repeats=True))
    with general_path_only():  # given an Arrow column as the Python objects it holds
        given = contain(column.to_pylist(), "object") if container == "arrow" else column
        general = outcome(lambda: Ratings.from_columns(given, annotators, labels, repeats=True))
    assert fast == general


def test_categorical_strings_drop_unused_levels_and_sort() -> None:
    """A categorical column's unused levels are not ids, and ids sort as strings, not in the
    categorical's own order."""
    df = pd.DataFrame(
        {
            "item": pd.Categorical(["y", "x", "y"], categories=["z", "y", "x"]),
            "annotator": ["b", "a", "a"],
            "label": pd.Categorical(["no", "yes", "no"], categories=["yes", "no", "maybe"]),
        }
    )
    r = Ratings.from_frame(df)
    assert (r.item.tolist(), r.annotator.tolist(), r.label.tolist(), r.items) == (
        [1, 0, 1], [1, 0, 0], [0, 1, 0], ["x", "y"]
    )  # fmt: skip
    assert (r.annotators, r.categories) == (["a", "b"], ["no", "yes"])


def test_arrow_and_string_subclass_columns() -> None:
    """pyarrow columns are coded directly; np.str_ ids stay np.str_ (the general path)."""
    r = Ratings.from_columns(
        pa.chunked_array([["q2", "q1"], ["q2"]]),
        np.array([np.str_("b"), np.str_("a"), np.str_("a")], dtype=object),
        pa.array(["x", "y", "x"]).dictionary_encode(),
    )
    assert (r.item.tolist(), r.annotator.tolist(), r.label.tolist(), r.items) == (
        [1, 0, 1], [1, 0, 0], [0, 1, 0], ["q1", "q2"]
    )  # fmt: skip
    assert (r.annotators, r.categories) == (["a", "b"], ["x", "y"])
    assert [type(a) for a in r.annotators] == [np.str_, np.str_]


def test_an_arrow_column_with_nulls_is_refused_by_row() -> None:
    """A null in a pyarrow column is named by row, as in a list (Arrow's to_numpy refuses)."""
    with pytest.raises(InvalidRatingsError, match=r"^item id at row 1 is missing \(None\)$"):
        Ratings.from_columns(pa.array(["q1", None]), ["a", "a"], [1, 2])


def test_duplicate_reports_the_same_row_as_before() -> None:
    """A repeated (item, annotator) pair is reported at its second row, for string frames too."""
    df = pd.DataFrame({"item": ["q", "p", "q", "p"], "annotator": ["a", "a", "b", "a"], "label": 1})
    message = r"annotator 'a' rated item 'p' more than once \(row 3\)"
    with pytest.raises(InvalidRatingsError, match=message):
        Ratings.from_frame(df)


def test_polars_frames_take_the_arrow_path() -> None:
    """A polars frame with string, categorical and integer columns gives the pandas result."""
    pl = pytest.importorskip("polars")
    data = {"item": ["y", "x", "y"], "annotator": [2, 1, 1], "label": ["no", "yes", "no"]}
    frame = pl.DataFrame(data).with_columns(pl.col("label").cast(pl.Categorical))
    assert outcome(lambda: Ratings.from_frame(frame)) == outcome(
        lambda: Ratings.from_frame(pd.DataFrame(data))
    )


@given(tables(), st.booleans())
@PROPERTY
def test_polars_frames_build_what_the_general_path_builds(
    table: tuple[list[Any], list[Any], list[Any]], categorical: bool
) -> None:
    """A polars frame (strings, categoricals, ints, nulls) gives the same Ratings or error on
    both paths."""
    pl = pytest.importorskip("polars")
    try:
        df = pl.DataFrame({name: col for name, col in zip("ial", table, strict=True)})
    except Exception:  # polars refuses mixed columns and pd.NA
        return
    if categorical:
        df = df.with_columns(pl.col(pl.String).cast(pl.Categorical))
    fast, general = both(lambda: Ratings.from_frame(df, item="i", annotator="a", label="l"))
    assert fast == general
