"""Arena battles as integer codes: the table :mod:`labelworks.stats.leaderboard` works on.

A vote is recorded as Chatbot Arena publishes its battles (Chiang et al., "Chatbot Arena",
2024): the two models, the winner ``"a"``, ``"b"`` or ``"tie"``, and here also the side each
answer was shown on, the evaluator, the item and the response lengths. :func:`_parse` checks
the votes and orients every battle so that its lower-coded model is ``lo`` (the winner, the
side and the lengths swapped with it); :class:`_Cells` counts the battles of each (pair,
outcome) cell. Everything downstream (the fits, the bootstrap draws, the length model) reads
these orientation-free codes, which is why a leaderboard does not depend on which model of a
battle is called ``a``.

>>> from labelworks.stats.leaderboard import Battle
>>> t = _parse([Battle("y", "x", "a", "b"), Battle("x", "z", "tie", "a")])
>>> t.models, t.lo.tolist(), t.hi.tolist(), t.out.tolist(), t.left_won.tolist()
(['x', 'y', 'z'], [0, 0], [1, 2], [1, 2], [0, -1])
>>> cells = _Cells.of(t)
>>> cells.counts.tolist(), cells.cell.tolist()
([[0, 1, 0], [0, 0, 1]], [1, 5])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError

if TYPE_CHECKING:
    from labelworks.stats.leaderboard import Battle

_WINNERS = {"a": 0, "b": 1, "tie": 2}
_SIDES = {"a": 1, "b": 0}


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
