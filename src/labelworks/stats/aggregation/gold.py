"""Scoring annotators against gold (known-answer) items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from labelworks.stats.aggregation.estimator import FloatArray, IntArray, check_ratings
from labelworks.stats.ratings import InvalidRatingsError, Ratings


@dataclass(frozen=True)
class GoldReport:
    """Per-annotator accuracy on gold items; arrays are in ``annotators`` order.

    Attributes:
        annotators: annotator ids.
        categories: category values indexing the confusion matrices.
        correct, total: gold ratings answered correctly / answered at all.
        accuracy: ``correct / total`` (NaN for an annotator with no gold ratings).
        low, high: Wilson score interval at ``confidence`` (NaN where ``total == 0``).
        confusions: annotators × true × observed counts on gold items.
        confidence: the interval's coverage, e.g. 0.95.
        gold_items: how many gold items appear in the ratings.
    """

    annotators: list[Any]
    categories: list[Any]
    correct: IntArray
    total: IntArray
    accuracy: FloatArray
    low: FloatArray
    high: FloatArray
    confusions: IntArray
    confidence: float
    gold_items: int

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per annotator: annotator, correct, total, accuracy, low, high."""
        return [
            {
                "annotator": a,
                "correct": int(self.correct[k]),
                "total": int(self.total[k]),
                "accuracy": float(self.accuracy[k]),
                "low": float(self.low[k]),
                "high": float(self.high[k]),
            }
            for k, a in enumerate(self.annotators)
        ]


def wilson_interval(
    successes: IntArray | FloatArray, trials: IntArray | FloatArray, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for binomial proportions (E. B. Wilson, JASA 22, 1927).

    Unlike the normal ("Wald") interval it stays inside [0, 1] and keeps close to nominal
    coverage for small counts and proportions near 0 or 1 — typical for gold questions.
    Returns ``(low, high)``; NaN where ``trials == 0``.

    Example:
        >>> low, high = wilson_interval(np.array([8]), np.array([10]))
        >>> [round(float(low[0]), 4), round(float(high[0]), 4)]
        [0.4902, 0.9433]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    z = float(norm.ppf(0.5 + confidence / 2))
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.asarray(successes, dtype=np.float64) / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def gold_accuracy(
    ratings: Ratings,
    gold: Mapping[Any, Any] | Iterable[tuple[Any, Any]],
    *,
    confidence: float = 0.95,
) -> GoldReport:
    """Score each annotator against gold answers, with Wilson intervals and confusions.

    Source: accuracy on known-answer ("gold", "honeypot") items as in crowdsourcing quality
    control (e.g. Oleson et al., "Programmatic Gold", HCOMP 2011); intervals by Wilson (1927).

    How to read it: ``accuracy`` is the point estimate, ``[low, high]`` the range the true
    accuracy plausibly lies in — with 10 gold answers, 8 correct gives [0.49, 0.94], so
    do not fire anyone over it. ``confusions[a][t][o]`` counts gold items of true class
    ``categories[t]`` that annotator ``a`` labelled ``categories[o]``. Gold items nobody
    rated are ignored; ratings of non-gold items do not count.

    Args:
        ratings: the table to score.
        gold: ``{item id: true label}`` or ``(item id, true label)`` pairs; labels must be
            among ``ratings.categories``.
        confidence: interval coverage.

    Example:
        >>> from labelworks.stats import Ratings
        >>> r = Ratings.from_records([
        ...     ("g1", "ann", "cat"), ("g1", "bob", "dog"),
        ...     ("g2", "ann", "dog"), ("g2", "bob", "dog"),
        ...     ("x9", "ann", "cat"),
        ... ])
        >>> rep = gold_accuracy(r, {"g1": "cat", "g2": "dog"})
        >>> rep.accuracy.tolist(), rep.total.tolist()
        ([1.0, 0.5], [2, 2])
        >>> rep.confusions[1].tolist()  # bob: true cat -> said dog once
        [[0, 1], [0, 1]]
    """
    ratings = check_ratings(ratings)
    pairs = gold.items() if isinstance(gold, Mapping) else gold
    item_index = {it: k for k, it in enumerate(ratings.items)}
    category_index = {c: k for k, c in enumerate(ratings.categories)}
    gold_code = np.full(ratings.n_items, -1, dtype=np.int64)
    for pair in pairs:
        try:
            item, label = pair
        except (TypeError, ValueError) as exc:
            raise InvalidRatingsError(f"gold entry {pair!r} is not an (item, label) pair") from exc
        if label not in category_index:
            raise InvalidRatingsError(
                f"gold label {label!r} for item {item!r} is not one of the categories "
                f"{ratings.categories!r}"
            )
        code = item_index.get(item)
        if code is not None:
            gold_code[code] = category_index[label]

    truth = gold_code[ratings.item]
    on_gold = truth >= 0
    annotator = ratings.annotator[on_gold]
    observed = ratings.label[on_gold]
    truth = truth[on_gold]
    a, k = ratings.n_annotators, ratings.n_categories
    confusions = np.bincount((annotator * k + truth) * k + observed, minlength=a * k * k).reshape(
        a, k, k
    )
    total = np.bincount(annotator, minlength=a).astype(np.int64)
    correct = np.bincount(annotator, weights=truth == observed, minlength=a).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(total > 0, correct / np.maximum(total, 1), np.nan)
    low, high = wilson_interval(correct, total, confidence)
    return GoldReport(
        annotators=ratings.annotators,
        categories=ratings.categories,
        correct=correct,
        total=total,
        accuracy=accuracy,
        low=low,
        high=high,
        confusions=confusions.astype(np.int64),
        confidence=confidence,
        gold_items=int((gold_code >= 0).sum()),
    )
