"""Sparse item × (annotator, label) incidence: the two products every EM step needs.

Dawid–Skene-family models give each annotator a table ``P(observed | true)``. With ``C`` the
count matrix whose entry ``(i, (a, l))`` is how many times annotator ``a`` answered ``l`` for
item ``i`` — Dawid & Skene's ``n_il^(a)``, 0 or 1 unless the table has repeated ratings —

* the E-step's per-item log-likelihoods are ``C @ log_table`` (items × true classes), and
* the M-step's expected counts are ``C.T @ posteriors`` ((annotator, observed) × true).

Both are one pass of a compiled sparse-dense product over the ratings — no Python loop over
items and no per-iteration regrouping — which is where the speed over crowd-kit's pandas
joins comes from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from labelworks.stats.aggregation.estimator import FloatArray, IntArray
from labelworks.stats.ratings import Ratings


class Incidence:
    """Item × (annotator, label) incidence of a :class:`Ratings` table.

    Attributes:
        by_item, by_pair: ``C`` and its transpose (CSR).
        n_items, n_annotators, n_categories: table sizes.
        pair_counts: how many ratings each (annotator, observed label) pair has,
            shape ``(n_annotators * n_categories,)`` with index ``a * K + label``.
        per_annotator: ratings per annotator.
    """

    def __init__(self, ratings: Ratings) -> None:
        k = ratings.n_categories
        self.n_items = ratings.n_items
        self.n_annotators = ratings.n_annotators
        self.n_categories = k
        n_pairs = self.n_annotators * k
        key = ratings.annotator * k + ratings.label
        index_type = np.int32 if max(n_pairs, self.n_items) < 2**31 - 1 else np.int64
        ones = np.ones(ratings.n_ratings, dtype=np.float64)
        self.by_item = _csr(ratings.item, key, self.n_items, n_pairs, ones, index_type)
        # summing duplicates works in place, so with repeats each matrix has its own data
        data = np.ones_like(ones) if ratings.has_repeats else ones
        self.by_pair = _csr(key, ratings.item, n_pairs, self.n_items, data, index_type)
        if ratings.has_repeats:  # a repeated (annotator, label) of an item: one cell, counted
            self.by_item.sum_duplicates()
            self.by_pair.sum_duplicates()
        self.pair_counts: FloatArray = np.bincount(key, minlength=n_pairs).astype(np.float64)
        self.per_annotator: FloatArray = self.pair_counts.reshape(-1, k).sum(axis=1)

    def item_log_likelihood(self, log_table: FloatArray) -> FloatArray:
        """``sum over an item's ratings of log_table[(annotator, label)]`` per true class.

        ``log_table`` has shape ``(n_annotators * K, K_true)``; returns items × K_true.
        """
        return np.asarray(self.by_item @ log_table)

    def expected_counts(self, posteriors: FloatArray) -> FloatArray:
        """Posterior-weighted counts, shape ``(n_annotators, K_observed, K_true)``."""
        flat = np.asarray(self.by_pair @ posteriors)
        return flat.reshape(self.n_annotators, self.n_categories, posteriors.shape[1])


def _csr(
    rows: IntArray,
    cols: IntArray,
    n_rows: int,
    n_cols: int,
    data: FloatArray,
    index_type: type[np.signedinteger[Any]],
) -> sp.csr_matrix:
    """CSR built directly from a stable sort (no COO round trip, no duplicate summing)."""
    if rows.size < 2 or bool((rows[1:] >= rows[:-1]).all()):
        indices = cols.astype(index_type)  # rows already grouped, as tables often come
    else:
        # numpy radix-sorts 16-bit keys (linear time), and the order is the same stable one
        keys = rows.astype(np.uint16) if n_rows <= 2**16 else rows
        indices = cols[np.argsort(keys, kind="stable")].astype(index_type)
    indptr = np.zeros(n_rows + 1, dtype=index_type)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))
