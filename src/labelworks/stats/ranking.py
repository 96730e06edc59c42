"""Pairwise ranking: Bradley–Terry maximum likelihood with bootstrap ranks, and online Elo.

Input everywhere: comparisons ``(a, b, outcome)`` with outcome ``"a"`` (a won), ``"b"`` (b
won) or ``"tie"``, as an iterable of triples or a DataFrame with columns ``a``, ``b``,
``outcome``. Model evaluation (arena-style human preference) builds on this.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from labelworks.stats.ratings import InvalidRatingsError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_OUTCOMES = {"a": 0, "b": 1, "tie": 2}
_ELO_PER_LOG = 400.0 / math.log(10.0)


@dataclass(frozen=True)
class Comparisons:
    """Comparisons as codes: ``first[k]`` vs ``second[k]`` with ``outcome[k]`` in 0/1/2
    (first won / second won / tie); ``models`` maps codes back to ids."""

    first: IntArray
    second: IntArray
    outcome: IntArray
    models: list[Any]

    @classmethod
    def parse(cls, comparisons: Any) -> Comparisons:
        """Accept triples or a frame with columns ``a``, ``b``, ``outcome``."""
        if hasattr(comparisons, "columns"):
            missing = [c for c in ("a", "b", "outcome") if c not in list(comparisons.columns)]
            if missing:
                raise InvalidRatingsError(f"comparison frame lacks columns {missing}")
            rows: Iterable[Any] = zip(
                comparisons["a"].to_list() if hasattr(comparisons["a"], "to_list") else [],
                comparisons["b"].to_list() if hasattr(comparisons["b"], "to_list") else [],
                comparisons["outcome"].to_list()
                if hasattr(comparisons["outcome"], "to_list")
                else [],
                strict=True,
            )
        else:
            rows = comparisons
        index: dict[Any, int] = {}
        first: list[int] = []
        second: list[int] = []
        outcome: list[int] = []
        for row_no, row in enumerate(rows):
            try:
                a, b, result = row
            except (TypeError, ValueError) as exc:
                raise InvalidRatingsError(
                    f"comparison {row_no} is not (a, b, outcome): {row!r}"
                ) from exc
            if result not in _OUTCOMES:
                raise InvalidRatingsError(
                    f"comparison {row_no} has outcome {result!r}; expected 'a', 'b' or 'tie'"
                )
            if a == b:
                raise InvalidRatingsError(f"comparison {row_no} compares {a!r} with itself")
            first.append(index.setdefault(a, len(index)))
            second.append(index.setdefault(b, len(index)))
            outcome.append(_OUTCOMES[result])
        if not first:
            raise InvalidRatingsError("there are no comparisons")
        if len(index) < 2:
            raise InvalidRatingsError("ranking needs at least two models")
        models = list(index)
        try:
            order = sorted(range(len(models)), key=lambda k: models[k])
        except TypeError:
            order = list(range(len(models)))
        remap = np.empty(len(models), dtype=np.int64)
        remap[np.asarray(order)] = np.arange(len(models))
        return cls(
            first=remap[np.asarray(first, dtype=np.int64)],
            second=remap[np.asarray(second, dtype=np.int64)],
            outcome=np.asarray(outcome, dtype=np.int64),
            models=[models[k] for k in order],
        )

    def win_matrix(self, weights: FloatArray | None = None) -> FloatArray:
        """``W[i, j]`` = wins of ``i`` over ``j``, a tie counting half to each side."""
        m = len(self.models)
        w = np.ones(self.first.size) if weights is None else weights
        share_first = np.select([self.outcome == 0, self.outcome == 1], [1.0, 0.0], 0.5)
        wins = np.bincount(self.first * m + self.second, w * share_first, m * m)
        wins += np.bincount(self.second * m + self.first, w * (1.0 - share_first), m * m)
        out: FloatArray = wins.reshape(m, m).astype(np.float64)
        return out


def bradley_terry_scores(
    wins: FloatArray,
    penalty: float = 0.0,
    start: FloatArray | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[FloatArray, int]:
    """Maximum (penalised) likelihood log-strengths, mean zero, by damped Newton steps.

    Maximises ``sum_ij W_ij log sigmoid(s_i - s_j) - penalty/2 * |s|^2``. The Hessian is a
    weighted graph Laplacian; adding ``ones/m`` pins the free mean so the system is solvable.
    """
    m = wins.shape[0]
    games = wins + wins.T
    s = np.zeros(m) if start is None else start.copy()

    def loglik(v: FloatArray) -> float:
        diff = v[:, None] - v[None, :]
        return float((wins * -np.logaddexp(0.0, -diff)).sum() - 0.5 * penalty * (v @ v))

    current = loglik(s)
    won = wins.sum(axis=1)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is returned
        p = 1.0 / (1.0 + np.exp(s[None, :] - s[:, None]))
        grad = won - (games * p).sum(axis=1) - penalty * s
        weight = games * p * p.T
        hess = np.diag(weight.sum(axis=1)) - weight + penalty * np.eye(m) + 1.0 / m
        step = np.linalg.solve(hess, grad)
        step -= step.mean() if penalty == 0 else 0.0
        size = 1.0
        while True:
            candidate = s + size * step
            value = loglik(candidate)
            if value >= current - 1e-12 or size < 1e-6:
                break
            size /= 2
        s, current = candidate, value
        if np.abs(size * step).max() < tol:
            break
    if penalty == 0:
        s -= s.mean()
    return s, n_iter


@dataclass(frozen=True)
class RankedModel:
    """One row of a bootstrap ranking: Elo-scale rating with its interval and a rank that
    counts only models whose whole interval lies above this one's."""

    model: Any
    rating: float
    low: float
    high: float
    rank: int


