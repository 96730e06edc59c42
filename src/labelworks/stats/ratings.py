"""``Ratings``: the long-form (item, annotator, label) table every statistic reads.

Stored as three aligned integer code arrays plus the original ids and label values, so that
statistics run vectorised over codes and still report in the caller's own terms.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class InvalidRatingsError(ValueError):
    """The ratings table cannot be used for the requested statistic."""


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, np.floating) and bool(np.isnan(value))


def _factorize(values: npt.NDArray[Any], what: str) -> tuple[IntArray, list[Any]]:
    """Integer codes in sorted order of the distinct values (first-seen order if unsortable)."""
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


def _sort_key(value: object) -> tuple[int, Any]:
    if isinstance(value, bool | np.bool_):
        return (0, int(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return (0, float(value))
    return (1, str(value))


@dataclass(frozen=True)
class Ratings:
    """A table of ratings: row ``k`` says annotator ``annotator[k]`` gave item ``item[k]``
    the category ``label[k]``.

    Attributes:
        item, annotator, label: aligned ``int64`` code arrays of length ``n``.
        items: original item ids, ``items[item[k]]``.
        annotators: original annotator ids, ``annotators[annotator[k]]``.
        categories: ordered label values, ``categories[label[k]]``; the order is the one
            given by ``categories=`` or sorted (numbers numerically).
        values: ``categories`` as floats when every category is numeric, else ``None``
            (interval/ratio metrics and ICC need it).
    """

    item: IntArray
    annotator: IntArray
    label: IntArray
    items: list[Any]
    annotators: list[Any]
    categories: list[Any]
    values: FloatArray | None = field(default=None)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_records(
        cls,
        records: Iterable[tuple[Any, Any, Any]],
        *,
        categories: Sequence[Any] | None = None,
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
        return cls.from_columns(items, annotators, labels, categories=categories)

    @classmethod
    def from_frame(
        cls,
        df: Any,
        *,
        item: str = "item",
        annotator: str = "annotator",
        label: str = "label",
        categories: Sequence[Any] | None = None,
    ) -> Ratings:
        """Build from a pandas or polars DataFrame with the three named columns."""
        columns = list(getattr(df, "columns", []))
        for name in (item, annotator, label):
            if name not in columns:
                raise InvalidRatingsError(
                    f"data frame has no column {name!r} (columns: {', '.join(map(str, columns))})"
                )
        return cls.from_columns(
            df[item].to_numpy(),
            df[annotator].to_numpy(),
            df[label].to_numpy(),
            categories=categories,
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

        Item ids are the row numbers; annotator ids are ``annotators`` or column numbers.
        """
        matrix = [list(r) for r in rows]
        if not matrix:
            raise InvalidRatingsError("the ratings matrix has no rows")
        width = len(matrix[0])
        for i, r in enumerate(matrix):
            if len(r) != width:
                raise InvalidRatingsError(
                    f"row {i} of the ratings matrix has {len(r)} entries, expected {width}"
                )
        names = list(annotators) if annotators is not None else list(range(width))
        if len(names) != width:
            raise InvalidRatingsError(
                f"{len(names)} annotator names given for a matrix with {width} columns"
            )
        it_col: list[Any] = []
        an_col: list[Any] = []
        lab_col: list[Any] = []
        for i, r in enumerate(matrix):
            for j, v in enumerate(r):
                if not _is_missing(v):
                    it_col.append(i)
                    an_col.append(names[j])
                    lab_col.append(v)
        return cls.from_columns(it_col, an_col, lab_col, categories=categories)

    @classmethod
    def from_columns(
        cls,
        items: Any,
        annotators: Any,
        labels: Any,
        *,
        categories: Sequence[Any] | None = None,
    ) -> Ratings:
        """Build from three aligned sequences or arrays (the fast path for big tables)."""
        it = np.asarray(items)
        an = np.asarray(annotators)
        lab = np.asarray(labels)
        if not (len(it) == len(an) == len(lab)):
            raise InvalidRatingsError(
                f"mismatched lengths: {len(it)} items, {len(an)} annotators, {len(lab)} labels"
            )
        if len(it) == 0:
            raise InvalidRatingsError("the ratings table is empty")
        if lab.dtype.kind == "f":
            bad = np.flatnonzero(np.isnan(lab))
            if bad.size:
                raise InvalidRatingsError(f"label at row {int(bad[0])} is NaN")
        elif lab.dtype.kind == "O":
            for k, v in enumerate(lab.tolist()):
                if _is_missing(v):
                    raise InvalidRatingsError(f"label at row {k} is missing ({v!r})")
        item_codes, item_ids = _factorize(it, "item")
        ann_codes, ann_ids = _factorize(an, "annotator")
        if categories is None:
            label_codes, cats = _factorize(lab, "label")
            order = sorted(range(len(cats)), key=lambda k: _sort_key(cats[k]))
            if order != list(range(len(cats))):
                remap = np.empty(len(cats), dtype=np.int64)
                remap[np.asarray(order)] = np.arange(len(cats))
                label_codes = remap[label_codes]
                cats = [cats[k] for k in order]
        else:
            cats = list(categories)
            if len(set(map(repr, cats))) != len(cats):
                raise InvalidRatingsError(f"categories contain duplicates: {cats!r}")
            lookup = {c: k for k, c in enumerate(cats)}
            uniq, inverse = _factorize(lab, "label")
            mapping = np.empty(len(inverse), dtype=np.int64)
            for k, v in enumerate(inverse):
                if v not in lookup:
                    raise InvalidRatingsError(
                        f"label {v!r} is not one of the categories {cats!r}"
                    )
                mapping[k] = lookup[v]
            label_codes = mapping[uniq]
        pair = item_codes * max(len(ann_ids), 1) + ann_codes
        if np.unique(pair).size != pair.size:
            dup = _first_duplicate(pair)
            raise InvalidRatingsError(
                f"annotator {ann_ids[int(ann_codes[dup])]!r} rated item "
                f"{item_ids[int(item_codes[dup])]!r} more than once (row {dup})"
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
            items=item_ids,
            annotators=ann_ids,
            categories=cats,
            values=values,
        )

    # ------------------------------------------------------------------- views
    @property
    def n_ratings(self) -> int:
        return int(self.item.size)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_annotators(self) -> int:
        return len(self.annotators)

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


def _first_duplicate(pair: IntArray) -> int:
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    same = np.flatnonzero(sorted_pair[1:] == sorted_pair[:-1])
    return int(order[same[0] + 1])
