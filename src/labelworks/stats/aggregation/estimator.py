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
        codes = np.argmax(probas, axis=1).astype(np.int64)
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
    peak = log_scores.max(axis=1, keepdims=True)
    log_scores -= peak
    np.exp(log_scores, out=log_scores)
    total = log_scores.sum(axis=1, keepdims=True)
    log_scores /= total
    return log_scores, (np.log(total) + peak).ravel()


def check_positive_int(name: str, value: int) -> None:
    """Validate an iteration-count style hyperparameter."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_nonnegative(name: str, value: float) -> None:
    """Validate a tolerance / smoothing style hyperparameter."""
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
