"""Answers clustered by the unit an experiment randomised (an annotator, an item): sums per
unit, the cluster bootstrap, the randomisation test, the intraclass correlation and the
power a clustered comparison of two arms has. The statistics behind
:mod:`labelworks.stats.experiments`; every figure is computed from per-unit sums (and, for
medians, per-unit counts on a grid of seconds), so the cost grows with the units, not the
answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import ndtr, ndtri

from labelworks.stats.ratings import FloatArray, IntArray

N_ARMS = 2
# Seconds below this (0 from a client that did not measure) are read as this, so the log
# stays finite; resampled medians are read on a grid of 0.5% steps of seconds.
FLOOR_SECONDS = 0.1
_GRID = 0.005
# Resample-count matrices (draws × units) are built in chunks of about this many cells.
_CHUNK_CELLS = 2_000_000
# Resamples and re-deals stay under about this many unit-cells each, and never below
# MIN_DRAWS: 2,000 of each up to 5,000 units, 500 at 20,000, 200 from 50,000.
WORK = 10_000_000
MIN_DRAWS = 200
_TIE = 1e-12


@dataclass(frozen=True, slots=True)
class Power:
    """The chance the experiment had of calling a true difference of ``min_effect``
    significant at 5%: ``icc`` within arms (0 when no unit has two answers), the
    size-weighted mean cluster size, the design effect, the effective answers per arm, and
    the units per arm 80% power would take at this ICC, each giving ``cluster_size``
    answers (more answers per unit barely help when the ICC is high: more units do)."""

    min_effect: float
    icc: float
    cluster_size: float
    design_effect: float
    effective: tuple[float, float]
    power: float
    units_for_80: int | None


@dataclass(frozen=True, slots=True)
class UnitSums:
    """One metric at the unit level: per unit the sum and count of its values (and sum of
    squares), over the units (sorted by id) that have at least one."""

    units: IntArray
    arm: IntArray
    sums: FloatArray
    counts: FloatArray
    squares: FloatArray

    def rate(self, arm: int) -> float | None:
        mine = self.arm == arm
        n = float(self.counts[mine].sum())
        return None if n == 0 else float(self.sums[mine].sum()) / n


def unit_sums(unit: IntArray, arm: IntArray, values: FloatArray) -> UnitSums:
    """The sums of ``values`` (NaN: none) per unit, with each unit's arm."""
    have = np.isfinite(values)
    units, inverse = np.unique(unit[have], return_inverse=True)
    v = values[have]
    arm_of = np.zeros(units.size, dtype=np.int64)
    arm_of[inverse] = arm[have]
    return UnitSums(
        units,
        arm_of,
        np.bincount(inverse, weights=v, minlength=units.size).astype(np.float64),
        np.bincount(inverse, minlength=units.size).astype(np.float64),
        np.bincount(inverse, weights=v * v, minlength=units.size).astype(np.float64),
    )


