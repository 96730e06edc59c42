"""The Poisson bootstrap of arena Bradley–Terry ratings, every resample refitted at once.

The Poisson bootstrap (Hanley & MacGibbon 2006; Chamandy et al. 2012): every resample
weights each battle by an independent Poisson(1) count, which for the plain Bradley–Terry
model is one Poisson draw per (pair, outcome) cell. It approximates resampling the battles
with replacement (as Chatbot Arena does: Chiang et al., "Chatbot Arena", 2024) and is about
2.5 times cheaper to draw at 15,000 cells. The resamples are refitted all at once by Newton
steps from the estimate, each solved by conjugate gradients (Hestenes & Stiefel 1952)
preconditioned with the full data's Hessian (no LAPACK call per resample: on a busy 2-core
machine OpenBLAS's threads made :meth:`BradleyTerry.bootstrap_ci`'s per-resample solves the
bottleneck). Every replicate is what :func:`labelworks.stats.ranking.bradley_terry_scores`
fits on its resample:

>>> from labelworks.stats.battle_table import _Cells, _parse
>>> from labelworks.stats.leaderboard import Battle
>>> votes = [Battle("x", "y", "a", "a")] * 6 + [Battle("x", "y", "b", "b")] * 3
>>> votes += [Battle("y", "z", "a", "a")] * 4 + [Battle("z", "y", "a", "b")] * 2
>>> votes += [Battle("x", "z", "b", "a")]
>>> cells = _Cells.of(_parse(votes))
>>> def wins(counts):  # (lo won, hi won, tie) per pair as a wins matrix, ties as halves
...     c, w = counts.reshape(-1, 3), np.zeros((3, 3))
...     w[cells.lo, cells.hi], w[cells.hi, cells.lo] = c[:, 0] + c[:, 2] / 2, c[:, 1] + c[:, 2] / 2
...     return w
>>> scores, _ = bradley_terry_scores(wins(cells.counts), 1e-6)
>>> samples, kept = _bootstrap_pairs(cells, scores, 1e-6, 50, 50, np.random.default_rng(0))
>>> samples.shape, kept.shape
((50, 3), (50, 9))
>>> refits = [bradley_terry_scores(wins(draw), 1e-6, scores, 200, 1e-12)[0] for draw in kept]
>>> bool(np.allclose(samples, refits, atol=1e-6))
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.sparse import csr_matrix

from labelworks.stats.battle_table import _Cells
from labelworks.stats.ranking import bradley_terry_scores
from labelworks.stats.ratings import FloatArray, IntArray

_CHUNK_ENTRIES = 4_000_000  # Hessian entries per batch of resamples (32 MB)


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
