"""Arena-style leaderboards from blind pairwise human votes.

A :class:`Battle` is one vote: an evaluator saw the outputs of ``model_a`` and ``model_b``
for a prompt (one on the left, one on the right) and answered ``"a"``, ``"b"`` or ``"tie"``.
:func:`leaderboard` turns a list of them into Bradley–Terry ratings on the Elo scale with
bootstrap intervals and ranks (Chatbot Arena's method: Chiang et al., "Chatbot Arena", 2024),
the head-to-head win-rate table, the tie rate, the position bias, the agreement between
evaluators who judged the same item, and, when every battle carries response lengths,
length-controlled ratings (Li et al., "Does style matter? Disentangling style and substance
in Chatbot Arena", 2024).

Fitting. Ratings maximise the Bradley–Terry likelihood with ties as half a win each
(:func:`labelworks.stats.ranking.bradley_terry_scores`) plus a small L2 penalty
(``penalty``, default 1e-6) so that a model that never lost still gets a finite rating (a
large one); ratings are ``1000 + 400·log10(strength)``, mean 1000.

Intervals. The Poisson bootstrap (Hanley & MacGibbon 2006; Chamandy et al. 2012): every
resample weights each battle by an independent Poisson(1) count, which for the plain model
is one Poisson draw per (pair, outcome) cell. It approximates resampling the battles with
replacement and is about 2.5 times cheaper to draw at 15,000 cells. The resamples are
refitted all at once by Newton steps from the estimate, each solved by conjugate gradients
preconditioned with the full data's Hessian (no LAPACK call per resample: on a busy
2-core machine OpenBLAS's threads made :meth:`BradleyTerry.bootstrap_ci`'s per-resample
solves the bottleneck). Percentile intervals; a model's rank is 1 + the number of models
whose lower bound exceeds its upper bound (ties in rank where intervals overlap), as
:meth:`BradleyTerry.bootstrap_ci`.

Length control. A logistic regression of the outcome on model indicators (+1 for a, −1 for
b) and the length difference ``(len_a − len_b)/(len_a + len_b)`` scaled to unit root mean
square (not centred, so calling either model ``a`` means the same), ties as half a win
(the same as two rows weighted ½), with the same penalty. Its bootstrap uses the first
``length_resamples`` (default 200) of the same resamples, each battle's weight drawn by
spreading its cell's count uniformly over the cell's battles, and moves the estimate by one
Newton step on each resample (see :func:`leaderboard`).

Everything is invariant to which model of a battle is called ``a`` (with the winner and
``left`` swapped accordingly): the bootstrap draws are made on orientation-free cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from labelworks.stats.aggregation.gold import wilson_interval
from labelworks.stats.ranking import bradley_terry_scores
from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError

Winner = Literal["a", "b", "tie"]
Side = Literal["a", "b"]
_WINNERS = {"a": 0, "b": 1, "tie": 2}
_SIDES = {"a": 1, "b": 0}
_ELO_PER_LOG = 400.0 / math.log(10.0)
_CHUNK_ENTRIES = 4_000_000  # Hessian entries per batch of resamples (32 MB)


@dataclass(frozen=True, slots=True)
class Battle:
    """One blind vote between two models' outputs for the same prompt."""

    model_a: str
    model_b: str
    winner: Winner
    left: Side  # which of the two was shown on the left
    category: str | None = None
    evaluator: str | None = None
    item: str | None = None  # the comparison item (same prompt and pair) the vote was on
    length_a: int | None = None  # response lengths (characters or tokens)
    length_b: int | None = None


@dataclass(frozen=True)
class ModelStanding:
    """A model's rating (Elo scale) with its bootstrap interval, rank and record;
    ``win_rate = (wins + ties/2) / battles``."""

    model: str
    rating: float
    low: float
    high: float
    rank: int
    battles: int
    wins: int
    losses: int
    ties: int
    win_rate: float


