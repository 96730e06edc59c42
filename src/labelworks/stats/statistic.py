"""Per-item sufficient statistics: the shared engine of the coefficients and the bootstrap.

Every vectorised coefficient is written as ``finish(table.sum over items)``: a sparse
items × K table of per-item contributions and a function of the column totals. The plain
coefficient sums every item once; the bootstrap multiplies the table by the resample counts,
so 1,000 resamples cost one sparse product instead of 1,000 recomputations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError, Ratings

# Above this many cells the dense items × categories count matrix would cost more memory
# than the ratings themselves; the (item, category, count) triples are used instead.
_DENSE_CELLS = 20_000_000

Finish = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class UnitCounts:
    """How many annotators chose each category on each item, as non-zero triples.

    ``count[k]`` annotators put item ``unit[k]`` in category ``category[k]``; ``raters[i]``
    is the number of ratings of item ``i``.
    """

    unit: IntArray
    category: IntArray
    count: FloatArray
    raters: FloatArray
    n_units: int
    n_categories: int

    @classmethod
    def of(cls, r: Ratings) -> UnitCounts:
        c = r.n_categories
        key = r.item * c + r.label
        if r.n_items * c <= max(_DENSE_CELLS, 4 * r.n_ratings):
            dense = np.bincount(key, minlength=r.n_items * c)
            nz = np.flatnonzero(dense)
            counts = dense[nz]
        else:
            nz, counts = np.unique(key, return_counts=True)
        unit = (nz // c).astype(np.int64)
        return cls(
            unit=unit,
            category=(nz % c).astype(np.int64),
            count=counts.astype(np.float64),
            raters=np.bincount(r.item, minlength=r.n_items).astype(np.float64),
            n_units=r.n_items,
            n_categories=c,
        )

    def matrix(self, scale: FloatArray | None = None) -> sparse.csr_matrix:
        """Items × categories count matrix, each row optionally multiplied by ``scale``."""
        data = self.count if scale is None else self.count * scale[self.unit]
        return sparse.csr_matrix(
            (data, (self.unit, self.category)), shape=(self.n_units, self.n_categories)
        )

    def within_unit_pairs(self, weights: FloatArray) -> FloatArray:
        """Per item, ``sum_kl w_kl n_ik n_il``: the weighted count of ordered rating pairs
        (including a rating with itself)."""
        if np.array_equal(weights, np.eye(self.n_categories)):
            return np.bincount(self.unit, self.count**2, minlength=self.n_units).astype(np.float64)
        n = self.matrix()
        return np.asarray(n.multiply(n @ sparse.csr_matrix(weights)).sum(axis=1)).reshape(-1)


@dataclass(frozen=True)
class ItemStatistics:
    """A coefficient as per-item contributions (``table``, items × K) and ``finish``, which
    maps column totals of shape (B, K) to B coefficient values."""

    table: sparse.csr_matrix
    finish: Finish

    def value(self) -> float:
        totals = np.asarray(self.table.sum(axis=0), dtype=np.float64).reshape(1, -1)
        return float(self.finish(totals)[0])

    def resampled(self, counts: FloatArray) -> FloatArray:
        """Coefficient values for resamples given as a (B, items) matrix of draw counts."""
        totals = np.asarray((self.table.T @ counts.T).T, dtype=np.float64)
        return self.finish(totals)


def columns(*blocks: Any) -> sparse.csr_matrix:
    """Stack per-item blocks (1-D arrays or sparse/dense matrices) side by side."""
    parts = []
    for b in blocks:
        if isinstance(b, np.ndarray) and b.ndim == 1:
            parts.append(sparse.csr_matrix(b.reshape(-1, 1)))
        else:
            parts.append(sparse.csr_matrix(b))
    return sparse.hstack(parts, format="csr")


Builder = Callable[..., ItemStatistics]
_BUILDERS: dict[Callable[..., float], Builder] = {}


def resamplable(builder: Builder) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Mark a coefficient as computable from ``builder(r, **kwargs)``'s item statistics."""

    def mark(metric: Callable[..., float]) -> Callable[..., float]:
        _BUILDERS[metric] = builder
        return metric

    return mark


def item_statistics_for(metric: Callable[..., float]) -> Builder | None:
    """The item-statistics builder of ``metric``, or ``None`` when it has none."""
    return _BUILDERS.get(metric)


def ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` with NaN where the denominator vanishes (an undefined coefficient)."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.abs(den) > 1e-12
    np.divide(num, den, out=out, where=ok)
    return out


def require_pairable(raters: FloatArray) -> None:
    """Raise unless some item has at least two ratings (nothing to agree on otherwise)."""
    if not np.any(raters >= 2):
        raise InvalidRatingsError(
            "no item has ratings from two or more annotators, so agreement is undefined"
        )