class BradleyTerry:
    """Bradley–Terry paired-comparison model fitted by maximum likelihood.

    Source: R. A. Bradley and M. E. Terry, "Rank Analysis of Incomplete Block Designs I",
    Biometrika 39, 1952 (Zermelo 1929); ties as half a win each, as in Chatbot Arena
    (Chiang et al., 2024); existence condition from Ford (1957).

    ``P(a beats b) = 1 / (1 + exp(scores_[b] - scores_[a]))``. ``scores_`` are log-strengths
    with mean zero; ``ratings_`` maps each model to the Elo scale
    ``400 * log10(strength) + 1000`` (mean 1000, or shifted so ``anchor=(model, rating)``
    holds): 100 points ≈ 64% expected win rate, 400 ≈ 91%.

    With ``penalty=0`` the MLE exists only when every model has both won and lost against
    the rest (the comparison graph is strongly connected); otherwise fitting raises and
    ``penalty > 0`` (an L2 prior on scores) gives finite estimates.

    Learned attributes: models_, scores_, ratings_ (dict), wins_ (models × models,
    ``wins_[i, j]`` = wins of i over j), n_comparisons_, n_iter_.

    Example:
        >>> bt = BradleyTerry().fit([("x", "y", "a"), ("x", "y", "a"), ("x", "y", "b"),
        ...                          ("y", "z", "a"), ("z", "y", "tie"), ("x", "z", "tie")])
        >>> bt.models_
        ['x', 'y', 'z']
        >>> {m: round(r) for m, r in bt.ratings_.items()}
        {'x': 1077, 'y': 1011, 'z': 912}
        >>> round(bt.predict_proba("x", "y"), 3)
        0.593
    """

    models_: list[Any]
    scores_: FloatArray
    ratings_: dict[Any, float]
    wins_: FloatArray
    n_comparisons_: int
    n_iter_: int

    def __init__(
        self,
        *,
        penalty: float = 0.0,
        anchor: tuple[Any, float] | None = None,
        max_iter: int = 100,
        tol: float = 1e-10,
    ) -> None:
        self.penalty = penalty
        self.anchor = anchor
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, comparisons: Any) -> BradleyTerry:
        """Fit on triples or an ``a``/``b``/``outcome`` frame."""
        if not np.isfinite(self.penalty) or self.penalty < 0:
            raise ValueError(f"penalty must be a finite number >= 0, got {self.penalty!r}")
        data = Comparisons.parse(comparisons)
        wins = data.win_matrix()
        if self.penalty == 0:
            _require_connected(wins, data.models)
        scores, n_iter = bradley_terry_scores(wins, self.penalty, None, self.max_iter, self.tol)
        self._data = data
        self.models_ = data.models
        self.wins_ = wins
        self.scores_ = scores
        self.ratings_ = dict(zip(data.models, self._to_ratings(scores).tolist(), strict=True))
        self.n_comparisons_ = int(data.first.size)
        self.n_iter_ = n_iter
        return self

    def _to_ratings(self, scores: FloatArray) -> FloatArray:
        ratings: FloatArray = 1000.0 + _ELO_PER_LOG * (scores - scores.mean(axis=-1, keepdims=True))
        if self.anchor is not None:
            model, value = self.anchor
            if model not in self.models_:
                raise InvalidRatingsError(f"anchor model {model!r} is not among the models")
            k = self.models_.index(model)
            ratings = ratings + (value - ratings[..., k : k + 1])
        return ratings

    def predict_proba(self, a: Any, b: Any) -> float:
        """Probability that ``a`` beats ``b`` (a tie counting half)."""
        i, j = self.models_.index(a), self.models_.index(b)
        return float(1.0 / (1.0 + math.exp(self.scores_[j] - self.scores_[i])))

    def bootstrap_ci(
        self, *, n_resamples: int = 1000, confidence: float = 0.95, seed: int | None = None
    ) -> list[RankedModel]:
        """Percentile intervals of ``ratings_`` over resampled comparisons, with ranks.

        Each resample redraws the fitted comparisons with replacement (one multinomial draw
        over distinct (a, b, outcome) cells) and refits from the full-data scores. A model's
        rank is 1 + the number of models whose lower bound exceeds its upper bound, so
        models with overlapping intervals share a rank (Chatbot Arena's convention).
        Resamples use ``max(penalty, 1e-6)`` so that an unlucky draw in which some model
        never loses still has finite scores. Rows are sorted by rating, best first.
        """
        if not 0 < confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
        data = self._data
        m = len(self.models_)
        cell = (data.first * m + data.second) * 3 + data.outcome
        cells, counts = np.unique(cell, return_counts=True)
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(data.first.size, counts / counts.sum(), size=n_resamples)
        keys = Comparisons(
            first=cells // 3 // m, second=cells // 3 % m, outcome=cells % 3, models=self.models_
        )
        penalty = max(self.penalty, 1e-6)
        samples = np.empty((n_resamples, m))
        for r in range(n_resamples):
            wins = keys.win_matrix(draws[r].astype(np.float64))
            samples[r], _ = bradley_terry_scores(wins, penalty, self.scores_, self.max_iter, 1e-8)
        ratings = self._to_ratings(samples)
        tail = (1 - confidence) / 2 * 100
        low, high = np.percentile(ratings, [tail, 100 - tail], axis=0)
        point = self._to_ratings(self.scores_)
        rank = 1 + (low[None, :] > high[:, None]).sum(axis=1)
        order = np.argsort(-point, kind="stable")
        self.bootstrap_samples_ = ratings
        return [
            RankedModel(
                self.models_[k], float(point[k]), float(low[k]), float(high[k]), int(rank[k])
            )
            for k in order
        ]


