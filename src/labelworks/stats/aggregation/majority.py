"""Majority vote and Wawa: the counting baselines every other aggregator is judged against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from labelworks.stats.aggregation.estimator import (
    Aggregator,
    FloatArray,
    IntArray,
    check_ratings,
    row_argmax,
    row_max,
    row_sum,
)
from labelworks.stats.ratings import InvalidRatingsError, Ratings


def vote_shares(ratings: Ratings, weights: FloatArray | None = None) -> FloatArray:
    """Items × categories share of (weighted) votes; items whose voters all weigh 0 get a
    uniform row so that every row still sums to 1."""
    k = ratings.n_categories
    flat = np.bincount(
        ratings.item * k + ratings.label,
        weights=None if weights is None else weights[ratings.annotator],
        minlength=ratings.n_items * k,
    ).astype(np.float64, copy=False)
    scores = flat.reshape(ratings.n_items, k)
    total = row_sum(scores)[:, None]
    empty = total[:, 0] <= 0
    if empty.any():
        scores[empty] = 1.0
        total[empty] = k
    scores /= total
    return scores


def agreement_with(ratings: Ratings, codes: IntArray) -> FloatArray:
    """Per annotator: the fraction of their labels equal to ``codes[item]``."""
    hits = ratings.label == codes[ratings.item]
    # one count of (annotator, hit) pairs gives both the agreeing and all labels
    pairs = np.bincount(ratings.annotator * 2 + hits, minlength=2 * ratings.n_annotators)
    agree, seen = pairs[1::2], pairs[0::2] + pairs[1::2]
    out: FloatArray = agree / np.maximum(seen, 1)
    return out


class MajorityVote(Aggregator):
    """Plurality vote per item, optionally weighting each annotator's vote.

    Source: the baseline of every crowdsourcing comparison, e.g. Sheng, Provost & Ipeirotis,
    "Get another label?" (KDD 2008); weighted form as in crowd-kit's ``MajorityVote``.

    Tie rule (deterministic): when several categories share the top (weighted) count, the
    one that comes first in ``ratings.categories`` wins — with the default sorted category
    order this is the smallest label, the same choice crowd-kit makes. ``ties_`` marks the
    items where a tie was broken so that you can send them for adjudication instead.

    Args:
        weights: optional ``{annotator id: weight >= 0}``; every annotator in the ratings
            needs a weight. ``None`` gives every vote weight 1.

    Learned attributes:
        labels_: ``item id -> label`` (:class:`ItemLabels`).
        probas_: items × categories vote shares; row ``i`` is ``items_[i]``, column ``k``
            is ``categories_[k]``; rows sum to 1.
        ties_: boolean per item, ``True`` where two or more categories tied for first.
        skills_: per annotator (``annotators_`` order), the fraction of their labels that
            agree with the majority label — a cheap, biased quality proxy.

    Example:
        >>> from labelworks.stats import Ratings
        >>> r = Ratings.from_records([
        ...     ("q1", "ann", "cat"), ("q1", "bob", "cat"), ("q1", "eve", "dog"),
        ...     ("q2", "ann", "dog"), ("q2", "bob", "cat"),
        ... ])
        >>> mv = MajorityVote().fit(r)
        >>> dict(mv.labels_)
        {'q1': 'cat', 'q2': 'cat'}
        >>> mv.ties_.tolist()  # q2 was a 1-1 tie, broken towards "cat" (first category)
        [False, True]
        >>> MajorityVote(weights={"ann": 2.0, "bob": 1.0, "eve": 1.0}).fit(r).labels_["q2"]
        'dog'
    """

    ties_: Any
    skills_: FloatArray

    def __init__(self, *, weights: Mapping[Any, float] | None = None) -> None:
        self.weights = weights

    def fit(self, ratings: Ratings) -> MajorityVote:
        """Count (weighted) votes per item and category."""
        ratings = check_ratings(ratings)
        w = None if self.weights is None else annotator_weights(ratings, self.weights)
        shares = vote_shares(ratings, w)
        self._finish(ratings, shares)
        top = row_max(shares)
        at_top = np.zeros(shares.shape[0], dtype=np.int64)
        for column in shares.T:
            at_top += column == top
        self.ties_ = at_top > 1
        self.skills_ = agreement_with(ratings, self.labels_.codes)
        return self


def annotator_weights(ratings: Ratings, weights: Mapping[Any, float]) -> FloatArray:
    """Weights in ``ratings.annotators`` order, refusing missing or negative ones."""
    out = np.empty(ratings.n_annotators, dtype=np.float64)
    for code, name in enumerate(ratings.annotators):
        if name not in weights:
            raise InvalidRatingsError(f"no weight given for annotator {name!r}")
        value = float(weights[name])
        if not np.isfinite(value) or value < 0:
            raise InvalidRatingsError(f"weight for annotator {name!r} must be >= 0, got {value}")
        out[code] = value
    return out


class Wawa(Aggregator):
    """Worker Agreement With Aggregate: majority vote re-weighted by agreement with it.

    Source: the "Wawa" heuristic popularised by Appen/Figure Eight and implemented in
    crowd-kit (Ustalov et al., "Learning from Crowds with Crowd-Kit", 2021/2024). Three
    steps: (1) majority vote; (2) each annotator's skill = share of their labels that
    agree with it; (3) majority vote again, each vote weighted by its annotator's skill.

    Read ``skills_`` as agreement rates with the crowd, not accuracies: a strong annotator
    in a weak crowd scores low. Ties in step (3) follow :class:`MajorityVote`'s rule.

    Learned attributes: ``labels_``, ``probas_`` (weighted vote shares, items × categories),
    ``skills_`` (per annotator, ``annotators_`` order).

    Example:
        >>> from labelworks.stats import Ratings
        >>> r = Ratings.from_records([
        ...     ("q1", "ann", 1), ("q1", "bob", 1), ("q1", "eve", 0),
        ...     ("q2", "ann", 0), ("q2", "bob", 0), ("q2", "eve", 1),
        ...     ("q3", "ann", 1), ("q3", "eve", 0),
        ... ])
        >>> w = Wawa().fit(r)
        >>> w.skills_.round(2).tolist()  # q3's 1-1 tie went to 0, so ann agrees 2 of 3
        [0.67, 1.0, 0.33]
        >>> w.labels_["q3"]  # ann's vote now outweighs eve's
        1
    """

    skills_: FloatArray

    def __init__(self) -> None:
        pass

    def fit(self, ratings: Ratings) -> Wawa:
        """Run the three Wawa steps."""
        ratings = check_ratings(ratings)
        first = row_argmax(vote_shares(ratings))
        self.skills_ = agreement_with(ratings, first)
        self._finish(ratings, vote_shares(ratings, self.skills_))
        return self
