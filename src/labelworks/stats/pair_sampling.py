"""Which pair of models an arena campaign should show next (``pairs: adaptive``).

Round-robin (``pairs: all``) spends as many votes on a pair whose order is long settled as
on two neck-and-neck models. Adaptive sampling spends the next vote where it teaches the
ratings most, as large public arenas do (Chiang et al., "Chatbot Arena", 2024, §5 samples
pairs to shrink the rating intervals fastest).

:func:`pair_priorities` fits Bradley–Terry with an L2 penalty (a Gaussian prior with
precision ``penalty`` on the log-strengths, so a model or pair never compared still has a
finite, large variance) and takes the covariance ``Σ`` of the scores from the inverse of the
penalised Fisher information (the Laplace approximation of the posterior). One more vote on
``(i, j)`` adds ``w = p(1 − p)`` times ``x xᵀ`` to the information, ``x = e_i − e_j`` and
``p`` the fitted chance that ``i`` wins. Its expected information gain about the ratings,
the D-optimal design criterion (Chaloner & Verdinelli, "Bayesian experimental design: a
review", Statistical Science 10, 1995), is

    gain(i, j) = ½ · log(1 + w · var(s_i − s_j)),   var(s_i − s_j) = Σ_ii + Σ_jj − 2 Σ_ij

(in nats): large when the two are close (``w`` near ¼) and their difference is uncertain.
``rule="information"`` serves by that gain alone. The default, ``rule="ranking"``, weights
it by the posterior chance that the fitted order of the two is wrong,
``Φ(−|s_i − s_j| / sd(s_i − s_j))``, so votes go where the *ranking* is still in doubt and
not to pairs whose order is settled, however imprecise their gap (a top and a bottom model
that never met get almost nothing). In simulated campaigns (``bench/adaptive_pairs.py``: 8
models 50 Elo apart, one vote at a time, 12 repetitions) round-robin needed on average
1,330 votes before the fitted ranking was right for good, ``information`` 820 and
``ranking`` 490.

It costs one Bradley–Terry fit and one inversion of a models × models matrix: about a
millisecond for 30 models, plus reading the battles (about 25 ms of CPU for 100,000).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Literal

import numpy as np
from scipy.special import ndtr

from labelworks.stats.ranking import bradley_terry_scores
from labelworks.stats.ratings import FloatArray, InvalidRatingsError

Outcome = Literal["a", "b", "tie"]
_SHARE_OF_A = {"a": 1.0, "b": 0.0, "tie": 0.5}


def pair_priorities(
    models: Sequence[str],
    battles: Iterable[tuple[str, str, Outcome]],
    *,
    penalty: float = 0.1,
    rule: Literal["ranking", "information"] = "ranking",
) -> dict[tuple[str, str], float]:
    """How much one more vote on each unordered pair is worth (higher = serve sooner), keyed
    by the sorted pair: its information gain, weighted by the chance the pair's order is
    wrong under ``rule="ranking"`` (see the module docstring). Every pair of ``models`` gets
    a finite score >= 0, including pairs never compared.

    ``battles`` are ``(a, b, outcome)`` with outcome ``"a"``, ``"b"`` or ``"tie"`` (half a
    win each), between models of ``models``. Raises :class:`InvalidRatingsError` for fewer
    than two or repeated models, a battle naming another model or a model against itself,
    or an unknown outcome; ``ValueError`` for a penalty that is not positive or another rule.

    Example:
        >>> p = pair_priorities(["x", "y", "z"], [("x", "y", "a")] * 20 + [("y", "z", "b")])
        >>> max(p, key=p.__getitem__)  # x-y is well measured, y-z only once, x-z never
        ('x', 'z')
    """
    if not (np.isfinite(penalty) and penalty > 0):
        raise ValueError(f"penalty must be a finite number > 0, got {penalty!r}")
    if rule not in ("ranking", "information"):
        raise ValueError(f"rule must be 'ranking' or 'information', got {rule!r}")
    names = list(models)
    index = {name: k for k, name in enumerate(names)}
    if len(index) < len(names):
        twice = next(x for x in names if names.count(x) > 1)
        raise InvalidRatingsError(f"model {twice!r} is listed twice")
    if len(names) < 2:
        raise InvalidRatingsError("pair sampling needs at least two models")
    m = len(names)
    rows = list(battles)
    try:  # the fast path; a battle that is not a triple of known values is found below
        if rows and set(map(len, rows)) != {3}:
            raise ValueError
        i = np.fromiter(map(index.get, map(itemgetter(0), rows), repeat(-1)), np.int64, len(rows))
        j = np.fromiter(map(index.get, map(itemgetter(1), rows), repeat(-1)), np.int64, len(rows))
        share = np.fromiter(
            map(_SHARE_OF_A.get, map(itemgetter(2), rows), repeat(-1.0)), np.float64, len(rows)
        )
        valid = bool((i >= 0).all() and (j >= 0).all() and (share >= 0).all())
    except (TypeError, ValueError):
        valid = False
    if not valid:
        k = next(
            k for k, row in enumerate(rows)
            if not (isinstance(row, tuple | list) and len(row) == 3 and _known(row[0], index)
                    and _known(row[1], index) and _known(row[2], _SHARE_OF_A))
        )  # fmt: skip
        raise InvalidRatingsError(
            f"battle {k} {rows[k]!r} is not (a, b, outcome) between listed models with "
            "outcome 'a', 'b' or 'tie'"
        )
    if (i == j).any():
        k = int(np.flatnonzero(i == j)[0])
        raise InvalidRatingsError(f"battle {k} compares {rows[k][0]!r} with itself")
    wins = np.bincount(i * m + j, share, m * m).reshape(m, m).astype(np.float64)
    wins += np.bincount(j * m + i, 1.0 - share, m * m).reshape(m, m)
    scores, _ = bradley_terry_scores(wins, penalty)
    covariance = _posterior_covariance(wins + wins.T, scores, penalty)
    lo, hi = np.triu_indices(m, 1)
    p = 1.0 / (1.0 + np.exp(scores[hi] - scores[lo]))
    spread = covariance[lo, lo] + covariance[hi, hi] - 2.0 * covariance[lo, hi]
    gain = 0.5 * np.log1p(p * (1.0 - p) * spread)
    if rule == "ranking":
        gain *= ndtr(-np.abs(scores[lo] - scores[hi]) / np.sqrt(spread))
    return {
        (names[a], names[b]) if names[a] < names[b] else (names[b], names[a]): float(g)
        for a, b, g in zip(lo.tolist(), hi.tolist(), gain.tolist(), strict=True)
    }


def _known(value: object, index: dict[str, int] | dict[str, float]) -> bool:
    try:
        return value in index
    except TypeError:  # unhashable
        return False


def _posterior_covariance(games: FloatArray, scores: FloatArray, penalty: float) -> FloatArray:
    """Inverse of the penalised Fisher information: the Bradley–Terry Laplacian with pair
    weights ``games · p(1 − p)``, plus ``penalty`` on the diagonal."""
    p = 1.0 / (1.0 + np.exp(scores[None, :] - scores[:, None]))
    weight = games * p * p.T
    information = np.diag(weight.sum(axis=1) + penalty) - weight
    return np.asarray(np.linalg.inv(information), dtype=np.float64)
