"""Pool-based active learning simulated on texts whose labels are known: how many labels the
baseline model (``text_model``) needs when it chooses what people label next, against
labelling in random order.

A run splits the texts at random into a held-out test set (``test_share``) and a pool, and
labels the first ``steps[0]`` texts of the shuffled pool to start. Then, step by step, the
model is trained on the labelled texts, its accuracy measured on the test set (for a set of
labels: the exact set), and more pool texts are labelled up to the next count of ``steps``
(by default from 20 to half the pool, each step about a third more than the last): by
**uncertainty** those the model is least sure about (1 - its probability of its answer, as
routing uses; for a set, its certainty about the least sure label), by **random** the next
ones of the pool's shuffled order. Within a run both strategies start from the same split
and seed set (a paired comparison); ``runs`` runs with different splits are pooled: the
accuracy at each count of labels is over every run's test answers, with its 95% Wilson
interval.

The TF-IDF vocabulary is fitted once on all the texts (pool and test, no labels: what a
project has before anyone labels), so that a step costs one classifier fit. Deterministic
for its ``seed``. Pure: texts and labels in, figures out.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.preprocessing import MultiLabelBinarizer
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from labelworks.pipelines.text_model import new_classifier, new_vectorizer, wilson

__all__ = [
    "STRATEGIES",
    "CurvePoint",
    "LearningCurve",
    "Saving",
    "least_sure",
    "schedule",
    "simulate",
]

STRATEGIES = ("uncertainty", "random")
# Below this many labelled texts there is no test set and pool worth the name.
MIN_TEXTS = 10


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """A strategy's held-out accuracy after ``labels`` labels, pooled over the runs: the
    share right of ``tested`` test answers, with its 95% Wilson interval."""

    strategy: str
    labels: int
    accuracy: float
    low: float
    high: float
    right: int
    tested: int


@dataclass(frozen=True, slots=True)
class Saving:
    """At ``accuracy`` (what random labelling reaches with its last labels), the labels
    each strategy first reaches it with (``None``: never, within the budget) and how many
    uncertainty saves."""

    accuracy: float
    random_labels: int | None
    uncertainty_labels: int | None

    @property
    def saved(self) -> int | None:
        if self.random_labels is None or self.uncertainty_labels is None:
            return None
        return self.random_labels - self.uncertainty_labels


@dataclass(frozen=True, slots=True)
class LearningCurve:
    """The simulation's figures: the texts used, the test set and pool sizes of a run, the
    counts of labels measured at, every strategy's points, and the texts (indices) each
    strategy labelled in the first run, in the order labelled."""

    texts: int
    test: int
    pool: int
    steps: tuple[int, ...]
    runs: int
    points: tuple[CurvePoint, ...]
    picked: dict[str, tuple[int, ...]]

    def curve(self, strategy: str) -> list[CurvePoint]:
        return [p for p in self.points if p.strategy == strategy]

    def labels_to_reach(self, strategy: str, accuracy: float) -> int | None:
        """The fewest labels at which ``strategy``'s accuracy is at least ``accuracy``."""
        return next(
            (p.labels for p in self.curve(strategy) if p.accuracy >= accuracy - 1e-12), None
        )

    def saving(self) -> Saving | None:
        """Labels saved at the accuracy random labelling ends with (None without both)."""
        last = self.curve("random")
        if not last or not self.curve("uncertainty"):
            return None
        target = last[-1].accuracy
        return Saving(
            target,
            self.labels_to_reach("random", target),
            self.labels_to_reach("uncertainty", target),
        )