@dataclass(frozen=True)
class Share:
    """A proportion of ``n`` with its Wilson interval (``nan`` throughout when ``n == 0``)."""

    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class Leaderboard:
    """See :func:`leaderboard`."""

    models: list[ModelStanding]  # best first
    win_rates: list[list[float | None]]  # [i][j]: i's share won against j, in `models` order
    battles: int
    tie_rate: Share
    position_bias: Share  # share of left wins among decided battles (0.5 = no bias)
    evaluator_agreement: Share | None
    length_controlled: list[ModelStanding] | None
    length_coefficient: float | None  # log-odds per standardised length difference


@dataclass(frozen=True)
class _Table:
    """Battles as codes, oriented so that ``lo < hi``: ``out`` is 0/1/2 for lo won / hi won
    / tie, ``left_won`` 1/0 (-1 for a tie) and ``length`` the (lo, hi) response lengths."""

    models: list[str]
    lo: IntArray
    hi: IntArray
    out: IntArray
    left_won: IntArray
    item: list[str | None]
    evaluator: list[str | None]
    length: FloatArray | None

    def take(self, rows: IntArray) -> _Table:
        used = np.unique(np.concatenate([self.lo[rows], self.hi[rows]]))
        code = np.full(len(self.models), -1, dtype=np.int64)
        code[used] = np.arange(used.size)
        pick = rows.tolist()
        return _Table(
            [self.models[k] for k in used.tolist()],
            code[self.lo[rows]],
            code[self.hi[rows]],
            self.out[rows],
            self.left_won[rows],
            [self.item[k] for k in pick],
            [self.evaluator[k] for k in pick],
            None if self.length is None else self.length[rows],
        )


def _codes(values: list[Any], index: dict[Any, int]) -> IntArray:
    """``index[v]`` for every value (-1 where absent), at C speed."""
    return np.fromiter(map(index.get, values, repeat(-1)), np.int64, len(values))


def _parse(battles: Sequence[Battle]) -> _Table:
    n = len(battles)
    if n == 0:
        raise InvalidRatingsError("there are no battles")
    names_a = [x.model_a for x in battles]
    names_b = [x.model_b for x in battles]
    names = set(names_a) | set(names_b)
    bad_name = next((x for x in names if not (isinstance(x, str) and x)), None)
    if bad_name is not None or "" in names:
        raise InvalidRatingsError(f"model names must be non-empty strings, got {bad_name!r}")
    models = sorted(names)
    index = {name: k for k, name in enumerate(models)}
    a, b = _codes(names_a, index), _codes(names_b, index)
    won = _codes([x.winner for x in battles], _WINNERS)
    left_a = _codes([x.left for x in battles], _SIDES)
    for codes, field, expected in (
        (won, "winner", "'a', 'b' or 'tie'"),
        (left_a, "left", "'a' or 'b'"),
    ):
        if (codes < 0).any():
            k = int(np.flatnonzero(codes < 0)[0])
            value = getattr(battles[k], field)
            raise InvalidRatingsError(f"battle {k} has {field} {value!r}; expected {expected}")
    if (a == b).any():
        k = int(np.flatnonzero(a == b)[0])
        raise InvalidRatingsError(f"battle {k} compares {names_a[k]!r} with itself")
    flip = a > b
    out = np.where(flip & (won < 2), 1 - won, won)
    left_won = np.where(won == 2, -1, (won == 0) == (left_a == 1)).astype(np.int64)
    length = None
    length_a, length_b = [x.length_a for x in battles], [x.length_b for x in battles]
    if None not in length_a and None not in length_b:
        length = np.array([length_a, length_b], dtype=np.float64).T
        bad = ~((length >= 0) & np.isfinite(length)).all(axis=1)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InvalidRatingsError(f"battle {k} has a negative or non-finite length")
        length = np.where(flip[:, None], length[:, ::-1], length)
    return _Table(
        models, np.minimum(a, b), np.maximum(a, b), out, left_won,
        [x.item for x in battles], [x.evaluator for x in battles], length,
    )  # fmt: skip


def _check_options(
    n_resamples: int, confidence: float, penalty: float, length_resamples: int
) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not (np.isfinite(penalty) and penalty > 0):
        raise ValueError(f"penalty must be a finite number > 0, got {penalty!r}")
    if n_resamples < 1 or length_resamples < 1:
        raise ValueError("n_resamples and length_resamples must be at least 1")


