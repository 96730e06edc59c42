"""Confidence intervals from a bootstrap distribution: percentile and BCa.

Pure interval arithmetic: given the estimate, the bootstrap replicates and (for BCa) the
leave-one-out jackknife values, return the interval. Resampling lives in
:mod:`labelworks.stats.bootstrap`.

The BCa (bias-corrected and accelerated) interval is Efron (1987), "Better bootstrap
confidence intervals", JASA 82(397), and Efron & Tibshirani (1993), *An Introduction to the
Bootstrap*, ch. 14 (eq. 14.10, 14.14, 14.15). It reads the bootstrap distribution at the
adjusted levels

    α₁ = Φ(z₀ + (z₀ + z_α) / (1 − a (z₀ + z_α))),  α₂ = the same with z_{1−α},

where the bias correction ``z₀ = Φ⁻¹(share of replicates below the estimate)`` (ties,
to rounding, count half, as in ``scipy.stats.bootstrap``) and the acceleration
``a = Σ d³ / (6 (Σ d²)^{3/2})`` with ``d_i`` the jackknife mean minus the value without
item ``i``. With ``z₀ = a = 0`` it is the percentile interval. Its endpoints are
second-order accurate (one-sided coverage error O(1/n) against O(1/√n) for the percentile
interval) and, like the percentile interval, it respects monotone transformations: BCa on
Fisher's z of kappa reads the same replicates at nearly the same levels (only the jackknife
acceleration moves a little), so such a transform buys nothing here.

When BCa is not defined the percentile interval is returned instead, with the reason:

- the estimate is undefined (NaN): there is nothing to correct the bias against;
- some replicates are undefined: the replicates that remain are a conditional distribution,
  and the share below the estimate, hence z₀, would be biased towards the defined side;
- every replicate is equal: the bootstrap distribution has no spread to adjust;
- every replicate lies on one side of the estimate: z₀ is infinite;
- a jackknife value is undefined, or all are equal (jackknife variance 0): no acceleration;
- ``a (z₀ + z) ≥ 1`` for one of the two levels: the adjustment stops being monotone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import ndtr, ndtri

from labelworks.stats.ratings import FloatArray

Method = Literal["bca", "percentile"]

# Leave-one-out values whose spread is below this share of their size are rounding noise:
# their "skewness" would be meaningless, so the jackknife variance counts as 0.
_JACKKNIFE_TOLERANCE = 1e-12
_TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Interval:
    """``[low, high]`` and how it was made: ``method`` is ``"bca"`` or ``"percentile"``;
    ``reason`` says why BCa fell back to the percentile interval (``None`` otherwise)."""

    low: float
    high: float
    method: Method
    reason: str | None = None


def percentile_interval(replicates: FloatArray, confidence: float) -> Interval:
    """The equal-tailed percentile interval of the defined replicates (Efron & Tibshirani
    1993, ch. 13); NaN bounds when no replicate is defined."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return Interval(float("nan"), float("nan"), "percentile")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(float(low), float(high), "percentile")


def bca_levels(
    estimate: float, replicates: FloatArray, jackknife: FloatArray, confidence: float
) -> tuple[float, float] | str:
    """The BCa levels ``(α₁, α₂)`` at which to read the replicates, or the reason BCa is
    not defined here (see the module docstring)."""
    if not np.isfinite(estimate):
        return "the coefficient is undefined on the sample"
    undefined = int(np.count_nonzero(~np.isfinite(replicates)))
    if undefined:
        return f"the coefficient is undefined on {undefined} of {replicates.size} resamples"
    if np.ptp(replicates) == 0:
        return "every resample gives the same value"
    # replicates equal to the estimate in exact arithmetic may differ from it in the last
    # bits (the vectorised sums run in another order): within the tolerance they are ties
    tie = _TIE_TOLERANCE * max(1.0, abs(estimate))
    below = np.count_nonzero(replicates < estimate - tie)
    ties = np.count_nonzero(np.abs(replicates - estimate) <= tie)
    share = (below + ties / 2) / replicates.size
    if share in (0.0, 1.0):
        return "every resample lies on one side of the estimate (infinite bias correction)"
    if not np.all(np.isfinite(jackknife)) or jackknife.size < 2:
        return "the coefficient is undefined without some item (jackknife)"
    d = jackknife.mean() - jackknife
    if np.max(np.abs(d)) <= _JACKKNIFE_TOLERANCE * max(1.0, abs(float(jackknife.mean()))):
        return "the jackknife variance is 0 (no acceleration)"
    accel = float(np.sum(d**3) / (6 * np.sum(d**2) ** 1.5))
    z0 = float(ndtri(share))
    tail = (1 - confidence) / 2
    levels = []
    for z in (float(ndtri(tail)), float(ndtri(1 - tail))):
        w = z0 + z
        if accel * w >= 1:
            return f"the acceleration {accel:.3g} is too large for the adjustment"
        levels.append(float(ndtr(z0 + w / (1 - accel * w))))
    return levels[0], levels[1]


def bca_interval(
    estimate: float, replicates: FloatArray, jackknife: FloatArray, confidence: float
) -> Interval:
    """The BCa interval, or the percentile interval with the reason BCa is not defined.

    >>> rng = np.random.default_rng(0)
    >>> reps = rng.normal(size=4000)
    >>> bca_interval(0.0, reps, np.linspace(-1, 1, 30), 0.9).method
    'bca'
    >>> bca_interval(0.0, np.zeros(10), np.linspace(-1, 1, 30), 0.9).reason
    'every resample gives the same value'
    """
    levels = bca_levels(estimate, replicates, jackknife, confidence)
    if isinstance(levels, str):
        fallback = percentile_interval(replicates, confidence)
        return Interval(fallback.low, fallback.high, "percentile", levels)
    low, high = np.quantile(replicates, levels)
    return Interval(float(low), float(high), "bca")
