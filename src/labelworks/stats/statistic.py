"""Per-item sufficient statistics: the shared engine of the coefficients and the bootstrap.

Every vectorised coefficient is written as ``finish(table.sum over items)``: an items × K
table of per-item contributions and a function of the column totals. The plain coefficient
sums every item once; the bootstrap multiplies the table by the resample counts, so 1,000
resamples cost one matrix product instead of 1,000 recomputations.

The table is kept as the blocks it was made of (dense columns and matrices, sparse
matrices, one-hot codes): a plain coefficient needs only each block's column sums, and
stacking them into one sparse matrix cost more than the coefficient itself, so only the
bootstrap does it, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeAlias

import numpy as np
from scipy import sparse

from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError, Ratings

# Above this many cells (and cells per rating) the dense items × categories count matrix
# would cost more memory than the ratings themselves; the (item, category, count) triples
# are used instead.
_DENSE_CELLS = 20_000_000
_DENSE_PER_RATING = 4

Finish = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class UnitCounts:
    """How many annotators chose each category on each item.

    ``count[k]`` annotators put item ``unit[k]`` in category ``category[k]`` (the non-zero
    triples, ordered by item, then category); ``raters[i]`` is the number of ratings of
    item ``i``. ``dense`` is the same as an items × categories matrix when that is small
    enough to hold, else ``None``; it is stored category by category (Fortran order), as
    the coefficients read it: a column is then contiguous, and numpy works through a few
    contiguous columns several times faster than through many rows of a few.
    """

    raters: FloatArray
    n_units: int
    n_categories: int
    dense: FloatArray | None
    key: IntArray | None = None  # item * n_categories + label, when there is no ``dense``

    @classmethod
    def of(cls, r: Ratings) -> UnitCounts:
        c, n = r.n_categories, r.n_items
        if n * c > max(_DENSE_CELLS, _DENSE_PER_RATING * r.n_ratings):
            key = r.item * c
            key += r.label
            raters = np.bincount(r.item, minlength=n).astype(np.float64)
            return cls(raters=raters, n_units=n, n_categories=c, dense=None, key=key)
        by_category = r.label * n
        by_category += r.item
        dense = np.bincount(by_category, minlength=n * c).astype(np.float64).reshape(c, n).T
        # a few column additions beat a second count over every rating; counts are exact
        raters = np.zeros(n)
        for column in dense.T:
            raters += column
        return cls(raters=raters, n_units=n, n_categories=c, dense=dense)

    @cached_property
    def _triples(self) -> tuple[IntArray, FloatArray]:
        if self.dense is not None:
            # in C order (by item, then category); a boolean mask finds them faster
            nz = np.flatnonzero(self.dense != 0)
            return nz, self.dense[nz // self.n_categories, nz % self.n_categories]
        assert self.key is not None
        nz, counts = np.unique(self.key, return_counts=True)
        return nz, counts.astype(np.float64)

    @property
    def unit(self) -> IntArray:
        return (self._triples[0] // self.n_categories).astype(np.int64)

    @property
    def category(self) -> IntArray:
        return (self._triples[0] % self.n_categories).astype(np.int64)

    @property
    def count(self) -> FloatArray:
        return self._triples[1]

    def scaled(self, scale: FloatArray) -> RowScaled | sparse.csr_matrix:
        """The count matrix with each row multiplied by ``scale``, as a block; a dense one
        stays the matrix and the scale, whose column totals need no product."""
        return self.matrix(scale) if self.dense is None else RowScaled(self.dense, scale)

    def matrix(self, scale: FloatArray | None = None) -> FloatArray | sparse.csr_matrix:
        """Items × categories count matrix (dense when small enough), each row optionally
        multiplied by ``scale``."""
        if self.dense is not None:
            return self.dense if scale is None else self.dense * scale[:, None]
        unit = self.unit
        data = self.count if scale is None else self.count * scale[unit]
        return sparse.csr_matrix(
            (data, (unit, self.category)), shape=(self.n_units, self.n_categories)
        )

    def category_totals(self, scale: FloatArray | None = None) -> FloatArray:
        """Per category, the (row-scaled) count over all items."""
        if self.dense is not None:
            return self.dense.sum(axis=0) if scale is None else scale @ self.dense
        weights = self.count if scale is None else self.count * scale[self.unit]
        return np.bincount(self.category, weights, minlength=self.n_categories).astype(np.float64)

    def within_unit_pairs(self, weights: FloatArray) -> FloatArray:
        """Per item, ``sum_kl w_kl n_ik n_il``: the weighted count of ordered rating pairs
        (including a rating with itself)."""
        identity = np.array_equal(weights, np.eye(self.n_categories))
        if self.dense is not None:
            n = self.dense
            # category by category, as `dense` is stored (transposing keeps the product so)
            paired = n if identity else (weights.T @ n.T).T
            out = np.zeros(self.n_units)
            for own, other in zip(n.T, paired.T, strict=True):
                out += own * other
            return out
        if identity:
            return np.bincount(self.unit, self.count**2, minlength=self.n_units).astype(np.float64)
        m: Any = self.matrix()
        return np.asarray(m.multiply(m @ sparse.csr_matrix(weights)).sum(axis=1)).reshape(-1)


def gram(a: FloatArray | sparse.csr_matrix, b: FloatArray | sparse.csr_matrix) -> FloatArray:
    """``a.T @ b`` as a dense array, for dense or sparse items × categories matrices."""
    out: Any = a.T @ b
    return np.asarray(out.toarray() if sparse.issparse(out) else out, dtype=np.float64)


@dataclass(frozen=True)
class OneHot:
    """An items × ``width`` 0/1 block with at most one 1 per item, in column ``code[i]``
    (``-1``: none)."""

    code: IntArray
    width: int

    def matrix(self) -> sparse.csr_matrix:
        rows = np.flatnonzero(self.code >= 0)
        return sparse.csr_matrix(
            (np.ones(rows.size), (rows, self.code[rows])), shape=(self.code.size, self.width)
        )


@dataclass(frozen=True)
class RowScaled:
    """A dense items × K block: ``matrix`` with row ``i`` multiplied by ``scale[i]``."""

    matrix: FloatArray
    scale: FloatArray

    def product(self) -> FloatArray:
        return self.matrix * self.scale[:, None]


Block: TypeAlias = FloatArray | sparse.csr_matrix | OneHot | RowScaled

# numpy sums a narrow C-ordered matrix down its columns row by row, several times slower
# than summing each strided column on its own (pairwise, as a 1-D sum is).
_COLUMN_SUMS = 16


def _width(block: Block) -> int:
    if isinstance(block, OneHot):
        return block.width
    if isinstance(block, RowScaled):
        return int(block.matrix.shape[1])
    return 1 if block.ndim == 1 else int(block.shape[1])


def _totals(block: Block) -> FloatArray:
    """Column sums of a block, shape ``(width,)``."""
    if isinstance(block, OneHot):
        used = block.code[block.code >= 0]
        return np.bincount(used, minlength=block.width).astype(np.float64)
    if isinstance(block, RowScaled):
        return np.asarray(np.einsum("i,ik->k", block.scale, block.matrix), dtype=np.float64)
    if isinstance(block, np.ndarray):
        if block.ndim == 2 and block.shape[1] <= _COLUMN_SUMS:
            return np.array([column.sum() for column in block.T], dtype=np.float64)
        return np.atleast_1d(block.sum(axis=0)).astype(np.float64)
    return np.asarray(block.sum(axis=0), dtype=np.float64).reshape(-1)


@dataclass(frozen=True)
class ItemStatistics:
    """A coefficient as per-item contributions (``blocks``, side by side an items × K
    table) and ``finish``, which maps column totals of shape (B, K) to B coefficient values.
    """

    blocks: tuple[Block, ...]
    finish: Finish

    @property
    def n_columns(self) -> int:
        return sum(_width(b) for b in self.blocks)

    def value(self) -> float:
        totals = np.concatenate([_totals(b) for b in self.blocks]).reshape(1, -1)
        return float(self.finish(totals)[0])

    def resampled(self, counts: FloatArray) -> FloatArray:
        """Coefficient values for resamples given as a (B, items) matrix of draw counts."""
        return self.finish(np.asarray((self._table.T @ counts.T).T, dtype=np.float64))

    @cached_property
    def _table(self) -> Any:
        """The blocks stacked into one sparse items × K matrix, built once per bootstrap.

        One sparse product per resample chunk, as before the blocks were kept apart: a dense
        BLAS product was no faster here, and its idle threads spinning on the second core
        slowed the resample draws in between.
        """
        parts = []
        for block in self.blocks:
            if isinstance(block, OneHot):
                parts.append(block.matrix())
            elif isinstance(block, RowScaled):
                parts.append(sparse.csr_matrix(block.product()))
            elif isinstance(block, np.ndarray):
                parts.append(sparse.csr_matrix(block.reshape(block.shape[0], -1)))
            else:
                parts.append(sparse.csr_matrix(block))
        return sparse.hstack(parts, format="csr")


def columns(*blocks: Block | Sequence[Block]) -> tuple[Block, ...]:
    """Blocks of per-item columns side by side (nested groups are flattened)."""
    out: list[Block] = []
    for b in blocks:
        if isinstance(b, tuple | list):
            out.extend(b)
        else:
            out.append(b)
    return tuple(out)


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