def _require_connected(wins: FloatArray, models: list[Any]) -> None:
    """Ford's condition: every split of the models has wins flowing both ways."""
    n_parts, parts = connected_components(csr_matrix(wins > 0), connection="strong")
    if n_parts > 1:
        top = [
            models[k]
            for k in np.flatnonzero(parts == parts[int(np.argmax(wins.sum(1) - wins.sum(0)))])
        ]
        raise InvalidRatingsError(
            "the maximum-likelihood Bradley-Terry scores are infinite: some models never lose "
            f"(or never win) against the rest, e.g. {top[:3]!r}; pass penalty > 0"
        )


class Elo:
    """Online Elo ratings, updated comparison by comparison in the given order.

    Source: A. E. Elo, "The Rating of Chessplayers, Past and Present", 1978. Expected score
    ``E_a = 1 / (1 + base ** ((R_b - R_a) / scale))``; after each comparison
    ``R_a += k * (S_a - E_a)`` and ``R_b -= k * (S_a - E_a)`` with ``S_a`` = 1, 0 or 0.5.
    Order matters (recent games move ratings), which is why :class:`BradleyTerry` is the
    better summary of a fixed set of comparisons; the small default ``k=4`` follows
    Chatbot Arena's online Elo.

    Learned attributes: ratings_ (dict model -> rating), n_comparisons_.

    Example:
        >>> elo = Elo(k=32).fit([("x", "y", "a"), ("x", "y", "tie")])
        >>> {m: round(r, 2) for m, r in elo.ratings_.items()}
        {'x': 1014.53, 'y': 985.47}
    """

    ratings_: dict[Any, float]
    n_comparisons_: int

    def __init__(
        self, *, k: float = 4.0, base: float = 10.0, scale: float = 400.0, initial: float = 1000.0
    ) -> None:
        self.k = k
        self.base = base
        self.scale = scale
        self.initial = initial

    def fit(self, comparisons: Any) -> Elo:
        """Start every model at ``initial`` and apply the comparisons in order."""
        self.ratings_ = {}
        self.n_comparisons_ = 0
        return self.partial_fit(comparisons)

    def partial_fit(self, comparisons: Any) -> Elo:
        """Continue updating from the current ratings."""
        if not hasattr(self, "ratings_"):
            self.ratings_ = {}
            self.n_comparisons_ = 0
        data = Comparisons.parse(comparisons)
        ratings = [self.ratings_.get(m, self.initial) for m in data.models]
        score = np.select([data.outcome == 0, data.outcome == 1], [1.0, 0.0], 0.5).tolist()
        k, base, scale = self.k, self.base, self.scale
        for a, b, s in zip(data.first.tolist(), data.second.tolist(), score, strict=True):
            expected = 1.0 / (1.0 + base ** ((ratings[b] - ratings[a]) / scale))
            delta = k * (s - expected)
            ratings[a] += delta
            ratings[b] -= delta
        self.ratings_.update(zip(data.models, ratings, strict=True))
        self.n_comparisons_ += int(data.first.size)
        return self
