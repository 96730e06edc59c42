"""Seeded synthetic crowds with known truth, for tests, docs and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from labelworks.stats.aggregation.estimator import FloatArray, IntArray
from labelworks.stats.ratings import Ratings


@dataclass(frozen=True)
class SimulatedCrowd:
    """A simulated labelling run.

    Attributes:
        ratings: the (item, annotator, label) table; item ids are ``0..n_items-1`` and
            annotator ids ``0..n_annotators-1`` (annotators with no label are dropped).
        truth: true category code per item, aligned with ``ratings.items``.
        confusions: annotators × true × observed probabilities used to draw labels.
        spammers: boolean per annotator, ``True`` for label-independent answers.
    """

    ratings: Ratings
    truth: IntArray
    confusions: FloatArray
    spammers: npt.NDArray[np.bool_]


def simulate_crowd(
    n_labels: int,
    *,
    n_annotators: int = 500,
    n_classes: int = 5,
    labels_per_item: tuple[int, int] = (3, 5),
    spammer_rate: float = 0.1,
    seed: int = 0,
) -> SimulatedCrowd:
    """Draw a crowd: per-annotator confusion matrices, a share of spammers, 3–5 labels/item.

    Honest annotators have accuracy drawn uniformly from [0.55, 0.95] with the remaining
    mass spread over wrong classes by a Dirichlet(1) draw (so their errors are systematic,
    which is what Dawid–Skene can exploit); spammers answer from one fixed random
    distribution regardless of the item. Class priors are a Dirichlet(5) draw. Each item gets
    a uniform number of distinct annotators in ``labels_per_item``; the table is cut to
    exactly ``n_labels`` ratings.

    Example:
        >>> crowd = simulate_crowd(1_000, n_annotators=20, n_classes=3, seed=1)
        >>> crowd.ratings.n_ratings
        1000
        >>> crowd.truth.shape == (crowd.ratings.n_items,)
        True
    """
    rng = np.random.default_rng(seed)
    k = n_classes
    lo, hi = labels_per_item
    if not 1 <= lo <= hi <= n_annotators:
        raise ValueError(f"labels_per_item {labels_per_item} must be within 1..{n_annotators}")
    accuracy = rng.uniform(0.55, 0.95, n_annotators)
    wrong = rng.dirichlet(np.ones(max(k - 1, 1)), size=(n_annotators, k))
    confusions = np.empty((n_annotators, k, k))
    for t in range(k):
        others = [c for c in range(k) if c != t]
        confusions[:, t, t] = accuracy
        confusions[:, t, others] = (1.0 - accuracy)[:, None] * wrong[:, t, : k - 1]
    spammers = rng.random(n_annotators) < spammer_rate
    spam_dist = rng.dirichlet(np.ones(k), size=n_annotators)
    confusions[spammers] = spam_dist[spammers][:, None, :]
    # Drawn before anything that depends on n_labels, so one seed gives the same population
    # (annotators and class balance) at every size.
    priors = rng.dirichlet(np.full(k, 5.0))

    n_items = n_labels // lo + 1
    per_item = rng.integers(lo, hi + 1, n_items)
    ends = np.cumsum(per_item)
    n_items = int(np.searchsorted(ends, n_labels) + 1)
    per_item = per_item[:n_items]
    item = np.repeat(np.arange(n_items, dtype=np.int64), per_item)[:n_labels]
    # Distinct annotators per item: a random start plus increasing offsets whose total
    # stays below n_annotators, taken modulo n_annotators.
    slot = np.arange(item.size) - np.repeat(np.cumsum(per_item) - per_item, per_item)[:n_labels]
    step_cap = max(n_annotators // hi, 1)
    steps = rng.integers(1, step_cap + 1, size=(n_items, hi))
    steps[:, 0] = rng.integers(0, n_annotators, n_items)
    offsets = np.cumsum(steps, axis=1) % n_annotators
    annotator = offsets[item, slot].astype(np.int64)
    del steps, offsets, slot

    truth = rng.choice(k, size=n_items, p=priors).astype(np.int64)
    cumulative = np.cumsum(confusions, axis=2)
    u = rng.random(item.size)
    label = np.zeros(item.size, dtype=np.int64)
    row_truth = truth[item]
    for c in range(k - 1):
        label += u > cumulative[annotator, row_truth, c]
    del u, row_truth
    ratings = Ratings.from_columns(item, annotator, label, categories=list(range(k)))
    return SimulatedCrowd(ratings, truth, confusions, spammers)
