"""Kendall's τ-b between two ratings of the same models, with its p-value and an approximate
interval (used to compare an LLM judge's leaderboard with the people's,
:mod:`labelworks.stats.judge_calibration`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau, norm

from labelworks.stats.ratings import InvalidRatingsError

__all__ = ["RankCorrelation", "kendall_tau"]

# Fieller, Hartley & Pearson 1957, "Tests for rank correlation coefficients. I", Biometrika
# 44: atanh(τ) is near normal with variance 0.437 / (n − 4).
_TAU_VARIANCE = 0.437
_ROUNDING = 1e-12


@dataclass(frozen=True, slots=True)
class RankCorrelation:
    """Kendall's τ-b, its p-value (two-sided, H0: τ = 0) and an approximate interval."""

    tau: float
    p_value: float
    n: int
    low: float | None
    high: float | None


def kendall_tau(
    x: Sequence[float], y: Sequence[float], *, confidence: float = 0.95
) -> RankCorrelation:
    """Kendall's τ-b between two ratings of the same models, ``x[k]`` and ``y[k]`` rating
    model ``k`` (Kendall 1945, "The treatment of ties in ranking problems", Biometrika 33).

    The p-value is two-sided: exact without ties when n ≤ 33 or at most one pair is
    discordant (or concordant), else from the normal approximation with the tie-corrected
    variance (``scipy.stats.kendalltau``'s ``"auto"``).
    For n > 4 the interval is ``tanh(atanh(τ) ± z·√(0.437 / (n − 4)))`` (Fieller, Hartley &
    Pearson 1957, "Tests for rank correlation coefficients. I", Biometrika 44), else
    ``None``; at τ = ±1 it is the point ±1.

    Raises :class:`InvalidRatingsError` for lengths that differ, fewer than two models, a
    value that is not a finite number, or a side whose values are all equal (τ-b is then
    0/0).

    >>> r = kendall_tau([1200, 1100, 1000, 900, 800, 700], [1150, 1130, 990, 995, 820, 700])
    >>> round(r.tau, 3), round(r.p_value, 4), r.n, round(r.low, 3), round(r.high, 3)
    (0.867, 0.0167, 6, 0.383, 0.977)
    """
    if not 0 < confidence < 1:
        raise InvalidRatingsError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    sides = []
    for name, values in (("x", x), ("y", y)):
        try:
            side = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidRatingsError(f"{name} must be a sequence of numbers") from exc
        if side.ndim != 1:
            raise InvalidRatingsError(f"{name} must be one-dimensional, got shape {side.shape}")
        if not np.isfinite(side).all():
            k = int(np.argmin(np.isfinite(side)))
            raise InvalidRatingsError(f"{name}[{k}] is {side[k]}; ratings must be finite")
        sides.append(side)
    xs, ys = sides
    if xs.size != ys.size:
        raise InvalidRatingsError(f"x has {xs.size} values but y has {ys.size}")
    n = int(xs.size)
    if n < 2:
        raise InvalidRatingsError(f"Kendall's τ needs at least two models, got {n}")
    for name, side in (("x", xs), ("y", ys)):
        if np.ptp(side) == 0:
            raise InvalidRatingsError(f"every value of {name} is equal: τ-b is undefined")
    result = kendalltau(xs, ys)
    tau, p_value = float(result.statistic), float(result.pvalue)
    if abs(abs(tau) - 1) < _ROUNDING:  # SciPy's two square roots can leave 1 − 2⁻⁵²
        tau = math.copysign(1.0, tau)
    if n <= 4:
        return RankCorrelation(tau, p_value, n, None, None)
    half = float(norm.ppf(0.5 + confidence / 2)) * math.sqrt(_TAU_VARIANCE / (n - 4))
    with np.errstate(divide="ignore"):
        z = float(np.arctanh(tau))
    return RankCorrelation(tau, p_value, n, math.tanh(z - half), math.tanh(z + half))
