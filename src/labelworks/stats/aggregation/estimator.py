"""The estimator contract every aggregator follows, and the label mapping it returns.

Aggregators follow the scikit-learn / crowd-kit shape: keyword hyperparameters in
``__init__`` (stored, never validated against data there), ``fit(ratings) -> self``, learned
attributes ending in ``_``, and ``fit_predict(ratings)``. Learned arrays are indexed by the
integer codes of the :class:`~labelworks.stats.Ratings` they were fitted on, so row ``i`` of
``probas_`` is item ``items_[i]`` and column ``k`` is category ``categories_[k]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from labelworks.stats.ratings import InvalidRatingsError, Ratings

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class ItemLabels(Mapping[Any, Any]):
    """Read-only mapping ``item id -> aggregated label value`` backed by code arrays.

    Building a Python dict for millions of items costs more than the aggregation itself,
    so the dict is built lazily on first lookup by id. ``codes`` holds the category code of
    every item in ``item_ids`` order; compare with a plain dict using ``==``.
    """

    def __init__(self, items: list[Any], categories: list[Any], codes: IntArray) -> None:
        self.item_ids = items
        self.category_values = categories
        self.codes = codes
        self._index: dict[Any, int] | None = None

    def __getitem__(self, item: Any) -> Any:
        if self._index is None:
            self._index = {it: k for k, it in enumerate(self.item_ids)}
        try:
            position = self._index[item]
        except KeyError:
            raise KeyError(f"item {item!r} was not in the fitted ratings") from None
        return self.category_values[int(self.codes[position])]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.item_ids)

    def __len__(self) -> int:
        return len(self.item_ids)

    def __repr__(self) -> str:
        ids, cats = self.item_ids, self.category_values
        head = ", ".join(
            f"{ids[k]!r}: {cats[int(self.codes[k])]!r}" for k in range(min(5, len(ids)))
        )
        more = ", ..." if len(ids) > 5 else ""
        return f"ItemLabels({{{head}{more}}})"

    def to_dict(self) -> dict[Any, Any]:
        """A plain ``dict`` copy."""
        cats = self.category_values
        return {it: cats[c] for it, c in zip(self.item_ids, self.codes.tolist(), strict=True)}


class Aggregator:
    """Base class: shared fitted attributes and ``fit_predict``.

    After ``fit`` every aggregator has ``labels_`` (:class:`ItemLabels`), ``probas_``
    (items × categories, rows sum to 1), ``items_``, ``categories_`` and ``annotators_``
    (the id lists that index the learned arrays).
    """

    labels_: ItemLabels
    probas_: FloatArray
    items_: list[Any]
    categories_: list[Any]
    annotators_: list[Any]

    def fit(self, ratings: Ratings) -> Aggregator:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit_predict(self, ratings: Ratings) -> ItemLabels:
        """Fit on ``ratings`` and return ``labels_``."""
        self.fit(ratings)
        return self.labels_

    def _finish(self, ratings: Ratings, probas: FloatArray) -> None:
        """Store probabilities and the labels they imply (ties go to the lowest code)."""
        self.probas_ = probas
        self.items_ = ratings.items
        self.categories_ = ratings.categories
        self.annotators_ = ratings.annotators
        codes = row_argmax(probas)
        self.labels_ = ItemLabels(ratings.items, ratings.categories, codes)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


def check_ratings(ratings: object) -> Ratings:
    """Refuse anything but a non-empty :class:`Ratings` with a clear message."""
    if not isinstance(ratings, Ratings):
        raise InvalidRatingsError(
            f"expected a labelworks.stats.Ratings table, got {type(ratings).__name__}; "
            "build one with Ratings.from_records / from_frame / from_columns"
        )
    return ratings


def row_softmax(log_scores: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Normalise each row of log-scores in place; return (probabilities, row log-sums).

    Shifting by the row maximum before exponentiating keeps products of hundreds of
    small likelihoods representable (the log-sum-exp trick).
    """
    peak = row_max(log_scores)[:, None]
    log_scores -= peak
    np.exp(log_scores, out=log_scores)
    total = row_sum(log_scores)[:, None]
    log_scores /= total
    return log_scores, (np.log(total) + peak).ravel()


# Reducing each row of an items × categories array costs numpy a loop per row, which for a
# handful of categories is slower than a few whole-column operations (max: 18x, sum: 5x at
# 250k × 5). Up to this many columns numpy sums a row left to right, as the column loop
# does, so the sums are the same to the last bit; wider rows keep numpy's pairwise sum.
_COLUMN_LOOP = 8


def row_sum(a: FloatArray) -> FloatArray:
    """``a.sum(axis=1)`` of a 2-D array, bit for bit."""
    if a.shape[1] >= _COLUMN_LOOP or a.shape[1] == 0:
        return np.asarray(a.sum(axis=1), dtype=a.dtype)
    out = np.zeros(a.shape[0], dtype=a.dtype)  # numpy adds from 0.0 too: -0.0 sums to 0.0
    for j in range(a.shape[1]):
        out += a[:, j]
    return out


def row_max(a: FloatArray) -> FloatArray:
    """``a.max(axis=1)`` of a 2-D array with at least one column."""
    if a.shape[1] >= _COLUMN_LOOP:
        return np.asarray(a.max(axis=1), dtype=a.dtype)
    out = a[:, 0].copy()
    for j in range(1, a.shape[1]):
        np.maximum(out, a[:, j], out=out)
    return out


def row_argmax(a: FloatArray) -> IntArray:
    """``a.argmax(axis=1)`` (the first column among equal maxima) of a NaN-free 2-D array."""
    if a.shape[1] >= _COLUMN_LOOP:
        return np.asarray(np.argmax(a, axis=1), dtype=np.int64)
    best = a[:, 0].copy()
    out = np.zeros(a.shape[0], dtype=np.int64)
    for j in range(1, a.shape[1]):
        np.copyto(out, j, where=a[:, j] > best)
        np.maximum(best, a[:, j], out=best)
    return out


def check_positive_int(name: str, value: int) -> None:
    """Validate an iteration-count style hyperparameter."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_nonnegative(name: str, value: float) -> None:
    """Validate a tolerance / smoothing style hyperparameter."""
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