def leaderboard(
    battles: Sequence[Battle],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
    penalty: float = 1e-6,
    length_control: bool = True,
    length_resamples: int = 200,
) -> Leaderboard:
    """The leaderboard of ``battles`` (see the module docstring for the methods).

    ``confidence`` sets the rating intervals and the Wilson intervals of the shares.
    Length-controlled ratings are fitted when ``length_control`` and every battle has both
    lengths (and some lengths differ); their intervals use the first
    ``min(n_resamples, length_resamples)`` resamples, each refitted by one Newton step from
    the estimate (the k-step bootstrap of Andrews, Econometrica 70, 2002, with k = 1): a full
    refit over a million individual battles per resample would take minutes.

    Raises :class:`InvalidRatingsError` for no battles, an unknown ``winner`` or ``left``, a
    model against itself, a negative length, an item whose votes compare different models,
    or models that do not all meet (directly or through others), whose relative ratings
    would mean nothing.
    """
    _check_options(n_resamples, confidence, penalty, length_resamples)
    table = _parse(battles)
    cells = _Cells.of(table)
    _require_connected(table.models, cells)
    return _board(
        table,
        cells,
        n_resamples,
        confidence,
        seed,
        penalty,
        length_resamples if length_control else 0,
    )


def leaderboards_by(
    battles: Sequence[Battle],
    key: Callable[[Battle], str | None] | Literal["category"],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
    penalty: float = 1e-6,
    length_control: bool = True,
    length_resamples: int = 200,
) -> dict[str, Leaderboard]:
    """One leaderboard per group (``key(battle)``, or the battle's category), by group name.

    Battles whose key is ``None`` are in no group. The whole input is checked as by
    :func:`leaderboard` first (bad input raises); a group that cannot make a board is left
    out rather than raising: fewer than two models, or models that do not all meet. No
    battles give ``{}``.
    """
    _check_options(n_resamples, confidence, penalty, length_resamples)
    if len(battles) == 0:
        return {}
    table = _parse(battles)
    group_of = (lambda x: x.category) if key == "category" else key
    groups: dict[str, list[int]] = {}
    for k, x in enumerate(battles):
        name = group_of(x)
        if name is not None:
            groups.setdefault(name, []).append(k)
    boards: dict[str, Leaderboard] = {}
    for name in sorted(groups):
        part = table.take(np.asarray(groups[name], dtype=np.int64))
        cells = _Cells.of(part)
        if len(part.models) < 2 or _parts(len(part.models), cells)[0] > 1:
            continue
        boards[name] = _board(
            part,
            cells,
            n_resamples,
            confidence,
            seed,
            penalty,
            length_resamples if length_control else 0,
        )
    return boards


