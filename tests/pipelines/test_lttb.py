"""LTTB downsampling against a plain reference implementation, and its properties: the
first and last points kept, exactly n points, ascending indices of the input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.pipelines.lttb import lttb_indices


def reference_lttb(xs: list[float], ys: list[float], n: int) -> list[int]:
    """Steinarsson's algorithm written out with loops, as in the thesis."""
    length = len(xs)
    if length <= n:
        return list(range(length))
    every = (length - 2) / (n - 2)
    out = [0]
    a = 0
    for i in range(n - 2):
        avg_start = math.floor((i + 1) * every) + 1
        avg_end = min(math.floor((i + 2) * every) + 1, length)
        if i == n - 3:
            avg_start, avg_end = length - 1, length
        avg_x = sum(xs[avg_start:avg_end]) / (avg_end - avg_start)
        avg_y = sum(ys[avg_start:avg_end]) / (avg_end - avg_start)
        start = math.floor(i * every) + 1
        end = math.floor((i + 1) * every) + 1
        if i == n - 3:
            end = length - 1
        best, best_area = start, -1.0
        for j in range(start, end):
            area = abs((xs[a] - avg_x) * (ys[j] - ys[a]) - (xs[a] - xs[j]) * (avg_y - ys[a]))
            if area > best_area:
                best, best_area = j, area
        out.append(best)
        a = best
    out.append(length - 1)
    return out


@pytest.mark.parametrize(
    ("length", "n"), [(10, 3), (100, 7), (1000, 100), (1001, 1000), (5000, 333)]
)
def test_lttb_equals_the_reference(length: int, n: int) -> None:
    """On noisy random walks the numpy version picks the reference's indices."""
    rng = np.random.default_rng(length + n)
    xs = np.cumsum(rng.uniform(0.1, 1.0, length))
    ys = np.cumsum(rng.normal(size=length))
    assert lttb_indices(xs, ys, n).tolist() == reference_lttb(xs.tolist(), ys.tolist(), n)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=400),
    st.integers(3, 120),
)
def test_lttb_properties(ys: list[float], n: int) -> None:
    """Exactly min(n, length) strictly ascending indices, with the first and last point."""
    picked = lttb_indices(np.arange(len(ys), dtype=float), ys, n).tolist()
    assert (
        len(picked),
        picked[0],
        picked[-1],
        all(a < b for a, b in itertools.pairwise(picked)),
        set(picked) <= set(range(len(ys))),
    ) == (min(n, len(ys)), 0, len(ys) - 1, True, True)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=4, max_size=200), st.integers(3, 50)
)
def test_lttb_agrees_with_the_reference_on_any_series(ys: list[float], n: int) -> None:
    """Hypothesis-drawn series: same picks as the reference."""
    xs = [float(i) for i in range(len(ys))]
    assert lttb_indices(xs, ys, n).tolist() == reference_lttb(xs, ys, n)


def test_lttb_refuses_fewer_than_three_points_and_mismatched_lengths() -> None:
    """n below 3 and x/y of different lengths are errors naming the problem."""
    with pytest.raises(ValueError) as small:
        lttb_indices([1, 2, 3, 4], [1, 2, 3, 4], 2)
    with pytest.raises(ValueError) as uneven:
        lttb_indices([1, 2, 3], [1, 2], 3)
    assert (str(small.value), str(uneven.value)) == (
        "n must be at least 3, not 2",
        "x has 3 values and y 2",
    )
