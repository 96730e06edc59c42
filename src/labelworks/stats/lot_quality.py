"""The probability model behind acceptance sampling: P(accept) of a plan at a quality
level, the search for the smallest plan, and exact upper bounds on a lot's defects.

The public functions and their conventions are in :mod:`labelworks.stats.acceptance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SLACK = 1e-12  # probabilities this close to a risk limit meet it
_SNAP = 1e-9  # rate × N this close (relative) to a whole number is that number
_NEVER = 2**62  # "no sample size fails the producer's risk" (an AQL of 0, binomial)


@dataclass(frozen=True)
class Quality:
    """One quality level: a lot of ``lot_size`` with ``defects`` bad items, or a rate."""

    lot_size: int | None
    rate: float
    defects: int | None

    def accept(self, c: IntArray, n: IntArray) -> FloatArray:
        """P(at most ``c`` defects in a sample of ``n``), elementwise."""
        if self.lot_size is None:
            return np.asarray(stats.binom.cdf(c, n, self.rate), dtype=np.float64)
        return np.asarray(stats.hypergeom.cdf(c, self.lot_size, self.defects, n), dtype=np.float64)


def smallest_plan(
    at_aql: Quality, at_ltpd: Quality, alpha: float, beta: float
) -> tuple[int, int] | None:
    """The smallest ``(n, c)`` with ``n < N`` meeting both risks, or ``None``.

    For an acceptance number ``c`` let ``lo(c)`` be the smallest sample meeting the
    consumer's risk and ``hi(c)`` the largest meeting the producer's; ``c`` works exactly
    when ``lo(c) <= hi(c)``, and then its smallest sample is ``lo(c)``. Both grow with
    ``c`` (a sample only gathers defects as it grows), so the first ``c`` that works gives
    the smallest ``n``, and no ``c`` strictly between ``a`` and ``b`` works when
    ``hi(b) < lo(a)``. Doubling ``c`` finds a first range to search; the test above
    discards whole ranges of ``c``, and what it cannot discard is halved, the ranges of a
    round evaluated together in one vectorised bisection.
    """
    n_max = None if at_aql.lot_size is None else at_aql.lot_size - 1
    if n_max is not None and n_max < 1:
        return None
    bounds = _Bounds(at_aql, at_ltpd, alpha, beta, n_max)
    # the first range ends at a c that works, or where no sample works for this c or beyond
    top = 0
    while not bounds.works(top) and bounds.lo[top] >= 0:
        if n_max is not None and top >= n_max - 1:
            break
        top = 2 * top + 1 if n_max is None else min(2 * top + 1, n_max - 1)
    ranges = [(0, top)]
    best: int | None = None
    while ranges:
        bounds.evaluate({end for pair in ranges for end in pair})
        working = [c for pair in ranges for c in pair if bounds.works(c)]
        if working:
            best = min(working) if best is None else min(best, *working)
        narrower = []
        for a, b in ranges:
            if best is not None and a >= best:
                continue
            if bounds.lo[a] < 0 or b - a <= 1 or bounds.hi[b] < bounds.lo[a]:
                continue  # no sample works for c >= a, nothing inside, or nothing inside works
            middle = (a + b) // 2
            narrower += [(a, middle), (middle, b)]
        ranges = narrower
    if best is None:
        return None
    return bounds.lo[best], best


class _Bounds:
    """Per acceptance number ``c``: ``lo[c]``, the smallest ``n`` meeting the consumer's
    risk (``-1``: none up to ``n_max``), and ``hi[c]``, the largest meeting the
    producer's; computed on demand, many ``c`` per vectorised bisection."""

    def __init__(
        self, at_aql: Quality, at_ltpd: Quality, alpha: float, beta: float, n_max: int | None
    ) -> None:
        self.at_aql, self.at_ltpd = at_aql, at_ltpd
        self.alpha, self.beta, self.n_max = alpha, beta, n_max
        self.lo: dict[int, int] = {}
        self.hi: dict[int, int] = {}

    def works(self, c: int) -> bool:
        self.evaluate({c})
        return 0 <= self.lo[c] <= self.hi[c]

    def evaluate(self, wanted: set[int]) -> None:
        cs = np.array(sorted(c for c in wanted if c not in self.lo), dtype=np.int64)
        if cs.size == 0:
            return
        consumer_met = self._first(cs, lambda c, n: self.at_ltpd.accept(c, n) <= self.beta + SLACK)
        if self.n_max is not None:
            consumer_met[consumer_met > self.n_max] = -1
        if self.at_aql.rate == 0 or self.at_aql.defects == 0:  # a perfect lot always passes
            producer_met = np.full(cs.size, _NEVER if self.n_max is None else self.n_max)
        else:  # the largest n meeting the producer's risk is one below the first failing it
            failing = self._first(
                cs, lambda c, n: self.at_aql.accept(c, n) < 1.0 - self.alpha - SLACK
            )
            producer_met = failing - 1
        self.lo.update(zip(cs.tolist(), consumer_met.tolist(), strict=True))
        self.hi.update(zip(cs.tolist(), producer_met.tolist(), strict=True))

    def _first(self, cs: IntArray, passes: Any) -> IntArray:
        """Per ``c``, the smallest ``n > c`` where ``passes(c, n)``, a property that stays
        true once it holds as ``n`` grows (``n_max + 1`` where there is none)."""
        lo = cs + 1  # n <= c accepts every lot: neither test can pass there
        if self.n_max is None:  # binomial: double until the property holds (it always will)
            hi = lo.copy()
            while not (held := passes(cs, hi)).all():
                hi[~held] *= 2
        else:
            hi = np.full(cs.size, self.n_max + 1, dtype=np.int64)
        while True:
            open_ = np.flatnonzero(lo < hi)
            if open_.size == 0:
                break
            mid = (lo[open_] + hi[open_]) // 2
            ok = passes(cs[open_], mid)
            hi[open_[ok]] = mid[ok]
            lo[open_[~ok]] = mid[~ok] + 1
        return lo


def lot_defects(rate: float, lot_size: int, rounding: Literal["floor", "ceil"]) -> int:
    """Whole defects in a lot at ``rate``, rounded down or up (snapped when whole)."""
    x = float(rate) * lot_size
    nearest = round(x)
    if abs(x - nearest) <= _SNAP * max(1.0, x):
        return int(nearest)
    return math.floor(x) if rounding == "floor" else math.ceil(x)


def nearest_defects(rates: FloatArray, lot_size: int) -> IntArray:
    """Nearest whole number of defects per rate, halves up (snapped when whole)."""
    x = rates * lot_size
    nearest = np.floor(x + 0.5)
    snapped = np.where(np.abs(x - np.rint(x)) <= _SNAP * np.maximum(1.0, x), np.rint(x), nearest)
    return np.clip(snapped, 0, lot_size).astype(np.int64)


def hypergeometric_upper(defects: int, sample: int, lot_size: int, confidence: float) -> int:
    """The largest ``D`` with P(X ≤ defects | N, D, n) ≥ 1 − confidence, by bisection."""
    lo, hi = defects, lot_size - (sample - defects)  # D = lo always qualifies
    floor = 1.0 - confidence - SLACK
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if stats.hypergeom.cdf(defects, lot_size, mid, sample) >= floor:
            lo = mid
        else:
            hi = mid - 1
    return int(lo)


def clopper_pearson_upper(defects: int, sample: int, confidence: float) -> float:
    if defects >= sample:
        return 1.0
    return float(stats.beta.ppf(confidence, defects + 1, sample - defects))
