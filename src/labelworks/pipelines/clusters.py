"""Clusters of near-duplicates from verified pairs: union-find over item positions.

Both detectors (``minhash`` for texts, ``phash`` for images) hand their verified pairs here;
a cluster is a connected component of two or more items, its representative the earliest
(smallest position, i.e. the item imported first when positions follow item ids).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def components(n: int, left: NDArray[np.int64], right: NDArray[np.int64]) -> list[list[int]]:
    """Connected components with two or more members of the graph on ``range(n)`` whose
    edges are ``zip(left, right)``: each sorted, the list sorted by its first member."""
    parent = np.arange(n, dtype=np.int64)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = int(parent[root])
        while parent[x] != root:  # path compression
            parent[x], x = root, int(parent[x])
        return root

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    touched = np.unique(np.concatenate([left, right])) if len(left) else np.empty(0, np.int64)
    for x in touched.tolist():
        groups.setdefault(find(x), []).append(x)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def unique_pairs(
    left: NDArray[np.int64], right: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The pairs without repeats or self-pairs, each as (smaller, larger), sorted."""
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    keep = lo != hi
    lo, hi = lo[keep], hi[keep]
    if not len(lo):
        return lo, hi
    both = np.unique(np.stack([lo, hi], axis=1), axis=0)
    return both[:, 0].copy(), both[:, 1].copy()
