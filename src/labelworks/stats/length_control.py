"""Length-controlled arena ratings (style control): Li et al., "Does style matter?
Disentangling style and substance in Chatbot Arena", 2024.

A logistic regression of the outcome on model indicators (+1 for a, −1 for b) and the length
difference ``(len_a − len_b)/(len_a + len_b)`` scaled to unit root mean square (not centred,
so calling either model ``a`` means the same), ties as half a win (the same as two rows
weighted ½), with the L2 penalty of the plain fit. Its bootstrap uses the first
``length_resamples`` (default 200) of the plain fit's Poisson resamples
(:mod:`labelworks.stats.bradley_terry_bootstrap`), each battle's weight drawn by spreading its
cell's count uniformly over the cell's battles, and moves the estimate by one Newton step on
each resample: the k-step bootstrap of Andrews (Econometrica 70, 2002) with k = 1, since a
full refit over a million individual battles per resample would take minutes.

>>> from labelworks.stats.battle_table import _parse
>>> from labelworks.stats.leaderboard import Battle
>>> t = _parse([Battle("x", "y", "a", "a", length_a=300, length_b=100),
...             Battle("y", "x", "tie", "b", length_a=100, length_b=100)])
>>> y, z = _length_design(t)
>>> y.tolist(), np.round(z, 6).tolist()
([1.0, 0.5], [1.414214, 0.0])
"""

from __future__ import annotations

import math

import numpy as np

from labelworks.stats.battle_table import _Cells, _Table
from labelworks.stats.ratings import FloatArray, IntArray


def _softplus(x: FloatArray) -> FloatArray:
    """``log(1 + exp(x))`` without overflow."""
    out: FloatArray = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return out


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
