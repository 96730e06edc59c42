"""``Ratings``: the long-form (item, annotator, label) table every statistic reads.

Stored as three aligned integer code arrays plus the original ids and label values, so that
statistics run vectorised over codes and still report in the caller's own terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from labelworks.stats.codes import (
    Coded,
    InvalidRatingsError,
    category_codes,
    column,
    encode_series,
    factorize,
    is_missing,
)
from labelworks.stats.ids import Ids, as_field, as_list, id_count, made, set_aside
from labelworks.stats.repeats import first_repeat, has_repeat

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

__all__ = ["FloatArray", "IntArray", "InvalidRatingsError", "Ratings"]


@dataclass(frozen=True)
class Ratings:
    """A table of ratings: row ``k`` says annotator ``annotator[k]`` gave item ``item[k]``
    the category ``label[k]``.

    Attributes:
        item, annotator, label: aligned ``int64`` code arrays of length ``n``.
        items: original item ids, ``items[item[k]]``.
        annotators: original annotator ids, ``annotators[annotator[k]]``. Both lists are
            made when first read.
        categories: ordered label values, ``categories[label[k]]``; the order is the one
            given by ``categories=`` or sorted (numbers numerically).
        values: ``categories`` as floats when every category is numeric, else ``None``
            (interval/ratio metrics and ICC need it).
        has_repeats: some annotator rated some item more than once (only a table built
            with ``repeats=True`` can; rows keep their order, first rating first).
    """

    item: IntArray
    annotator: IntArray
    label: IntArray
    items: list[Any]
    annotators: list[Any]
    categories: list[Any]
    values: FloatArray | None = field(default=None)
    has_repeats: bool = field(default=False)

    def __post_init__(self) -> None:
        set_aside(self)  # ids made on first read: a coefficient never reads them (ids.py)

    if not TYPE_CHECKING:  # which would then let any attribute name pass

        def __getattr__(self, name: str) -> Any:
            return made(self, name)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_records(
        cls,
        records: Iterable[tuple[Any, Any, Any]],
        *,
        categories: Sequence[Any] | None = None,
        repeats: bool = False,
    ) -> Ratings:
        """Build from ``(item, annotator, label)`` tuples; ``None``/NaN labels are errors."""
        items: list[Any] = []
        annotators: list[Any] = []
        labels: list[Any] = []
        for row_no, record in enumerate(records):
            try:
                it, an, lab = record
            except (TypeError, ValueError) as exc:
                raise InvalidRatingsError(
                    f"record {row_no} is not an (item, annotator, label) triple: {record!r}"
                ) from exc
            items.append(it)
            annotators.append(an)
            labels.append(lab)
        return cls.from_columns(items, annotators, labels, categories=categories, repeats=repeats)

    @classmethod
    def from_frame(
        cls,
        df: Any,
        *,
        item: str = "item",
        annotator: str = "annotator",
        label: str = "label",
        categories: Sequence[Any] | None = None,
        repeats: bool = False,
    ) -> Ratings:
        """Build from a pandas or polars DataFrame with the three named columns."""
        columns = list(getattr(df, "columns", []))
        for name in (item, annotator, label):
            if name not in columns:
                raise InvalidRatingsError(
                    f"data frame has no column {name!r} (columns: {', '.join(map(str, columns))})"
                )
        return cls.from_columns(
            df[item], df[annotator], df[label], categories=categories, repeats=repeats
        )

    @classmethod
    def from_matrix(
        cls,
        rows: Any,
        annotators: Sequence[Any] | None = None,
        *,
        categories: Sequence[Any] | None = None,
    ) -> Ratings:
        """Build from a units × raters matrix; ``None`` or NaN marks a missing rating.

        Item ids are the row numbers; annotator ids are ``annotators``, else the column
        names of a pandas/polars frame, else the column numbers.
        """
        if annotators is None and hasattr(rows, "columns") and hasattr(rows, "to_numpy"):
            annotators = list(rows.columns)
        if hasattr(rows, "to_numpy"):
            rows = rows.to_numpy()
        if isinstance(rows, np.ndarray) and rows.ndim == 2 and rows.dtype.kind in "iuf":
            return cls._from_numeric_matrix(rows, annotators, categories)
        matrix = [list(r) for r in rows]
        if not matrix:
            raise InvalidRatingsError("the ratings matrix has no rows")
        width = len(matrix[0])
        for i, r in enumerate(matrix):
            if len(r) != width:
                raise InvalidRatingsError(
                    f"row {i} of the ratings matrix has {len(r)} entries, expected {width}"
                )
        names = _matrix_names(annotators, width)
        it_col: list[Any] = []
        an_col: list[Any] = []
        lab_col: list[Any] = []
        for i, r in enumerate(matrix):
            for j, v in enumerate(r):
                if not is_missing(v):
                    it_col.append(i)
                    an_col.append(names[j])
                    lab_col.append(v)
        return cls.from_columns(it_col, an_col, lab_col, categories=categories)

    @classmethod
    def _from_numeric_matrix(
        cls,
        matrix: npt.NDArray[Any],
        annotators: Sequence[Any] | None,
        categories: Sequence[Any] | None,
    ) -> Ratings:
        if matrix.shape[0] == 0:
            raise InvalidRatingsError("the ratings matrix has no rows")
        names = _matrix_names(annotators, matrix.shape[1])
        present = ~np.isnan(matrix) if matrix.dtype.kind == "f" else np.ones(matrix.shape, bool)
        rows_idx, cols_idx = np.nonzero(present)
        labels = matrix[rows_idx, cols_idx]
        if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
            # 1.0 / 2.0 from a NaN-padded matrix are the integer scores the caller typed
            labels = labels.astype(np.int64)
        name_arr = np.empty(len(names), dtype=object)
        for k, n in enumerate(names):
            name_arr[k] = n
        ann = cols_idx if annotators is None else name_arr[cols_idx]
        return cls.from_columns(rows_idx, ann, labels, categories=categories)

    @classmethod
    def from_columns(
        cls,
        items: Any,
        annotators: Any,
        labels: Any,
        *,
        categories: Sequence[Any] | None = None,
        repeats: bool = False,
    ) -> Ratings:
        """Build from three aligned sequences or arrays (the fast path for big tables).

        A column may also be a pandas or polars Series or a pyarrow array: string columns of
        those are coded without being turned into Python objects first.

        An annotator rating an item twice is an error unless ``repeats=True`` (an
        intra-annotator consistency audit serves items again): then every rating is kept,
        in row order, and ``has_repeats`` says whether there were any. Dawid–Skene counts
        repeats as the 1979 paper does; coefficients assuming one rating per (item,
        annotator) refuse such a table (see :meth:`without_repeats`).
        """
        it, an, lab = (
            encode_series(values) or column(values, what)
            for values, what in ((items, "item"), (annotators, "annotator"), (labels, "label"))
        )
        sizes = [len(c.codes) if isinstance(c, Coded) else len(c) for c in (it, an, lab)]
        if len(set(sizes)) > 1:
            raise InvalidRatingsError(
                f"mismatched lengths: {sizes[0]} items, {sizes[1]} annotators, {sizes[2]} labels"
            )
        if sizes[0] == 0:
            raise InvalidRatingsError("the ratings table is empty")
        if isinstance(lab, np.ndarray):
            _check_labels(lab)
        item_codes, item_ids = _codes(it, "item")
        ann_codes, ann_ids = _codes(an, "annotator")
        label_codes, label_ids = _codes(lab, "label")
        label_codes, cats = category_codes(label_codes, as_list(label_ids), categories)
        dup = None if repeats else first_repeat(item_codes, ann_codes, len(ann_ids))
        if dup is not None:
            raise InvalidRatingsError(
                f"annotator {as_list(ann_ids)[int(ann_codes[dup])]!r} rated item "
                f"{as_list(item_ids)[int(item_codes[dup])]!r} more than once (row {dup}); pass "
                "repeats=True to keep repeated ratings, e.g. for a consistency audit"
            )
        values: FloatArray | None = None
        if all(
            isinstance(c, int | float | np.integer | np.floating)
            and not isinstance(c, bool | np.bool_)
            for c in cats
        ):
            values = np.asarray(cats, dtype=np.float64)
        return cls(
            item=item_codes,
            annotator=ann_codes,
            label=label_codes.astype(np.int64, copy=False),
            items=as_field(item_ids),
            annotators=as_field(ann_ids),
            categories=cats,
            values=values,
            has_repeats=repeats and has_repeat(item_codes, ann_codes, len(ann_ids)),
        )

    # ------------------------------------------------------------------- views
    @property
    def n_ratings(self) -> int:
        return int(self.item.size)

    @property
    def n_items(self) -> int:
        return id_count(self, "items")

    @property
    def n_annotators(self) -> int:
        return id_count(self, "annotators")

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def counts(self) -> IntArray:
        """Dense items × categories matrix of how many annotators chose each category."""
        flat = np.bincount(
            self.item * self.n_categories + self.label,
            minlength=self.n_items * self.n_categories,
        )
        return flat.reshape(self.n_items, self.n_categories).astype(np.int64, copy=False)

    def wide(self) -> IntArray:
        """Dense items × annotators matrix of category codes, ``-1`` where missing."""
        self.require_single_ratings("the items × annotators matrix")
        out = np.full((self.n_items, self.n_annotators), -1, dtype=np.int64)
        out[self.item, self.annotator] = self.label
        return out

    def numeric_labels(self) -> FloatArray:
        """Each rating's numeric value; raises if the categories are not numeric."""
        if self.values is None:
            raise InvalidRatingsError(
                "this statistic needs numeric labels, but the categories are "
                f"{self.categories[:5]!r}"
            )
        return self.values[self.label]

    def require_annotators(self, minimum: int) -> None:
        """Raise unless at least ``minimum`` distinct annotators are present."""
        if self.n_annotators < minimum:
            raise InvalidRatingsError(
                f"this statistic needs at least {minimum} annotators, got {self.n_annotators}"
            )

    def require_single_ratings(self, what: str) -> None:
        """Raise unless every annotator rated every item at most once, naming ``what``."""
        if not self.has_repeats:
            return
        row = first_repeat(self.item, self.annotator, self.n_annotators)
        named = (
            ""
            if row is None
            else (
                f": annotator {self.annotators[int(self.annotator[row])]!r} rated item "
                f"{self.items[int(self.item[row])]!r} more than once (row {row})"
            )
        )
        raise InvalidRatingsError(
            f"{what} assumes one rating per (item, annotator), but the table has repeats"
            f"{named}; use ratings.without_repeats() to keep each first rating, or "
            "labelworks.stats.consistency.test_retest to measure the repeats"
        )

    def without_repeats(self) -> Ratings:
        """The table with only each (item, annotator)'s first rating, in row order."""
        if not self.has_repeats:
            return self
        width = max(self.n_annotators, 1)
        _, first = np.unique(self.item * width + self.annotator, return_index=True)
        return self.select(np.sort(first))

    def select(self, rows: npt.NDArray[np.bool_] | IntArray) -> Ratings:
        """A table with only the given rows (a boolean mask or row indices).

        Items and annotators that lose all their ratings are dropped and the codes are
        renumbered; the categories (and so unused levels and their order) are kept.
        """
        given = np.asarray(rows)
        if given.dtype == np.bool_:
            if given.shape != self.item.shape:
                raise InvalidRatingsError(
                    f"row mask has {given.size} entries for a table of {self.n_ratings} rows"
                )
            given = np.flatnonzero(given)
        rows = given.astype(np.int64, copy=False)
        if rows.size == 0:
            raise InvalidRatingsError("the selection leaves no ratings")
        item_used, item_codes = np.unique(self.item[rows], return_inverse=True)
        ann_used, ann_codes = np.unique(self.annotator[rows], return_inverse=True)
        item_codes = item_codes.astype(np.int64).reshape(-1)
        ann_codes = ann_codes.astype(np.int64).reshape(-1)
        items, annotators = self.items, self.annotators  # read once, not once per id
        return Ratings(
            item=item_codes,
            annotator=ann_codes,
            label=self.label[rows],
            items=[items[k] for k in item_used.tolist()],
            annotators=[annotators[k] for k in ann_used.tolist()],
            categories=self.categories,
            values=self.values,
            has_repeats=self.has_repeats and has_repeat(item_codes, ann_codes, ann_used.size),
        )

    def take_items(self, indices: IntArray) -> Ratings:
        """A table made of the given item codes in order; a repeated code becomes a new item.

        This is the bootstrap resample: ``items`` lists the original id of each drawn item,
        so ids repeat when an item is drawn twice. Annotators and categories are kept whole.
        """
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size == 0:
            raise InvalidRatingsError("no items to take")
        if indices.min() < 0 or indices.max() >= self.n_items:
            raise InvalidRatingsError(f"item codes must lie in [0, {self.n_items})")
        order = np.argsort(self.item, kind="stable")
        starts = np.searchsorted(self.item[order], np.arange(self.n_items + 1))
        lengths = starts[indices + 1] - starts[indices]
        new_item = np.repeat(np.arange(indices.size, dtype=np.int64), lengths)
        offsets = np.repeat(starts[indices] - np.cumsum(lengths) + lengths, lengths)
        rows = order[offsets + np.arange(new_item.size)]
        items = self.items  # read once, not once per id
        return Ratings(
            item=new_item,
            annotator=self.annotator[rows],
            label=self.label[rows],
            items=[items[k] for k in indices.tolist()],
            annotators=self.annotators,
            categories=self.categories,
            values=self.values,
            has_repeats=self.has_repeats,
        )


def _matrix_names(annotators: Sequence[Any] | None, width: int) -> list[Any]:
    names = list(annotators) if annotators is not None else list(range(width))
    if len(names) != width:
        raise InvalidRatingsError(
            f"{len(names)} annotator names given for a matrix with {width} columns"
        )
    return names


def _check_labels(lab: npt.NDArray[Any]) -> None:
    if lab.dtype.kind == "f":
        bad = np.flatnonzero(np.isnan(lab))
        if bad.size:
            raise InvalidRatingsError(f"label at row {int(bad[0])} is NaN")
    elif lab.dtype.kind == "O":
        for k, v in enumerate(lab.tolist()):
            if is_missing(v):
                raise InvalidRatingsError(f"label at row {k} is missing ({v!r})")


def _codes(col: Coded | npt.NDArray[Any], what: str) -> tuple[IntArray, Ids]:
    return (col.codes, col.ids) if isinstance(col, Coded) else factorize(col, what)
