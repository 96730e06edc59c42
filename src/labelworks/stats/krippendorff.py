"""Krippendorff's alpha from the coincidence matrix, for any level of measurement.

Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", Annenberg School for
Communication, University of Pennsylvania. The coincidence matrix ``o`` counts, within each
item, every ordered pair of values from different annotators, weighted ``1 / (m_u - 1)``;
``alpha = 1 - (n - 1) * sum(o * delta) / sum(n_c n_k delta)``. Items with a single rating
are not pairable and drop out.

Repeated ratings (a table built with ``repeats=True``) are accepted: the coincidence matrix
is defined over the values in each unit — Krippendorff's values-by-units matrix counts the
values a unit received, not who gave them — so an annotator's second rating of an item is
one more pairable value of that unit, paired with every other value, their own first
rating included. Alpha then blends the annotators' stability (test–retest) into their
reproducibility; for reproducibility alone use ``r.without_repeats()``, for stability
alone ``labelworks.stats.consistency.test_retest``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import sparse

from labelworks.stats.ratings import FloatArray, InvalidRatingsError, Ratings
from labelworks.stats.statistic import (
    ItemStatistics,
    UnitCounts,
    columns,
    gram,
    ratio,
    require_pairable,
    resamplable,
)

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _values_for(r: Ratings, level: str) -> FloatArray:
    """The numbers the metric differences are computed on (positions for nominal/ordinal)."""
    if level not in LEVELS:
        raise InvalidRatingsError(f"unknown level {level!r}; use one of {LEVELS}")
    if level in ("nominal", "ordinal"):
        return np.arange(r.n_categories, dtype=np.float64)
    values = r.numeric_labels() if r.values is None else r.values
    if level == "ratio" and np.any(values < 0):
        raise InvalidRatingsError("the ratio level needs non-negative values")
    return values


def _delta(level: str, values: FloatArray, marginals: FloatArray) -> FloatArray:
    """Squared metric differences δ²(c, k), shape (..., q, q); ``marginals`` is (..., q)."""
    if level == "nominal":
        q = values.size
        return np.broadcast_to(1.0 - np.eye(q), (*marginals.shape[:-1], q, q))
    if level == "ordinal":
        cum = np.cumsum(marginals, axis=-1)
        d = (cum[..., None, :] - cum[..., :, None]) - (
            marginals[..., None, :] - marginals[..., :, None]
        ) / 2.0
        return np.asarray(d**2, dtype=np.float64)
    diff = values[None, :] - values[:, None]
    if level == "interval":
        d2 = diff**2
    else:
        total = values[None, :] + values[:, None]
        d2 = np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2
    return np.broadcast_to(d2, (*marginals.shape[:-1], *d2.shape))


def _alpha(level: str, values: FloatArray, coincidence: FloatArray) -> FloatArray:
    """Alpha for one or many coincidence matrices of shape (..., q, q)."""
    marginals = coincidence.sum(axis=-1)
    n = marginals.sum(axis=-1)
    delta = _delta(level, values, marginals)
    observed = np.einsum("...ck,...ck->...", coincidence, delta)
    expected = np.einsum("...c,...k,...ck->...", marginals, marginals, delta)
    return 1.0 - ratio((n - 1.0) * observed, expected)


def _pairable(r: Ratings) -> tuple[UnitCounts, FloatArray]:
    uc = UnitCounts.of(r)
    require_pairable(uc.raters)
    m = uc.raters
    scale = np.where(m >= 2, 1.0 / np.where(m >= 2, m - 1.0, 1.0), 0.0)
    return uc, scale


def coincidence_matrix(r: Ratings) -> FloatArray:
    """Krippendorff's q × q coincidence matrix of the pairable items (rows sum to n_c).

    >>> r = Ratings.from_matrix([[1, 1], [1, 2], [2, 2]])
    >>> coincidence_matrix(r).tolist()
    [[2.0, 1.0], [1.0, 2.0]]
    """
    uc, scale = _pairable(r)
    o = gram(uc.matrix(), uc.matrix(scale))
    # a rating is never paired with itself
    o -= np.diag(uc.category_totals(scale))
    return o


def _alpha_statistics(r: Ratings, level: Level = "nominal") -> ItemStatistics:
    values = _values_for(r, level)
    uc, scale = _pairable(r)
    q = uc.n_categories
    # ordered pairs of distinct categories within each item: n_uc n_uk / (m_u - 1)
    unit, cat, cnt = uc.unit, uc.category, uc.count  # in item order
    starts = np.searchsorted(unit, np.arange(uc.n_units + 1))
    sizes = np.diff(starts)
    # for every triple t, pair it with each triple of its own unit
    reps = sizes[unit]
    left = np.repeat(np.arange(unit.size), reps)
    offset = np.arange(left.size) - np.repeat(np.cumsum(reps) - reps, reps)
    right = starts[unit[left]] + offset
    keep = cat[left] != cat[right]
    left, right = left[keep], right[keep]
    pairs = sparse.csr_matrix(
        (cnt[left] * cnt[right] * scale[unit[left]], (unit[left], cat[left] * q + cat[right])),
        shape=(uc.n_units, q * q),
    )
    # sparse: a resample's product then costs the non-zero counts, not items × categories
    margins = sparse.csr_matrix(
        (cnt * (scale[unit] > 0), (unit, cat)), shape=(uc.n_units, uc.n_categories)
    )
    table = columns(margins, pairs)

    def finish(t: FloatArray) -> FloatArray:
        o = t[:, q:].reshape(-1, q, q).copy()
        idx = np.arange(q)
        # diagonal coincidences make the row sums equal the pairable marginals
        o[:, idx, idx] = t[:, :q] - o.sum(axis=2)
        return _alpha(level, values, o)

    return ItemStatistics(table, finish)


@resamplable(_alpha_statistics)
def krippendorff_alpha(r: Ratings, level: Level = "nominal") -> float:
    """Krippendorff's alpha for any number of annotators, with missing ratings allowed.

    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability". ``level`` picks the
    difference function: ``"nominal"`` (any difference counts fully), ``"ordinal"`` (by how
    many ratings lie between two ranks, in ``r.categories`` order), ``"interval"``
    (squared difference of numeric values) or ``"ratio"`` (squared relative difference,
    non-negative values). Read: 1 perfect, 0 chance level, negative systematic
    disagreement; α ≥ 0.800 reliable, 0.667 ≤ α < 0.800 only for tentative conclusions
    (Krippendorff 2004, *Content Analysis*, §12.4). NaN when every rating is the same value.

    The example is Krippendorff's (2011) 4 observers × 12 units with missing data:

    >>> rows = [[1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2],
    ...         [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5],
    ...         [None, None, 1, 1], [None, None, 3, None]]
    >>> r = Ratings.from_matrix(rows)
    >>> [round(krippendorff_alpha(r, level), 3) for level in LEVELS]
    [0.743, 0.815, 0.849, 0.797]
    """
    values = _values_for(r, level)
    return float(_alpha(level, values, coincidence_matrix(r)))
