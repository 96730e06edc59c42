"""Columns to integer codes: how ``Ratings`` turns ids and labels into ``0..n-1``.

The general path (``column`` then ``factorize``) takes anything — lists, arrays, mixed types,
tuples — and codes the distinct values in sorted order (first-seen order when they cannot be
sorted). Two kinds of column skip its costs and give exactly the same codes and ids:

* integers, coded through a lookup table over their value range instead of a sort;
* strings (numpy, pandas, polars or pyarrow), hashed by Arrow's ``dictionary_encode`` and
  sorted once over the distinct values only. Arrow compares UTF-8 bytes, which orders
  strings as Python does (by code point).

Anything those two do not recognise, missing values included, takes the general path, which
also words every error.
"""

from __future__ import annotations

import importlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from labelworks.stats.ids import Ids, PendingIds

IntArray = npt.NDArray[np.int64]


class InvalidRatingsError(ValueError):
    """The ratings table cannot be used for the requested statistic."""


@dataclass(frozen=True)
class Coded:
    """A column already turned into codes: ``ids[codes[k]]`` is row ``k``'s value."""

    codes: IntArray
    ids: Ids


def is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    # pandas.NA / NaT and polars nulls surface as these types; checking by name keeps the
    # core free of a pandas import.
    return type(value).__name__ in {"NAType", "NaTType"}


def encode_series(values: Any) -> Coded | None:
    """Codes for a pandas / polars / pyarrow string column without converting it to Python
    objects first, or ``None`` when the general path has to look at it."""
    module = type(values).__module__.split(".", 1)[0]
    if getattr(values, "ndim", 1) != 1:  # e.g. a frame's duplicated column name
        return None
    if module == "pandas":
        if not isinstance(values.dtype, np.dtype):  # string, categorical, Arrow-backed
            return _arrow_codes(values)
        if values.dtype.kind != "O":
            return None
        # pandas is loaded: the caller handed us one of its objects
        infer_dtype = importlib.import_module("pandas.api.types").infer_dtype
        # a cheap scan that spares mixed object columns a doomed Arrow conversion
        if infer_dtype(values, skipna=False) != "string":
            return None
        return _arrow_codes(values, objects=values.to_numpy())
    if module == "polars":
        if str(values.dtype).split("(", 1)[0] not in {"String", "Utf8", "Categorical", "Enum"}:
            return None
        return _arrow_codes(values.to_arrow())
    if module == "pyarrow":
        return _arrow_codes(values)
    return None


def column(values: Any, what: str) -> npt.NDArray[Any]:
    """One 1-D array per column, keeping each original id as given.

    ``np.asarray`` would turn ``[1, "a"]`` into the strings ``["1", "a"]`` and tuples into a
    2-D array; both would silently change the caller's ids, so those fall back to ``object``.
    """
    if isinstance(values, np.ndarray) and values.ndim == 1:
        arr = values
    elif type(values).__module__.startswith("pyarrow") and hasattr(values, "to_pylist"):
        # Arrow refuses to_numpy() for an array it would have to copy (nulls, strings)
        arr = _sequence(values.to_pylist())
    elif hasattr(values, "to_numpy") and not isinstance(values, list | tuple):
        arr = np.asarray(values.to_numpy())
        if arr.ndim != 1:
            arr = _sequence(values)
    else:
        arr = _sequence(values)
    if arr.dtype.kind == "O" and what != "label":
        for k, v in enumerate(arr.tolist()):
            if is_missing(v):
                raise InvalidRatingsError(f"{what} id at row {k} is missing ({v!r})")
    if arr.dtype.kind == "f" and what != "label":
        bad = np.flatnonzero(np.isnan(arr))
        if bad.size:
            raise InvalidRatingsError(f"{what} id at row {int(bad[0])} is NaN")
    return arr


def _sequence(values: Any) -> npt.NDArray[Any]:
    seq = list(values) if not isinstance(values, list) else values
    try:
        arr = np.asarray(seq) if seq else np.empty(0, dtype=np.float64)
    except ValueError:  # ragged tuples as ids
        arr = np.empty((0, 0))
    mixed = arr.dtype.kind in "USb" and len({type(v) for v in seq}) > 1
    if arr.ndim != 1 or mixed or (arr.dtype.kind in "iuf" and _has_bool(seq)):
        arr = np.empty(len(seq), dtype=object)
        for k, v in enumerate(seq):
            arr[k] = v
    return arr


