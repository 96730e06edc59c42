"""Sampling cores: stratum allocation, k-center picks against a brute-force reference,
TF-IDF vectors and uncertainty measures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.pipelines import diversity, strata, uncertainty

SIZES = st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(0, 500), min_size=1)


@settings(max_examples=200, deadline=None)
@given(SIZES, st.data())
def test_proportional_sums_to_n_within_one(sizes: dict[str, int], data: st.DataObject) -> None:
    """Largest-remainder allocations sum to n and each is within one of its quota and
    never more than its stratum holds."""
    total = sum(sizes.values())
    n = data.draw(st.integers(0, total))
    got = strata.proportional(sizes, n)
    assert sum(got.values()) == n
    for name, size in sizes.items():
        quota = n * size / total if total else 0.0
        assert abs(got[name] - quota) < 1.0
        assert 0 <= got[name] <= size


@settings(max_examples=200, deadline=None)
@given(SIZES, st.data())
def test_equal_sums_to_n_and_is_even(sizes: dict[str, int], data: st.DataObject) -> None:
    """Equal allocations sum to n; strata not exhausted differ by at most one."""
    n = data.draw(st.integers(0, sum(sizes.values())))
    got = strata.equal(sizes, n)
    assert sum(got.values()) == n
    room = [got[k] for k in sizes if got[k] < sizes[k]]
    assert all(0 <= got[k] <= sizes[k] for k in sizes)
    if room:
        assert max(got.values()) - min(room) <= 1


def test_allocation_examples_and_refusals() -> None:
    """Known allocations; drawing more than there is, or a negative n, is refused."""
    assert strata.proportional({"a": 5, "b": 3, "c": 2}, 5) == {"a": 3, "b": 1, "c": 1}
    assert strata.equal({"a": 1, "b": 10, "c": 10}, 9) == {"a": 1, "b": 4, "c": 4}
    for n in (-1, 11):
        with pytest.raises(ValueError):
            strata.proportional({"a": 5, "b": 5}, n)


def _reference_k_center(points: np.ndarray, k: int) -> list[int]:
    mean = points.mean(axis=0)
    dist = [float(np.linalg.norm(p - mean)) for p in points]
    picks: list[int] = []
    for _ in range(k):
        best = max((d, -i) for i, d in enumerate(dist) if i not in picks)
        i = -best[1]
        picks.append(i)
        dist = [min(d, float(np.linalg.norm(points[j] - points[i]))) for j, d in enumerate(dist)]
    return picks


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.integers(0, 2**31), st.data())
def test_k_center_is_the_farthest_point_sequence(
    n: int, dim: int, seed: int, data: st.DataObject
) -> None:
    """Picks equal a brute-force farthest-point sequence, dense and sparse alike."""
    k = data.draw(st.integers(0, n))
    points = np.random.default_rng(seed).normal(size=(n, dim))  # no exact ties
    expected = _reference_k_center(points, k)
    assert [i for i, _ in diversity.k_center(points, k)] == expected
    assert [i for i, _ in diversity.k_center(sp.csr_matrix(points), k)] == expected


def test_tfidf_rows_are_unit_length_and_weighted() -> None:
    """TF-IDF rows have unit length (zero for a text without words), and a word in every
    text weighs less than a rare one."""
    x = diversity.tfidf(["cat dog", "cat bird", "cat", "!!"]).toarray()
    assert np.allclose(np.linalg.norm(x, axis=1), [1, 1, 1, 0])
    assert x[0, 0] < x[0, 1]


def test_uncertainty_measures() -> None:
    """Least confident, margin and entropy of one score and of several."""
    assert uncertainty.uncertainty([0.9], "least") == pytest.approx(0.1)
    assert uncertainty.uncertainty([0.9], "margin") == pytest.approx(0.2)
    assert uncertainty.uncertainty([0.5, 0.5], "entropy") == pytest.approx(math.log(2))
    assert uncertainty.uncertainty([0.6, 0.3, 0.1], "margin") == pytest.approx(0.7)
    for bad in ([], [float("nan")], [1.5], [-0.1]):
        with pytest.raises(ValueError):
            uncertainty.uncertainty(bad, "least")
    with pytest.raises(ValueError):
        uncertainty.uncertainty([0.5], "other")
