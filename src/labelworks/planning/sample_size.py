"""How much evidence a decision needs: gold answers to know an annotator's accuracy within
±d, and items to double-annotate to know Krippendorff's α within ±d.

**Gold answers.** The 95% Wilson score interval of a share ``p`` over ``n`` answers has
half-width ``z √(p(1−p)/n + z²/4n²) / (1 + z²/n)``; the answer is the smallest ``n`` at
which it is at most ``d``. Without an expected accuracy the worst case ``p = 0.5`` is used
(the widest interval), so the number holds whatever the annotator's accuracy turns out to
be.

**Items for α.** α has no closed-form variance worth trusting, so the precision is
simulated from the project's own data: ``n`` items are drawn with replacement from the
items that have two or more annotations, α is computed on each of ``draws`` such samples,
and the half-width of the central 95% of those values is the precision ``n`` items give.
It falls like ``c/√n``; ``c`` is fitted on a few sample sizes and the answer,
``⌈(c/d)²⌉``, is simulated once more to report the precision it actually reaches. The
coefficient is handed in as a function of resample counts (``ItemStatistics.resampled``
in ``labelworks.stats``), so this module needs no statistics package.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from labelworks.domain.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
MAX_GOLD = 1_000_000
MAX_ITEMS = 10_000_000
DRAWS = 400
# Resample-count cells (draws × items) held at once: 32 MB of float64.
_COUNT_CELLS = 4_000_000
# Past this many drawn items in all (draws × items) the reached precision is read off the fit.
_SIMULATED_CELLS = 20_000_000


@lru_cache(maxsize=64)
def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InvalidInput(f"confidence must lie between 0 and 1, not {confidence}")
    return float(norm.ppf(0.5 + confidence / 2))


def _check_margin(d: float) -> None:
    if not (math.isfinite(d) and 0 < d < 0.5):
        raise InvalidInput(f"the margin d must lie between 0 and 0.5, not {d}")


def wilson_half_width(p: float, n: int, confidence: float = 0.95) -> float:
    """Half the width of the Wilson score interval of share ``p`` over ``n`` answers."""
    z = _z(confidence)
    z2 = z * z
    return z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)


def gold_needed(d: float, *, expected: float | None = None, confidence: float = 0.95) -> int:
    """The fewest gold answers whose Wilson interval (at ``confidence``) has half-width at
    most ``d`` at accuracy ``expected`` (worst case 0.5 when not given).

    >>> gold_needed(0.05)
    381
    """
    _check_margin(d)
    p = 0.5 if expected is None else expected
    if not (math.isfinite(p) and 0 <= p <= 1):
        raise InvalidInput(f"the expected accuracy must lie between 0 and 1, not {expected}")
    # The half-width falls as n grows (its derivative in n is negative for every p), so
    # the first n under d is found by doubling then bisection.
    high = 1
    while wilson_half_width(p, high, confidence) > d:
        high *= 2
        if high > MAX_GOLD:
            raise InvalidInput(f"more than {MAX_GOLD:,} gold answers would be needed")
    low = high // 2
    while high - low > 1:
        mid = (low + high) // 2
        if wilson_half_width(p, mid, confidence) <= d:
            high = mid
        else:
            low = mid
    return high


Resampled = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True, slots=True)
class AlphaSampleSize:
    """``items``: items with two or more annotations needed for α within ±``margin``;
    ``reached``: the half-width simulated at that many items; ``curve``: (items,
    half-width) at the sizes simulated to fit ``c`` in ``c/√n``."""

    items: int
    margin: float
    reached: float
    curve: tuple[tuple[int, float], ...]


def alpha_items_needed(
    resampled: Resampled,
    n_items: int,
    d: float,
    *,
    confidence: float = 0.95,
    draws: int = DRAWS,
    seed: int | np.random.Generator | None = None,
) -> AlphaSampleSize:
    """Items to double-annotate to know α within ±``d``, by simulation from the data.

    ``resampled`` maps a (B, ``n_items``) matrix of draw counts to B values of α (each row
    one sample of the items with two or more annotations); ``n_items`` is how many there
    are. Draws that leave α undefined (every value alike) are left out.
    """
    _check_margin(d)
    if n_items < 2:
        raise InvalidInput("α needs at least two items with two or more annotations")
    if draws < 50:
        raise InvalidInput("draws must be at least 50")
    low_q, high_q = 0.5 - confidence / 2, 0.5 + confidence / 2
    _z(confidence)
    rng = np.random.default_rng(seed)

    def half_width(n: int) -> float:
        values = _resampled_values(resampled, n_items, n, draws, rng)
        values = values[np.isfinite(values)]
        if values.size < draws // 2:
            return math.inf
        lo, hi = np.quantile(values, [low_q, high_q])
        return float(hi - lo) / 2

    sizes = sorted({max(10, n_items // 4), max(20, n_items // 2), max(40, n_items)})
    curve = [(n, half_width(n)) for n in sizes]
    fit = [(n, w) for n, w in curve if math.isfinite(w) and w > 0]
    if not fit:
        raise InvalidInput("α is undefined on samples of these items (every value alike)")
    # Least squares of log w = log c − ½ log n, slope fixed by the 1/√n law.
    c = math.exp(float(np.mean([math.log(w) + 0.5 * math.log(n) for n, w in fit])))
    needed = min(max(2, math.ceil((c / d) ** 2)), MAX_ITEMS)
    if needed * draws > _SIMULATED_CELLS:
        return AlphaSampleSize(needed, d, c / math.sqrt(needed), tuple(curve))
    reached = half_width(needed)
    if math.isfinite(reached) and reached > d:
        # The fit came from smaller samples; one step along the same 1/√n law corrects it.
        first, needed = needed, min(math.ceil(needed * (reached / d) ** 2), MAX_ITEMS)
        if needed * draws <= _SIMULATED_CELLS:
            reached = half_width(needed)
        else:
            reached *= math.sqrt(first / needed)
    return AlphaSampleSize(needed, d, reached, tuple(curve))


def _resampled_values(
    resampled: Resampled, n_items: int, n: int, draws: int, rng: np.random.Generator
) -> FloatArray:
    """α on ``draws`` samples of ``n`` items drawn with replacement, in chunks of rows."""
    rows = max(1, _COUNT_CELLS // max(n_items, n))
    out = []
    for start in range(0, draws, rows):
        b = min(rows, draws - start)
        picks = rng.integers(0, n_items, size=(b, n))
        picks += (np.arange(b) * n_items)[:, None]
        counts = np.bincount(picks.ravel(), minlength=b * n_items).reshape(b, n_items)
        out.append(np.asarray(resampled(counts.astype(np.float64)), dtype=np.float64))
    return np.concatenate(out)