def _has_bool(seq: Sequence[Any]) -> bool:
    kinds = {type(v) for v in seq}
    return bool(kinds & {bool, np.bool_}) and len(kinds) > 1


def factorize(values: npt.NDArray[Any], what: str) -> tuple[IntArray, Ids]:
    """Integer codes in sorted order of the distinct values (first-seen order if unsortable)."""
    if values.dtype.kind in "iu" and values.size:
        dense = _dense_int_codes(values)
        if dense is not None:
            return dense
    if values.dtype.kind == "U" or (
        values.dtype.kind == "O" and values.size and type(values[0]) is str
    ):
        coded = _arrow_codes(values, objects=values if values.dtype.kind == "O" else None)
        if coded is not None:
            return coded.codes, coded.ids
    return unique_codes(values, what)


def unique_codes(values: npt.NDArray[Any], what: str) -> tuple[IntArray, list[Any]]:
    """``factorize`` for any array, by ``np.unique`` or, for unsortable values, a dict."""
    try:
        uniques, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.int64, copy=False).reshape(-1), uniques.tolist()
    except TypeError:
        index: dict[Hashable, int] = {}
        out = np.empty(len(values), dtype=np.int64)
        for i, v in enumerate(values.tolist()):
            try:
                out[i] = index.setdefault(v, len(index))
            except TypeError as exc:
                raise InvalidRatingsError(f"{what} id {v!r} at row {i} is not hashable") from exc
        return out, list(index)


_HEAD = 1 << 14


def _dense_int_codes(values: npt.NDArray[Any]) -> tuple[IntArray, Ids] | None:
    """``np.unique``'s codes and ids for integers spanning a range not much wider than the
    column: a presence table and its running count replace the sort."""
    low, high = int(values.min()), int(values.max())
    span = high - low + 1
    if span > 2 * values.size + 1024 or high >= 2**63:
        return None
    shifted = values.astype(np.int64)
    if low:
        shifted -= low
    present = np.zeros(span, dtype=np.bool_)
    # a column of few values (labels, annotators) shows them all in its first rows; then
    # there are no gaps and the rest of the column need not be marked
    present[shifted[:_HEAD]] = True
    if span > _HEAD or not present.all():
        present[shifted] = True
    if present.all():  # no gaps (ids 0..n-1, say): the shifted values are the codes
        return shifted, PendingIds(range(low, high + 1))
    ids = (np.flatnonzero(present) + low).astype(values.dtype)
    rank = np.cumsum(present, dtype=np.int64)
    rank -= 1
    return rank[shifted], PendingIds(ids)