@dataclass(frozen=True)
class _Cells:
    """Distinct pairs ``lo < hi`` with their (lo won, hi won, tie) ``counts``, and each
    battle's cell ``pair * 3 + out``."""

    lo: IntArray
    hi: IntArray
    counts: IntArray
    cell: IntArray

    @classmethod
    def of(cls, t: _Table) -> _Cells:
        m = len(t.models)
        pairs, pair = np.unique(t.lo * m + t.hi, return_inverse=True)
        cell = pair.ravel() * 3 + t.out
        counts = np.bincount(cell, minlength=3 * pairs.size).reshape(-1, 3)
        return cls(pairs // m, pairs % m, counts, cell)


def _parts(m: int, cells: _Cells) -> tuple[int, IntArray]:
    graph = csr_matrix((np.ones(cells.lo.size), (cells.lo, cells.hi)), shape=(m, m))
    n_parts, part = connected_components(graph, directed=False)
    return int(n_parts), np.asarray(part, dtype=np.int64)


def _require_connected(models: list[str], cells: _Cells) -> None:
    n_parts, part = _parts(len(models), cells)
    if n_parts > 1:
        apart = [models[k] for k in np.flatnonzero(part == np.argmin(np.bincount(part)))]
        raise InvalidRatingsError(
            f"the models do not all meet, directly or through others: {apart[:3]!r} "
            f"({len(apart)} models) never meet the other {len(models) - len(apart)}, so "
            "ratings across the two groups would mean nothing"
        )


def _board(
    t: _Table,
    cells: _Cells,
    n_resamples: int,
    confidence: float,
    seed: int | None,
    penalty: float,
    length_resamples: int,
) -> Leaderboard:
    m = len(t.models)
    c = cells.counts.astype(np.float64)
    wins = np.zeros((m, m))
    wins[cells.lo, cells.hi] = c[:, 0] + c[:, 2] / 2
    wins[cells.hi, cells.lo] = c[:, 1] + c[:, 2] / 2
    scores, _ = bradley_terry_scores(wins, penalty)
    bt_rng, split_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    design = _length_design(t) if length_resamples else None
    keep = min(n_resamples, length_resamples) if design is not None else 0
    samples, kept = _bootstrap_pairs(cells, scores, penalty, n_resamples, keep, bt_rng)
    record = _record(t)
    models = _standings(t.models, scores, samples, confidence, record)
    order = [t.models.index(x.model) for x in models]
    games = wins + wins.T
    win_rates = [
        [None if games[i, j] == 0 else float(wins[i, j] / games[i, j]) for j in order]
        for i in order
    ]
    n = t.out.size
    length_controlled, coefficient = None, None
    if design is not None:
        beta, replicates = _length_fit(t, cells, design, penalty, scores, kept, split_rng)
        length_controlled = _standings(t.models, beta[:m], replicates[:, :m], confidence, record)
        coefficient = float(beta[m])
    return Leaderboard(
        models=models,
        win_rates=win_rates,
        battles=n,
        tie_rate=_share(int((t.out == 2).sum()), n, confidence),
        position_bias=_share(
            int((t.left_won == 1).sum()), int((t.left_won >= 0).sum()), confidence
        ),
        evaluator_agreement=_agreement(t, confidence),
        length_controlled=length_controlled,
        length_coefficient=coefficient,
    )


def _share(successes: int, n: int, confidence: float) -> Share:
    if n == 0:
        return Share(math.nan, math.nan, math.nan, 0)
    low, high = wilson_interval(np.array([successes]), np.array([n]), confidence)
    return Share(successes / n, float(low[0]), float(high[0]), n)


def _record(t: _Table) -> IntArray:
    """Per model: battles, wins, losses, ties."""
    m = len(t.models)
    tie, lo_won = t.out == 2, t.out == 0
    winner = np.where(lo_won, t.lo, t.hi)[~tie]
    loser = np.where(lo_won, t.hi, t.lo)[~tie]
    ties = np.bincount(t.lo[tie], minlength=m) + np.bincount(t.hi[tie], minlength=m)
    wins, losses = np.bincount(winner, minlength=m), np.bincount(loser, minlength=m)
    return np.stack([wins + losses + ties, wins, losses, ties], axis=1)


def _elo(scores: FloatArray) -> FloatArray:
    elo: FloatArray = 1000.0 + _ELO_PER_LOG * (scores - scores.mean(axis=-1, keepdims=True))
    return elo


def _standings(
    models: list[str], scores: FloatArray, samples: FloatArray, confidence: float, record: IntArray
) -> list[ModelStanding]:
    rating, replicates = _elo(scores), _elo(samples)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail], axis=0)
    # 1 + models wholly above; the 1e-9 keeps rounding from splitting equal bounds.
    rank = 1 + (low[None, :] > high[:, None] + 1e-9).sum(axis=1)
    order = sorted(range(len(models)), key=lambda k: (-round(float(rating[k]), 9), models[k]))
    rows = []
    for k in order:
        battles, wins, losses, ties = (int(v) for v in record[k])
        rows.append(
            ModelStanding(
                models[k],
                float(rating[k]),
                float(low[k]),
                float(high[k]),
                int(rank[k]),
                battles,
                wins,
                losses,
                ties,
                (wins + ties / 2) / battles,
            )
        )
    return rows


def _softplus(x: FloatArray) -> FloatArray:
    """``log(1 + exp(x))`` without overflow."""
    out: FloatArray = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return out


