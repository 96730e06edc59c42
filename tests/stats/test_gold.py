"""gold_accuracy and the Wilson interval."""

from __future__ import annotations

import numpy as np
import pytest

from labelworks.stats import InvalidRatingsError, Ratings
from labelworks.stats.aggregation import gold_accuracy, wilson_interval


def table() -> Ratings:
    return Ratings.from_records(
        [
            ("g1", "ann", "cat"), ("g1", "bob", "dog"), ("g1", "eve", "cat"),
            ("g2", "ann", "dog"), ("g2", "bob", "dog"),
            ("g3", "ann", "cat"), ("g3", "bob", "cat"),
            ("x1", "ann", "dog"), ("x1", "eve", "dog"),
        ]
    )  # fmt: skip


def test_gold_accuracy_reports_counts_intervals_and_confusions() -> None:
    """The whole report for three annotators on three gold items."""
    rep = gold_accuracy(table(), {"g1": "cat", "g2": "dog", "g3": "dog", "unseen": "cat"})
    assert rep.annotators == ["ann", "bob", "eve"]
    assert rep.gold_items == 3
    assert rep.correct.tolist() == [2, 1, 1]
    assert rep.total.tolist() == [3, 3, 1]
    np.testing.assert_allclose(rep.accuracy, [2 / 3, 1 / 3, 1.0])
    low, high = wilson_interval(np.array([2, 1, 1]), np.array([3, 3, 1]))
    np.testing.assert_allclose(rep.low, low)
    np.testing.assert_allclose(rep.high, high)
    assert rep.confusions.tolist() == [
        [[1, 0], [1, 1]],  # ann: cat->cat, dog->dog, dog->cat (g3)
        [[0, 1], [1, 1]],  # bob: cat->dog, dog->dog, dog->cat
        [[1, 0], [0, 0]],  # eve: cat->cat
    ]


def test_gold_accuracy_accepts_pairs_and_marks_annotators_without_gold() -> None:
    """Gold given as pairs works; an annotator with no gold rating gets NaN, not 0."""
    rep = gold_accuracy(table(), [("x1", "dog")])
    records = rep.to_records()
    assert [(d["annotator"], d["correct"], d["total"]) for d in records] == [
        ("ann", 1, 1),
        ("bob", 0, 0),
        ("eve", 1, 1),
    ]
    assert np.isnan(records[1]["accuracy"]) and np.isnan(records[1]["low"])


def test_gold_accuracy_rejects_unknown_gold_labels_and_bad_entries() -> None:
    """A gold label outside the categories, or a non-pair entry, is an InvalidRatingsError."""
    with pytest.raises(InvalidRatingsError, match="gold label 'cow' for item 'g1'"):
        gold_accuracy(table(), {"g1": "cow"})
    with pytest.raises(InvalidRatingsError, match="is not an \\(item, label\\) pair"):
        gold_accuracy(table(), [("g1",)])  # type: ignore[list-item]


def test_wilson_interval_known_values_and_edges() -> None:
    """Wilson (1927) bounds for 8/10, 0/10 and 10/10, and NaN for no trials."""
    low, high = wilson_interval(np.array([8, 0, 10, 0]), np.array([10, 10, 10, 0]))
    np.testing.assert_allclose(low[:3], [0.4901625, 0.0, 0.7224672], atol=1e-6)
    np.testing.assert_allclose(high[:3], [0.9433178, 0.2775328, 1.0], atol=1e-6)
    assert np.isnan(low[3]) and np.isnan(high[3])
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        wilson_interval(np.array([1]), np.array([2]), confidence=1.5)


# The cross-check against statsmodels lives in tests/stats/peers/agreement_checks.py.
