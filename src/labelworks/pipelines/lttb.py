"""Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013), with numpy.

``lttb_indices(x, y, n)`` picks ``n`` of the points that keep a line chart's shape: the
first and the last point, and from each of ``n - 2`` equal buckets in between the point
that makes the largest triangle with the point picked before it and the mean of the next
bucket. It returns indices, so several channels sampled at the same times can share them.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def bucket_edges(length: int, n: int) -> list[int]:
    """Where each of the ``n - 2`` middle buckets starts, and where the last one ends.

    Bucket ``i`` holds points ``edges[i]`` up to ``edges[i + 1]`` (excluded); the first
    point and the last are buckets of their own.
    """
    every = (length - 2) / (n - 2)
    return [math.floor(i * every) + 1 for i in range(n - 2)] + [length - 1]


def lttb_indices(x: ArrayLike, y: ArrayLike, n: int) -> NDArray[np.intp]:
    """The indices (ascending) of the ``n`` points LTTB keeps of the series ``(x, y)``.

    All points are kept when there are no more than ``n``. ``n`` must be at least 3 (the
    first point, the last and one bucket). NaN values count as 0 when choosing.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.nan_to_num(np.asarray(y, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    length = len(xs)
    if len(ys) != length:
        raise ValueError(f"x has {length} values and y {len(ys)}")
    if n < 3:
        raise ValueError(f"n must be at least 3, not {n}")
    if length <= n:
        return np.arange(length, dtype=np.intp)
    edges = bucket_edges(length, n)
    picked = np.empty(n, dtype=np.intp)
    picked[0] = 0
    picked[-1] = length - 1
    a = 0
    for i in range(n - 2):
        start, stop = edges[i], edges[i + 1]
        after_stop = edges[i + 2] if i + 2 < len(edges) else length
        following = slice(stop, after_stop)
        next_x = xs[following].mean()
        next_y = ys[following].mean()
        ax, ay = xs[a], ys[a]
        # Twice the triangle's area; the factor does not change which point wins.
        areas = np.abs(
            (ax - next_x) * (ys[start:stop] - ay) - (ax - xs[start:stop]) * (next_y - ay)
        )
        a = start + int(np.argmax(areas))
        picked[i + 1] = a
    return picked
