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

Intervals. Every model's interval is a percentile interval of its rating over Poisson
bootstrap resamples of the battles, each refitted in full
(:mod:`labelworks.stats.bradley_terry_bootstrap`); a model's rank is 1 + the number of models
whose lower bound exceeds its upper bound (ties in rank where intervals overlap), as
:meth:`BradleyTerry.bootstrap_ci`.

Length control. A logistic regression of the outcome on the models and the standardised
length difference, with the same penalty, and a one-step bootstrap on the first
``length_resamples`` of the same resamples (:mod:`labelworks.stats.length_control`).

Everything is invariant to which model of a battle is called ``a`` (with the winner and
``left`` swapped accordingly): battles are coded by their lower-coded model
(:mod:`labelworks.stats.battle_table`) and the bootstrap draws are made on orientation-free
cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from labelworks.stats.aggregation.gold import wilson_interval
from labelworks.stats.battle_table import (
    _Cells,
    _codes,
    _parse,
    _parts,
    _require_connected,
    _Table,
)
from labelworks.stats.bradley_terry_bootstrap import _bootstrap_pairs
from labelworks.stats.length_control import _length_design, _length_fit
from labelworks.stats.ranking import bradley_terry_scores
from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError

Winner = Literal["a", "b", "tie"]
Side = Literal["a", "b"]
_ELO_PER_LOG = 400.0 / math.log(10.0)


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

    >>> votes = [Battle("x", "y", "a", "a")] * 30 + [Battle("y", "x", "a", "b")] * 10
    >>> votes += [Battle("y", "z", "a", "b")] * 30 + [Battle("z", "y", "a", "a")] * 10
    >>> votes += [Battle("x", "z", "tie", "a")] * 5
    >>> board = leaderboard(votes, n_resamples=200, seed=0)
    >>> [(m.model, round(m.rating), m.rank, m.wins, m.losses, m.ties) for m in board.models]
    [('x', 1152, 1, 30, 10, 5), ('y', 1000, 2, 40, 40, 0), ('z', 848, 3, 10, 30, 5)]
    >>> board.win_rates  # x won 3/4 of its battles with y and half (the ties) with z
    [[None, 0.75, 0.5], [0.25, None, 0.75], [0.5, 0.25, None]]
    >>> round(board.tie_rate.value, 3), board.position_bias.value
    (0.059, 0.5)
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