def _bootstrap_pairs(
    cells: _Cells, scores: FloatArray, penalty: float, n_resamples: int, keep: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, IntArray]:  # fmt: skip
    """Poisson-bootstrap scores (resamples × models) and the first ``keep`` cell draws."""
    m, n_pairs = scores.size, cells.lo.size
    chunk = max(1, _CHUNK_ENTRIES // (3 * n_pairs))
    total0 = cells.counts.sum(axis=1)
    # Newton systems are solved by conjugate gradients preconditioned with the full data's
    # Hessian, inverted once: one small LAPACK call instead of one per resample and step.
    hessian = _hessian(cells, total0 * _p_lo(scores, cells)[0], penalty, m)
    precond = np.asarray(np.linalg.inv(hessian), dtype=np.float64)
    samples = np.empty((n_resamples, m))
    kept = np.empty((keep, 3 * n_pairs), dtype=np.int64)
    for first in range(0, n_resamples, chunk):
        draws = rng.poisson(cells.counts, size=(min(chunk, n_resamples - first), n_pairs, 3))
        stop = min(first + draws.shape[0], keep)
        kept[first:stop] = draws[: max(0, stop - first)].reshape(-1, 3 * n_pairs)
        total = draws.sum(axis=2).astype(np.float64)
        won = draws[:, :, 0] + draws[:, :, 2] / 2
        rows = slice(first, first + draws.shape[0])
        samples[rows] = _refit_pairs(cells, total, won, penalty, scores, precond)
    return samples, kept


def _p_lo(s: FloatArray, cells: _Cells) -> tuple[FloatArray, FloatArray]:
    """``p(1 - p)`` and ``p`` that lo beats hi, for scores ``s`` (models or rows × models)."""
    p: FloatArray = 1.0 / (1.0 + np.exp(s[..., cells.hi] - s[..., cells.lo]))
    return p * (1.0 - p), p


def _hessian(cells: _Cells, v: FloatArray, penalty: float, m: int) -> FloatArray:
    """Negative Hessian of the penalised log-likelihood (pair weights ``v``) plus the
    ``1/m`` pin of the free mean, as in :func:`bradley_terry_scores`."""
    h = np.full((m, m), 1.0 / m)
    np.add.at(h, (cells.lo, cells.hi), -v)
    np.add.at(h, (cells.hi, cells.lo), -v)
    h[np.diag_indices(m)] += np.bincount(cells.lo, v, m) + np.bincount(cells.hi, v, m) + penalty
    return h


def _refit_pairs(
    cells: _Cells, total: FloatArray, won: FloatArray, penalty: float, start: FloatArray,
    precond: FloatArray, tol: float = 1e-8, max_iter: int = 50,
) -> FloatArray:  # fmt: skip
    """Penalised Bradley–Terry scores for every row of ``total``/``won`` (resamples × pairs),
    the objective of :func:`bradley_terry_scores`, by Newton steps from ``start`` for all rows
    at once. A step changes no pair's log-odds by more than 1 (logistic losses are
    self-concordant, so such steps are safe); rows not converged after ``max_iter`` steps
    are refitted one by one by :func:`bradley_terry_scores` (its line search)."""
    lo, hi, m, n_pairs = cells.lo, cells.hi, start.size, cells.lo.size
    rows = np.tile(np.arange(n_pairs), 2)
    signs = np.repeat([1.0, -1.0], n_pairs)
    incidence = csr_matrix((signs, (np.r_[lo, hi], rows)), shape=(m, n_pairs))
    s = np.tile(start, (total.shape[0], 1))
    active = np.arange(total.shape[0])
    for _ in range(max_iter):
        sa, n = s[active], total[active]
        v, p = _p_lo(sa, cells)
        grad = (incidence @ (won[active] - n * p).T).T - penalty * sa
        v *= n

        def times_hessian(x: FloatArray, v: FloatArray = v) -> FloatArray:
            out: FloatArray = (incidence @ (v * (x[:, lo] - x[:, hi])).T).T
            out += penalty * x + x.sum(axis=1, keepdims=True) / m
            return out

        step = _conjugate_gradients(times_hessian, grad, precond)
        reach = np.abs(step[:, lo] - step[:, hi]).max(axis=1)
        step *= np.minimum(1.0, 1.0 / np.maximum(reach, 1e-300))[:, None]
        s[active] = sa + step
        active = active[np.abs(step).max(axis=1) >= tol]
        if active.size == 0:
            return s
    for r in active.tolist():
        wins = np.zeros((m, m))
        wins[lo, hi], wins[hi, lo] = won[r], total[r] - won[r]
        s[r], _ = bradley_terry_scores(wins, penalty, start, 200, tol)
    return s


def _conjugate_gradients(
    times: Callable[[FloatArray], FloatArray], b: FloatArray, precond: FloatArray,
    rtol: float = 1e-6, max_iter: int = 100,
) -> FloatArray:  # fmt: skip
    """Solve ``A x = b`` row by row (``times(x)`` = every row times its own ``A``)."""
    x = np.zeros_like(b)
    r = b.copy()
    z = r @ precond
    d = z.copy()
    rz = (r * z).sum(axis=1)
    goal = rtol * np.linalg.norm(b, axis=1)
    for _ in range(max_iter):
        ad = times(d)
        curvature = (d * ad).sum(axis=1)
        alpha = np.divide(rz, curvature, out=np.zeros_like(rz), where=curvature > 0)
        x += alpha[:, None] * d
        r -= alpha[:, None] * ad
        if (np.linalg.norm(r, axis=1) <= goal).all():
            break
        z = r @ precond
        rz, previous = (r * z).sum(axis=1), rz
        d = z + np.divide(rz, previous, out=np.zeros_like(rz), where=previous > 0)[:, None] * d
    return x


def _length_design(t: _Table) -> tuple[FloatArray, FloatArray] | None:
    """Outcome ``y`` (1 lo won, 0 hi won, ½ tie) and the length covariate ``z`` of lo over
    hi, or ``None`` without lengths for every battle or when no two lengths differ."""
    if t.length is None:
        return None
    total = t.length.sum(axis=1)
    diff = np.divide(
        t.length[:, 0] - t.length[:, 1], total, out=np.zeros(total.size), where=total > 0
    )
    rms = math.sqrt(float(np.mean(diff * diff)))
    if rms == 0:
        return None
    y = np.select([t.out == 0, t.out == 1], [1.0, 0.0], 0.5)
    return y, diff / rms


def _cell_sums(values: FloatArray, counts: IntArray) -> FloatArray:
    """Column sums of ``values`` (features × battles, grouped by cell) per cell."""
    sums = np.zeros((values.shape[0], counts.size))
    filled = np.flatnonzero(counts)
    starts = (np.cumsum(counts) - counts)[filled]
    sums[:, filled] = np.add.reduceat(values, starts, axis=1)
    return sums


def _length_terms(cells: _Cells, sums: FloatArray, m: int) -> tuple[FloatArray, FloatArray]:
    """Score and information of the length model from per-cell sums of ``r``, ``v``,
    ``v·z``, ``r·z`` and ``v·z²`` (residuals ``r``, weights ``v``, covariate ``z``): the
    models' columns are +1 (lo) / −1 (hi), the last one the length coefficient."""
    r, v, vz = sums[:3].reshape(3, -1, 3).sum(axis=2)
    lo, hi = cells.lo, cells.hi
    grad = np.empty(m + 1)
    grad[:m] = np.bincount(lo, r, m) - np.bincount(hi, r, m)
    grad[m] = sums[3].sum()
    info = np.zeros((m + 1, m + 1))
    info[lo, hi] = info[hi, lo] = -v
    info[np.arange(m), np.arange(m)] = np.bincount(lo, v, m) + np.bincount(hi, v, m)
    info[:m, m] = info[m, :m] = np.bincount(lo, vz, m) - np.bincount(hi, vz, m)
    info[m, m] = sums[4].sum()
    return grad, info


def _length_fit(
    t: _Table,
    cells: _Cells,
    design: tuple[FloatArray, FloatArray],
    penalty: float,
    scores: FloatArray,
    kept: IntArray,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """Length-controlled estimate (models then coefficient) by damped Newton steps, and one
    Newton step from it per kept resample. Battles are grouped by cell, so that sums over
    battles become sums over cells (whose models are the same)."""
    y, z = design
    m = len(t.models)
    order = np.argsort(cells.cell, kind="stable")
    y, z, lo, hi = y[order], z[order], t.lo[order], t.hi[order]
    counts = cells.counts.ravel()
    pin = np.zeros((m + 1, m + 1))
    pin[:m, :m] = 1.0 / m
    pin += penalty * np.eye(m + 1)

    def features(beta: FloatArray) -> FloatArray:
        prob = 1.0 / (1.0 + np.exp(beta[hi] - beta[lo] - beta[m] * z))
        r, v = y - prob, prob * (1 - prob)
        return np.stack([r, v, v * z, r * z, v * z * z])

    def objective(beta: FloatArray) -> float:
        eta = beta[lo] - beta[hi] + beta[m] * z
        return float((y * eta - _softplus(eta)).sum() - 0.5 * penalty * (beta @ beta))

    beta = np.append(scores, 0.0)
    value = objective(beta)
    for _ in range(100):
        grad, info = _length_terms(cells, _cell_sums(features(beta), counts), m)
        step = np.linalg.solve(info + pin, grad - penalty * beta)
        size = 1.0
        while (new := objective(beta + size * step)) < value - 1e-12 * max(1.0, abs(value)):
            if size < 1e-6:
                break
            size /= 2
        beta, value = beta + size * step, new
        if np.abs(size * step).max() < 1e-8:
            break
    at_estimate = features(beta)
    # Each kept resample's cell counts, spread uniformly over the cell's battles: Poisson
    # splitting makes every battle's weight an independent Poisson(1), as in the plain fit.
    offset = np.cumsum(counts) - counts
    grads, infos = np.empty((kept.shape[0], m + 1)), np.empty((kept.shape[0], m + 1, m + 1))
    for k, draw in enumerate(kept):
        width = np.repeat(counts, draw)
        pick = np.repeat(offset, draw) + (rng.random(width.size) * width).astype(np.int64)
        weight = np.bincount(pick, minlength=y.size).astype(np.float64)
        grads[k], infos[k] = _length_terms(cells, _cell_sums(at_estimate * weight, counts), m)
    steps = np.linalg.solve(infos + pin, (grads - penalty * beta)[:, :, None])
    return beta, beta + steps[:, :, 0]


def _agreement(t: _Table, confidence: float) -> Share | None:
    """Pairs of votes on the same item by different evaluators that agree (a vote without an
    evaluator counts as its own evaluator's)."""
    rows = np.flatnonzero(_codes(t.item, {None: 0}) < 0)  # votes that name their item
    if rows.size < 2:
        return None
    names = [t.item[k] for k in rows.tolist()] if rows.size < len(t.item) else t.item
    item = _codes(names, dict(zip(dict.fromkeys(names), range(len(names)), strict=False)))
    people = [t.evaluator[k] for k in rows.tolist()] if rows.size < len(t.item) else t.evaluator
    known = dict(zip(dict.fromkeys(people), range(len(people)), strict=False))
    known.pop(None, None)
    person = _codes(people, known)
    unnamed = person < 0
    person[unnamed] = len(people) + np.arange(int(unnamed.sum()))
    m = len(t.models)
    pair = t.lo[rows] * m + t.hi[rows]
    first = np.full(int(item.max()) + 1, -1, dtype=np.int64)
    first[item[::-1]] = pair[::-1]
    if (clash := np.flatnonzero(pair != first[item])).size:
        k = int(clash[0])
        shown = [f"{t.models[p // m]} vs {t.models[p % m]}" for p in (first[item[k]], pair[k])]
        raise InvalidRatingsError(f"item {names[k]!r} has votes on {shown[0]} and on {shown[1]}")
    vote = t.out[rows]

    def pairs(counts: IntArray) -> int:
        return int((counts * (counts - 1) // 2).sum())

    same = item * (int(person.max()) + 1) + person
    total = pairs(np.bincount(item)) - pairs(np.unique(same, return_counts=True)[1])
    if total == 0:
        return None
    agree = pairs(np.bincount(item * 3 + vote)) - pairs(
        np.unique(same * 3 + vote, return_counts=True)[1]
    )
    return _share(agree, total, confidence)