def least_sure(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` lowest ``scores`` (the model's probability of its answer),
    lowest first, ties in their order."""
    return np.argsort(scores, kind="stable")[:k]


class _Learner:
    """The baseline's classifier on precomputed features; with one label seen, that label."""

    def __init__(self, multi: bool, seed: int) -> None:
        self.multi = multi
        self.seed = seed
        self.only: Any = None
        self.model: Any = None

    def fit(self, features: Any, targets: np.ndarray) -> _Learner:
        if not self.multi and len(set(targets.tolist())) < 2:
            self.only = targets[0]
            return self
        self.model = new_classifier(multi=self.multi, seed=self.seed)
        with warnings.catch_warnings():
            # One-vs-rest on a label no labelled text has (or every one has) answers it
            # constantly, with a warning.
            warnings.simplefilter("ignore", UserWarning)
            self.model.fit(features, targets)
        return self

    def answer(self, features: Any) -> tuple[np.ndarray, np.ndarray]:
        """Each text's answer (a label, or a 0/1 row) and the probability given to it."""
        n = features.shape[0]
        if self.model is None:
            return np.full(n, self.only, dtype=object), np.ones(n)
        probs = np.asarray(self.model.predict_proba(features), dtype=np.float64)
        if self.multi:
            return (probs >= 0.5).astype(np.int8), np.min(np.maximum(probs, 1 - probs), axis=1)
        best = np.argmax(probs, axis=1)
        return self.model.classes_[best], probs[np.arange(n), best]


def _right(guess: np.ndarray, truth: np.ndarray, multi: bool) -> int:
    if multi:
        return int(np.sum(np.all(guess == truth, axis=1)))
    return int(np.sum(guess == truth))


def schedule(first: int, last: int, points: int = 16) -> tuple[int, ...]:
    """About ``points`` counts of labels from ``first`` to ``last``, each a constant factor
    more than the one before (dense where the curve rises, sparse where it has levelled)."""
    if not 1 <= first <= last or points < 2:
        raise ValueError(f"need 1 <= first ({first}) <= last ({last}) and points >= 2")
    ratio = last / first
    counts = {round(first * ratio ** (k / (points - 1))) for k in range(points)}
    return tuple(sorted(counts | {first, last}))


def _run(
    features: Any,
    targets: np.ndarray,
    test: np.ndarray,
    pool: np.ndarray,
    steps: list[int],
    strategy: str,
    multi: bool,
    seed: int,
) -> tuple[list[int], list[int]]:
    """One strategy's run: the test answers right at each step, and the texts labelled."""
    labelled = list(pool[: steps[0]])
    left = pool[steps[0] :]
    right = []
    for n, following in zip(steps, [*steps[1:], None], strict=True):
        learner = _Learner(multi, seed).fit(features[labelled], targets[labelled])
        guess, _ = learner.answer(features[test])
        right.append(_right(guess, targets[test], multi))
        if following is None:
            break
        need = following - n
        if strategy == "uncertainty" and learner.model is not None:
            _, scores = learner.answer(features[left])
            chosen = least_sure(scores, need)
        else:
            chosen = np.arange(need)
        labelled.extend(left[chosen].tolist())
        left = np.delete(left, chosen)
    return right, labelled


def simulate(
    texts: Sequence[str],
    answers: Sequence[str | Sequence[str]],
    *,
    multi: bool,
    steps: Sequence[int] | None = None,
    test_share: float = 0.25,
    runs: int = 3,
    seed: int = 0,
    strategies: Sequence[str] = STRATEGIES,
) -> LearningCurve:
    """The learning curves of ``strategies`` (see the module's note). ``steps`` are the
    counts of labels to measure at, rising, within the pool (default: ``schedule`` from 20,
    or a tenth of half the pool when smaller, to half the pool: where random labelling
    ends, and what uncertainty is measured against). ``ValueError`` for fewer than
    ``MIN_TEXTS`` texts or steps that do not fit the pool."""
    n = len(texts)
    if n != len(answers):
        raise ValueError("texts and answers differ in length")
    if n < MIN_TEXTS:
        raise ValueError(f"a simulation needs at least {MIN_TEXTS} labelled texts, not {n}")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown or not strategies:
        raise ValueError(f"strategies are {', '.join(STRATEGIES)}, not {unknown or 'none'}")
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    n_test = min(n - 2, max(1, round(n * test_share)))
    n_pool = n - n_test
    half = max(2, n_pool // 2)
    counts = tuple(steps) if steps is not None else schedule(min(20, max(1, half // 10)), half)
    if not counts or counts[0] < 1 or counts[-1] > n_pool or list(counts) != sorted(set(counts)):
        raise ValueError(
            f"steps must rise from at least 1 to at most the pool's {n_pool} texts: {counts}"
        )
    if multi:
        targets = MultiLabelBinarizer().fit_transform([list(a) for a in answers])
    else:
        targets = np.asarray([str(a) for a in answers], dtype=object)
    features = new_vectorizer().fit_transform(texts)
    right = {s: np.zeros(len(counts), dtype=np.int64) for s in strategies}
    picked: dict[str, tuple[int, ...]] = {}
    # Hundreds of small fits: one thread each is several times faster than a pool of
    # threads waking for each (and on a busy machine, ten times).
    with threadpool_limits(limits=1):
        for r in range(runs):
            order = np.random.default_rng([seed, r]).permutation(n)
            test, pool = order[:n_test], order[n_test:]
            for strategy in strategies:
                hits, labelled = _run(
                    features, targets, test, pool, list(counts), strategy, multi, seed
                )
                right[strategy] += hits
                if r == 0:
                    picked[strategy] = tuple(int(i) for i in labelled)
    tested = n_test * runs
    points = []
    for strategy in strategies:
        for labels, got in zip(counts, (int(h) for h in right[strategy]), strict=True):
            low, high = wilson(got, tested)
            points.append(CurvePoint(strategy, labels, got / tested, low, high, got, tested))
    return LearningCurve(
        texts=n,
        test=n_test,
        pool=n_pool,
        steps=counts,
        runs=runs,
        points=tuple(points),
        picked=picked,
    )
