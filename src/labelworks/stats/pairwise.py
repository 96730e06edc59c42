"""Agreement of every pair of annotators, on the items each pair shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from labelworks.stats.chance import cohen_kappa, percent_agreement
from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError, Ratings
from labelworks.stats.weights import weight_matrix


@dataclass(frozen=True)
class PairwiseAgreement:
    """Annotator × annotator agreement.

    ``values[i, j]``: the metric for ``annotators[i]`` and ``annotators[j]`` on the items
    both rated, NaN on the diagonal and where they share fewer than ``min_shared`` items (or
    the metric is undefined). ``shared[i, j]``: how many items both rated (the diagonal is
    how many items each rated).
    """

    annotators: list[Any]
    values: FloatArray
    shared: IntArray

    def mean_agreement(self) -> dict[Any, float]:
        """Each annotator's mean agreement with the others (NaN pairs skipped): a low value
        points at an annotator who reads the guidelines differently."""
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(self.values)
            total = np.where(finite, self.values, 0.0).sum(axis=1)
            n = finite.sum(axis=1)
            mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        return {a: float(v) for a, v in zip(self.annotators, mean, strict=True)}


def pairwise_matrix(
    r: Ratings,
    metric: Callable[..., float] = cohen_kappa,
    min_shared: int = 2,
    **metric_kwargs: Any,
) -> PairwiseAgreement:
    """``metric`` for every pair of annotators, with the number of items they share.

    Cohen's kappa (Cohen 1960) and percent agreement are computed for all pairs at once
    with sparse products (O(annotators² × categories) memory); any other two-annotator
    metric is called once per pair. Read each cell like the metric; compare rows to find
    outlying annotators (see :meth:`PairwiseAgreement.mean_agreement`).

    >>> r = Ratings.from_matrix([[1, 1, 2], [2, 2, 2], [1, 1, 1], [2, 2, 1]],
    ...                         annotators=["ann", "bob", "cat"])
    >>> p = pairwise_matrix(r, percent_agreement)
    >>> p.values.tolist(), p.shared.tolist()
    ([[nan, 1.0, 0.5], [1.0, nan, 0.5], [0.5, 0.5, nan]], [[4, 4, 4], [4, 4, 4], [4, 4, 4]])
    """
    if min_shared < 1:
        raise InvalidRatingsError(f"min_shared must be at least 1, got {min_shared}")
    r.require_single_ratings("pairwise_matrix")
    r.require_annotators(2)
    a = r.n_annotators
    rated = sparse.csr_matrix((np.ones(r.n_ratings), (r.annotator, r.item)), shape=(a, r.n_items))
    shared = np.rint(np.asarray((rated @ rated.T).todense())).astype(np.int64)
    if metric is cohen_kappa or metric is percent_agreement:
        values = _by_category(r, rated, shared, metric is cohen_kappa, **metric_kwargs)
    else:
        values = _by_pair(r, shared, min_shared, metric, **metric_kwargs)
    values[shared < min_shared] = np.nan
    np.fill_diagonal(values, np.nan)
    return PairwiseAgreement(list(r.annotators), values, shared)


def _by_category(
    r: Ratings,
    rated: sparse.csr_matrix,
    shared: IntArray,
    chance: bool,
    weights: Any = None,
) -> FloatArray:
    """Cohen's kappa / percent agreement for all pairs: one sparse product per category."""
    a, q = r.n_annotators, r.n_categories
    w = weight_matrix(weights, q)
    chose = [
        sparse.csr_matrix(
            (np.ones(int(m.sum())), (r.annotator[m], r.item[m])), shape=(a, r.n_items)
        )
        for m in (r.label == c for c in range(q))
    ]
    n = shared.astype(np.float64)
    observed = np.zeros((a, a))
    expected = np.zeros((a, a))
    # marginal[c][i, j]: items i labelled c among those j also rated
    marginal = [np.asarray((x @ rated.T).todense()) for x in chose]
    for c in range(q):
        credit = sparse.csr_matrix((a, r.n_items))
        for d in range(q):
            if w[c, d] != 0:
                credit = credit + w[c, d] * chose[d]
        observed += np.asarray((chose[c] @ credit.T).todense())
        if chance:
            other = sum(w[c, d] * marginal[d] for d in range(q))
            expected += marginal[c] * np.asarray(other).T
    with np.errstate(invalid="ignore", divide="ignore"):
        po = observed / n
        if not chance:
            return po
        pe = expected / n**2
        den = 1.0 - pe
        return np.where(np.abs(den) > 1e-12, (po - pe) / den, np.nan)


def _by_pair(
    r: Ratings,
    shared: IntArray,
    min_shared: int,
    metric: Callable[..., float],
    **metric_kwargs: Any,
) -> FloatArray:
    a = r.n_annotators
    values = np.full((a, a), np.nan)
    for i in range(a):
        for j in range(i + 1, a):
            if shared[i, j] < min_shared:
                continue
            rows = np.flatnonzero((r.annotator == i) | (r.annotator == j))
            both = np.bincount(r.item[rows], minlength=r.n_items)[r.item[rows]] == 2
            try:
                v = float(metric(r.select(rows[both]), **metric_kwargs))
            except InvalidRatingsError:
                v = float("nan")
            values[i, j] = values[j, i] = v
    return values