def _arrow_codes(values: Any, objects: npt.NDArray[Any] | None = None) -> Coded | None:
    """Codes of a column of strings with no nulls, via Arrow; ``None`` for anything else.

    ``objects`` is the column as Python objects when it is one: Arrow would turn a ``str``
    subclass (``np.str_``, a ``StrEnum``) into a plain ``str``, and ids are kept as given.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
        if isinstance(values, np.ndarray) and values.dtype.kind == "U":
            # Arrow reads numpy's fixed-width strings as C strings: "a\x00b" would become "a"
            lengths = np.asarray(pc.utf8_length(arr), dtype=np.int64)
            if not np.array_equal(lengths, np.strings.str_len(values)):
                return None
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr.null_count:
            return None
        order = None
        if pa.types.is_dictionary(arr.type):
            codes, dictionary = np.asarray(arr.indices).astype(np.int64), arr.dictionary
            if pc.count_distinct(dictionary).as_py() != len(dictionary):
                return None
        else:
            codes, dictionary, order = _string_codes(_plain_string(arr))
        dictionary = _plain_string(dictionary)
        if dictionary.null_count:
            return None
        if order is None:
            order = np.asarray(pc.array_sort_indices(dictionary), dtype=np.int64)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if objects is not None:
        # one row per distinct value: np.unique would keep any one of a value's rows too
        first = np.zeros(len(dictionary), dtype=np.int64)
        first[codes] = np.arange(codes.size)
        if set(map(type, objects[first].tolist())) != {str}:
            return None
    used = np.zeros(len(dictionary), dtype=np.bool_)
    used[codes] = True
    if not used.all():  # a categorical's unused levels
        order = order[used[order]]
    rank = np.empty(len(dictionary), dtype=np.int64)
    rank[order] = np.arange(order.size)
    return Coded(rank[codes], PendingIds(dictionary.take(pa.array(order))))


# Rows sampled to tell whether a column comes in runs of equal values worth finding.
_RUN_SAMPLE = 4096


def _string_codes(plain: Any) -> tuple[IntArray, Any, IntArray | None]:
    """Dictionary codes of an Arrow string array without nulls, the dictionary, and its
    sorted order when that is known without sorting.

    A column in item order repeats each id over a run of rows: hashing only the first row
    of every run costs a fraction of hashing them all, and when the runs come in increasing
    order (sorted ids, as exports give them) there is nothing to hash or sort at all.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    size = len(plain)
    sample = plain[: min(size, _RUN_SAMPLE)]
    if size < 2 or 2 * pc.sum(pc.not_equal(sample[1:], sample[:-1])).as_py() >= len(sample):
        encoded = pc.dictionary_encode(plain)
        return np.asarray(encoded.indices).astype(np.int64), encoded.dictionary, None
    starts = np.flatnonzero(np.asarray(pc.not_equal(plain[1:], plain[:-1]))) + 1
    starts = np.concatenate(([0], starts))
    lengths = np.diff(starts, append=size)
    heads = plain.take(pa.array(starts))
    if starts.size == 1 or pc.all(pc.less(heads[:-1], heads[1:])).as_py():
        ranks = np.arange(starts.size)
        return np.repeat(ranks, lengths), heads, ranks
    encoded = pc.dictionary_encode(heads)
    codes = np.asarray(encoded.indices).astype(np.int64)
    return np.repeat(codes, lengths), encoded.dictionary, None


def _plain_string(arr: Any) -> Any:
    """The array as Arrow ``string``/``large_string``; raises ``TypeError`` for other types.

    ``string_view`` (what polars exports) is cast because older Arrow versions cannot hash or
    sort it.
    """
    import pyarrow as pa

    kind = arr.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return arr
    if getattr(pa.types, "is_string_view", lambda _: False)(kind):
        return arr.cast(pa.large_string())
    raise TypeError(f"not a string column: {kind}")


def sort_key(value: object) -> tuple[int, Any]:
    if isinstance(value, bool | np.bool_):
        return (0, int(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return (0, float(value))
    return (1, str(value))


def category_codes(
    codes: IntArray, seen: list[Any], categories: Sequence[Any] | None
) -> tuple[IntArray, list[Any]]:
    """Label codes over ``categories`` (in that order), or over the labels ``seen`` in
    sorted order (:func:`sort_key`) when ``categories`` is ``None``."""
    if categories is None:
        order = sorted(range(len(seen)), key=lambda k: sort_key(seen[k]))
        if order == list(range(len(seen))):
            return codes, seen
        remap = np.empty(len(seen), dtype=np.int64)
        remap[np.asarray(order)] = np.arange(len(seen))
        return remap[codes], [seen[k] for k in order]
    cats = list(categories)
    try:
        lookup = {c: k for k, c in enumerate(cats)}
    except TypeError as exc:
        raise InvalidRatingsError(f"categories must be hashable: {cats!r}") from exc
    if len(lookup) != len(cats) or any(is_missing(c) for c in cats):
        raise InvalidRatingsError(f"categories contain duplicates or gaps: {cats!r}")
    mapping = np.empty(len(seen), dtype=np.int64)
    for k, v in enumerate(seen):
        if v not in lookup:
            raise InvalidRatingsError(f"label {v!r} is not one of the categories {cats!r}")
        mapping[k] = lookup[v]
    return mapping[codes], cats