def affordable(requested: int, n_units: int) -> int:
    """Resamples (or re-deals) to make over ``n_units`` units: as asked, but at most about
    ``WORK`` unit-cells in all and never fewer than ``MIN_DRAWS`` (a big experiment's
    intervals are narrow, so the coarser Monte Carlo costs little)."""
    return max(min(requested, MIN_DRAWS), min(requested, WORK // max(n_units, 1)))


def cluster_draws(arm: IntArray, n_boot: int, rng: np.random.Generator) -> Iterator[FloatArray]:
    """Chunks of the cluster bootstrap's resample counts (draws × units): each arm's units
    resampled with replacement within the arm. Arms are drawn in the order of their first
    unit, not their number, so naming the arms the other way round draws the same."""
    n = arm.size
    strata = [np.flatnonzero(arm == a) for a in (0, 1)]
    strata = sorted((s for s in strata if s.size), key=lambda s: int(s[0]))
    width = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, n_boot, width):
        b = min(width, n_boot - start)
        offsets = (np.arange(b) * n)[:, None]
        counts = np.zeros(b * n)
        for members in strata:
            # Uniform floats scaled are several times faster than bounded integers.
            at = np.minimum((rng.random((b, members.size)) * members.size).astype(np.intp),
                            members.size - 1)  # fmt: skip
            counts += np.bincount((members[at] + offsets).ravel(), minlength=b * n)
        yield counts.reshape(b, n)


@dataclass(frozen=True, slots=True)
class UnitTable:
    """Every unit with an answer (sorted by id) and its arm; per metric (rows) each unit's
    sum and count of values; and, for medians, each unit's seconds counted on the grid
    (units × cells, the cells' seconds in ``cells``)."""

    units: IntArray
    arm: IntArray
    sums: FloatArray
    counts: FloatArray
    grid: sparse.csr_matrix
    cells: FloatArray


def unit_table(
    unit: IntArray, arm: IntArray, columns: list[FloatArray], seconds: FloatArray
) -> UnitTable:
    units, inverse = np.unique(unit, return_inverse=True)
    arm_of = np.zeros(units.size, dtype=np.int64)
    arm_of[inverse] = arm
    sums = np.zeros((len(columns), units.size))
    counts = np.zeros((len(columns), units.size))
    for k, values in enumerate(columns):
        have = np.isfinite(values)
        sums[k] = np.bincount(inverse[have], weights=values[have], minlength=units.size)
        counts[k] = np.bincount(inverse[have], minlength=units.size)
    have = np.isfinite(seconds)
    cells, bins = np.unique(_grid(seconds[have]), return_inverse=True)
    grid = sparse.csr_matrix(
        (np.ones(bins.size), (inverse[have], bins)), shape=(units.size, cells.size)
    )
    return UnitTable(units, arm_of, sums, counts, grid, np.exp(cells * _GRID))


@dataclass(frozen=True, slots=True)
class Replicates:
    """The cluster bootstrap's resamples: each metric's pooled ratio per arm (draws ×
    metrics × 2) and each arm's median seconds (draws × 2)."""

    ratios: FloatArray
    medians: FloatArray


def resample(table: UnitTable, n_boot: int, rng: np.random.Generator) -> Replicates:
    """One set of cluster resamples serves every metric: each draw resamples each arm's
    units, and every figure is read off the same draw."""
    k = table.sums.shape[0]
    ratios, medians = [], []
    for counts in cluster_draws(table.arm, n_boot, rng):
        b = counts.shape[0]
        r = np.empty((b, k, N_ARMS))
        med = np.empty((b, N_ARMS))
        for a in (0, 1):
            mask = (table.arm == a).astype(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                r[:, :, a] = (counts @ (table.sums * mask).T) / (counts @ (table.counts * mask).T)
            weights = np.asarray(table.grid.T @ (counts * mask).T).T
            med[:, a] = weighted_medians(weights, table.cells)
        ratios.append(r)
        medians.append(med)
    if not ratios:
        return Replicates(np.empty((0, k, N_ARMS)), np.empty((0, N_ARMS)))
    return Replicates(np.concatenate(ratios), np.concatenate(medians))


def _grid(seconds: FloatArray) -> IntArray:
    return np.rint(np.log(np.maximum(seconds, FLOOR_SECONDS)) / _GRID).astype(np.int64)


def weighted_medians(weights: FloatArray, values: FloatArray) -> FloatArray:
    """The median of each row's sample (``weights[r, k]`` copies of ``values[k]``): the
    mean of the middle two order statistics, as ``np.median`` takes them."""
    if weights.shape[1] == 0:
        return np.full(weights.shape[0], np.nan)
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1]
    lower = np.argmax(cum >= np.floor((total + 1) / 2)[:, None], axis=1)
    upper = np.argmax(cum >= (np.floor(total / 2) + 1)[:, None], axis=1)
    medians = (values[lower] + values[upper]) / 2
    medians[total == 0] = np.nan
    return np.asarray(medians, dtype=float)


def percentile_bounds(reps: FloatArray, confidence: float) -> tuple[float | None, float | None]:
    finite = reps[np.isfinite(reps)]
    if finite.size < 2:
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def redeal_p(
    table: UnitTable, observed: FloatArray, n_perm: int, rng: np.random.Generator
) -> list[float | None]:
    """Two-sided randomisation p-value of each metric's difference in pooled ratios (second
    arm minus first): the arm labels re-dealt among the units ``n_perm`` times, as the
    split dealt them. One set of re-deals serves every metric; each row is a shuffle of the
    labels, which does not depend on what the labels are, so swapping the arms gives the
    same p. ``None`` for a metric whose units with data are fewer than three, or absent
    from an arm."""
    have = table.counts > 0
    n1 = (have & (table.arm == 1)).sum(axis=1)
    n0 = (have & (table.arm == 0)).sum(axis=1)
    testable = (n0 >= 1) & (n1 >= 1) & (n0 + n1 >= 3) & np.isfinite(observed)
    if not testable.any():
        return [None] * observed.size
    total_s, total_n = table.sums.sum(axis=1), table.counts.sum(axis=1)
    labels = table.arm.astype(np.float64)
    width = max(1, _CHUNK_CELLS // max(labels.size, 1))
    extreme = np.zeros(observed.size, dtype=np.int64)
    tolerance = _TIE * np.maximum(1.0, np.abs(np.nan_to_num(observed)))
    for start in range(0, n_perm, width):
        b = min(width, n_perm - start)
        # A permutation per row is several times faster than Generator.permuted on a matrix.
        dealt = labels[np.stack([rng.permutation(labels.size) for _ in range(b)])]
        s1, c1 = dealt @ table.sums.T, dealt @ table.counts.T
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = s1 / c1 - (total_s - s1) / (total_n - c1)
        extreme += np.count_nonzero(np.abs(diff) >= np.abs(observed) - tolerance, axis=0)
    return [
        (1 + int(e)) / (n_perm + 1) if ok else None for e, ok in zip(extreme, testable, strict=True)
    ]


def permutation_p(
    m: UnitSums, observed: float, n_perm: int, rng: np.random.Generator
) -> float | None:
    """:func:`redeal_p` of one metric held as unit sums."""
    table = UnitTable(
        m.units,
        m.arm,
        m.sums[None, :],
        m.counts[None, :],
        sparse.csr_matrix((m.units.size, 0)),
        np.empty(0),
    )
    return redeal_p(table, np.array([observed]), n_perm, rng)[0]


def anova_icc(groups: IntArray, arm: IntArray, values: FloatArray) -> float | None:
    """The intraclass correlation of ``values`` clustered by ``groups`` (each group inside
    one arm), one-way ANOVA within arms: ``(MSB − MSW) / (MSB + (n₀ − 1) MSW)`` with
    ``n₀ = (N − Σ_arm Σ n_i² / N_arm) / (K − A)`` (Donner 1986 for unequal groups).
    ``None`` when it is undefined (no replication within or between groups).

    >>> g = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    >>> round(anova_icc(g, np.zeros(8, dtype=np.int64), np.array([1., 1, 0, 0, 1, 1, 0, 0])), 3)
    1.0
    """
    return icc_of(unit_sums(groups, arm, values))


def design_effect(sizes: FloatArray, icc: float) -> tuple[float, float]:
    """``(m, 1 + (m − 1)·ICC)`` with ``m = Σm²/Σm`` and a negative ICC read as 0."""
    m = float((sizes**2).sum() / sizes.sum())
    return m, 1 + (m - 1) * max(icc, 0.0)


def normal_power(effect: float, se: float, confidence: float = 0.95) -> float:
    """Power of a two-sided z test at level ``1 − confidence`` for a true ``effect``.

    >>> round(normal_power(0.05, 0.0178), 3)
    0.802
    """
    z = float(ndtri(1 - (1 - confidence) / 2))
    shift = abs(effect) / se
    return float(ndtr(shift - z) + ndtr(-shift - z))


def _z80(confidence: float) -> float:
    return float(ndtri(1 - (1 - confidence) / 2) + ndtri(0.8))


def proportion_power(
    m: UnitSums, effect: float, confidence: float, answers: tuple[float, float]
) -> Power | None:
    clustering = _clustering(m)
    if clustering is None or min(answers) == 0:
        return None
    icc, size, deff = clustering
    pooled = float(m.sums.sum() / m.counts.sum())
    low = min(max(pooled - effect / 2, 0.0), 1.0 - effect)
    p0, p1 = low, low + effect
    n0, n1 = answers[0] / deff, answers[1] / deff
    variance = p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1
    if variance <= 0:
        return None
    power = normal_power(effect, math.sqrt(variance), confidence)
    # Answers per arm (equal arms) for 80%: the effective n times the design effect.
    per_arm = _z80(confidence) ** 2 * (p0 * (1 - p0) + p1 * (1 - p1)) / effect**2 * deff
    return Power(effect, icc, size, deff, (n0, n1), power, math.ceil(per_arm / size))


def _clustering(m: UnitSums) -> tuple[float, float, float] | None:
    """``(ICC, m, design effect)``; with one answer per unit nothing clusters (ICC read as
    0, design effect 1); ``None`` when the ICC is undefined otherwise."""
    if m.units.size and bool((m.counts == 1).all()):
        return 0.0, 1.0, 1.0
    icc = icc_of(m)
    if icc is None:
        return None
    size, deff = design_effect(m.counts, icc)
    return icc, size, deff


def icc_of(m: UnitSums) -> float | None:
    """The ANOVA ICC from the unit sums: no answer-level pass needed."""
    k = m.units.size
    present = np.unique(m.arm).size
    big_n = float(m.counts.sum())
    if k - present < 1 or big_n - k < 1:
        return None
    mean_i = m.sums / m.counts
    ss_within = float((m.squares - m.counts * mean_i**2).sum())
    ss_between, n_squares = 0.0, 0.0
    for a in np.unique(m.arm):
        mine = m.arm == a
        n_arm = float(m.counts[mine].sum())
        mean_arm = float(m.sums[mine].sum()) / n_arm
        ss_between += float((m.counts[mine] * (mean_i[mine] - mean_arm) ** 2).sum())
        n_squares += float((m.counts[mine] ** 2).sum()) / n_arm
    msb = ss_between / (k - present)
    msw = max(ss_within, 0.0) / (big_n - k)
    n0 = (big_n - n_squares) / (k - present)
    denominator = msb + (n0 - 1) * msw
    return None if denominator <= 0 else float((msb - msw) / denominator)


def time_power(
    m: UnitSums, change: float, confidence: float, answers: tuple[float, float]
) -> Power | None:
    clustering = _clustering(m)
    if clustering is None or min(answers) == 0:
        return None
    icc, size, deff = clustering
    # Within-arm variance of log seconds, every answer around its arm's mean.
    spread = 0.0
    for a in (0, 1):
        mine = m.arm == a
        n = float(m.counts[mine].sum())
        s = float(m.sums[mine].sum())
        spread += float(m.squares[mine].sum()) - s * s / n
    variance = spread / max(float(m.counts.sum()) - 2, 1.0)
    effect = -math.log(1 - change)
    n0, n1 = answers[0] / deff, answers[1] / deff
    se = math.sqrt(variance * (1 / n0 + 1 / n1))
    if se <= 0:
        return None
    per_arm = _z80(confidence) ** 2 * 2 * variance / effect**2 * deff
    power = normal_power(effect, se, confidence)
    return Power(change, icc, size, deff, (n0, n1), power, math.ceil(per_arm / size))
