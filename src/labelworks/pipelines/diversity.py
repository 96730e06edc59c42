"""Diverse picks: TF-IDF vectors of texts and k-center greedy (farthest-point) selection.

- **TF-IDF**: tokens are runs of word characters, case-folded; a term's weight in a text
  is its count times ``idf = ln((1 + N) / (1 + df)) + 1`` (the smoothed form), and each
  vector is scaled to unit length, so the Euclidean distance between two vectors orders
  pairs as their cosine similarity does. Held in a ``scipy.sparse`` CSR matrix.
- **k-center greedy**: the first pick is the point farthest from the mean of all points
  (the earliest on ties); each next pick is the point farthest from its nearest pick so
  far (the earliest on ties). This 2-approximates the k-center objective (the largest
  distance from any point to its nearest pick).

Pure: numpy and scipy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

_TOKEN = re.compile(r"\w+")

Progress = Callable[[int, int], None]
# A scipy.sparse CSR matrix or a dense 2-D array (scipy is untyped: Any).
Matrix: TypeAlias = Any


def tfidf(texts: Sequence[str]) -> sp.csr_matrix:
    """Unit-length TF-IDF rows for the texts (an all-zero row for a text without words)."""
    vocabulary: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    counts: list[int] = []
    for text in texts:
        row: dict[int, int] = {}
        for token in _TOKEN.findall(text.casefold()):
            j = vocabulary.setdefault(token, len(vocabulary))
            row[j] = row.get(j, 0) + 1
        indices.extend(row)
        counts.extend(row.values())
        indptr.append(len(indices))
    shape = (len(texts), max(len(vocabulary), 1))
    tf = sp.csr_matrix(
        (np.array(counts, np.float64), np.array(indices, np.int64), np.array(indptr, np.int64)),
        shape=shape,
    )
    df = np.bincount(tf.indices, minlength=shape[1])
    idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
    weighted = sp.csr_matrix(tf.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ weighted)


def _squared_norms(x: Matrix) -> NDArray[np.float64]:
    if sp.issparse(x):
        return np.asarray(x.multiply(x).sum(axis=1), dtype=np.float64).ravel()
    return np.asarray(np.einsum("ij,ij->i", x, x), dtype=np.float64)


def _distances_to(
    x: Matrix, norms: NDArray[np.float64], row: NDArray[np.float64]
) -> NDArray[np.float64]:
    dots = np.asarray(x @ row, dtype=np.float64).ravel()
    return np.asarray(np.sqrt(np.maximum(norms - 2.0 * dots + float(row @ row), 0.0)))


def _dense_row(x: Matrix, i: int) -> NDArray[np.float64]:
    if sp.issparse(x):
        return np.asarray(x[i].toarray(), dtype=np.float64).ravel()
    return np.asarray(x[i], dtype=np.float64)


def k_center(x: Matrix, k: int, progress: Progress | None = None) -> list[tuple[int, float]]:
    """``k`` rows picked by farthest-point selection, each with its distance to the
    nearest earlier pick when it was picked (its distance to the mean for the first)."""
    n = x.shape[0]
    if not 0 <= k <= n:
        raise ValueError(f"cannot pick {k:,} of {n:,} points")
    if k == 0:
        return []
    norms = _squared_norms(x)
    mean = np.asarray(x.mean(axis=0), dtype=np.float64).ravel()
    nearest = _distances_to(x, norms, mean)
    picks: list[tuple[int, float]] = []
    for step in range(k):
        i = int(np.argmax(nearest))
        picks.append((i, float(nearest[i])))
        nearest = np.minimum(nearest, _distances_to(x, norms, _dense_row(x, i)))
        nearest[i] = -1.0
        if progress is not None:
            progress(step + 1, k)
    return picks
