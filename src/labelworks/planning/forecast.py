"""When will the remaining work be done: a Monte Carlo forecast over past daily throughput.

The past days are the only model of the future. Each simulation first resamples the whole
history (its days drawn with replacement: a plausible pace, as the history would have come
out another time), then draws future days from that resampled history until the remaining
annotations are done. The first step carries the uncertainty of the pace itself: drawing
future days straight from the observed ones treats the observed mean as the true one, and
its 80% interval held the true completion day only about 70% of the time when the past was
a month and the work a few weeks (tests/planning/test_calibration.py measures both).

The completion time counts future days from the start of tomorrow: a simulation that
crosses the remaining work during its ``k``-th day finishes at ``k - 1 + f``, where ``f``
is the share of that day's annotations it still needed. ``p10``, ``p50`` and ``p90`` are
quantiles over the simulations.

Cost stays bounded whatever the horizon: days are simulated in chunks of fixed widths (the
same draws whatever ``remaining`` is, so the quantiles can only grow with it) up to
``SIMULATED_DAYS``; a simulation still short then finishes at its own resampled pace,
``SIMULATED_DAYS + left / pace``. After that many days the noise of single days is small
beside the uncertainty of the pace, which the resampling keeps. Simulating also stops as
soon as the three quantiles are settled (``completion_days``), so a few very slow
resamples do not keep every simulation going.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from labelworks.domain.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]

SIMULATIONS = 10_000
# Days simulated one by one; past them a simulation finishes at its own pace (above).
SIMULATED_DAYS = 1_000
# Cells (simulations × days) drawn at once: about 16 MB of float64.
_CHUNK_CELLS = 2_000_000
_FIRST_CHUNK = 16
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True, slots=True)
class Forecast:
    """Future days until the remaining work is done, at the 10th, 50th and 90th
    percentiles of the simulations. ``math.inf`` where at least that share of the
    plausible paces is zero (a history with hardly any productive day)."""

    p10: float
    p50: float
    p90: float

    def quantile(self, q: float) -> float:
        """The days at ``q`` between the three kept (linear between them, clamped at the
        ends): what a deadline read at a confidence other than 0.1/0.5/0.9 uses."""
        points = ((0.1, self.p10), (0.5, self.p50), (0.9, self.p90))
        if q <= 0.1:
            return self.p10
        if q >= 0.9:
            return self.p90
        (q0, v0), (q1, v1) = (points[0], points[1]) if q <= 0.5 else (points[1], points[2])
        if math.isinf(v1):
            return v1
        return v0 + (v1 - v0) * (q - q0) / (q1 - q0)


def checked_history(daily_done: Sequence[float] | npt.ArrayLike, what: str) -> FloatArray:
    """The history as floats, refused when empty, negative, not finite or all zero."""
    h = np.asarray(daily_done, dtype=np.float64).reshape(-1)
    if h.size == 0:
        raise InvalidInput(f"{what} is empty: there is no past throughput to forecast from")
    if not np.all(np.isfinite(h)):
        raise InvalidInput(f"{what} must hold finite numbers")
    if np.any(h < 0):
        raise InvalidInput(f"{what} cannot hold negative counts")
    if not np.any(h > 0):
        raise InvalidInput(
            f"{what} has no annotations on any of its {h.size} days: "
            "there is no pace to forecast from"
        )
    return h


def checked_remaining(remaining: float) -> float:
    value = float(remaining)
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"remaining must be a finite number of annotations ≥ 0, not {remaining}")
    return value


def forecast_completion(
    daily_done: Sequence[float] | npt.ArrayLike,
    remaining: float,
    *,
    seed: int | np.random.Generator | None = None,
    simulations: int = SIMULATIONS,
) -> Forecast:
    """Future days until ``remaining`` annotations are done, from ``daily_done`` (the
    annotations completed on each past day, oldest first, days without work as 0).

    ``remaining`` 0 is done: every quantile is 0, whatever the history. Otherwise an
    empty history, or one without a single annotation, raises ``InvalidInput``: a project
    that has not started has no pace, and saying so beats a forecast of "never" (a user
    reads ``inf`` days as a bug, "no annotations yet" as the reason).

    >>> f = forecast_completion([100, 100, 100], 250, seed=1)
    >>> (f.p10, f.p50, f.p90)
    (2.5, 2.5, 2.5)
    """
    left = checked_remaining(remaining)
    if left == 0:
        return Forecast(0.0, 0.0, 0.0)
    h = checked_history(daily_done, "daily_done")
    if simulations < 1:
        raise InvalidInput("simulations must be at least 1")
    days = completion_days(h, left, np.random.default_rng(seed), simulations, QUANTILES)
    p10, p50, p90 = finite_quantiles(days, QUANTILES)
    return Forecast(p10, p50, p90)


def completion_days(
    history: FloatArray,
    remaining: float,
    rng: np.random.Generator,
    simulations: int,
    quantiles: Sequence[float] | None = None,
) -> FloatArray:
    """One completion time per simulation (``math.inf`` for a zero resampled pace).

    With ``quantiles``, simulating stops once every order statistic those quantiles read
    is known: simulations still short then lie above every finished one, so they are
    finished at their own pace without changing the quantiles (a few very slow resamples
    would otherwise keep all of them going to ``SIMULATED_DAYS``).
    """
    n = history.size
    # Small unsigned draws are several times faster than numpy's default int64 ones.
    index_type = np.uint16 if n <= 65_535 else np.int64
    resampled = history[rng.integers(0, n, size=(simulations, n), dtype=index_type)]
    row_start = (np.arange(simulations, dtype=np.int64) * n)[:, None]
    pace = resampled.mean(axis=1)
    done_before = np.zeros(simulations)
    finish = np.where(pace > 0, np.nan, np.inf)
    ranks = _ranks(quantiles, simulations)
    simulated = 0
    width = _FIRST_CHUNK
    widest = max(_FIRST_CHUNK, _CHUNK_CELLS // simulations)
    while simulated < SIMULATED_DAYS and not _settled(finish, ranks):
        width = min(width, SIMULATED_DAYS - simulated)
        drawn = rng.integers(0, n, size=(simulations, width), dtype=index_type)
        day_values = resampled.ravel().take(row_start + drawn)
        cumulative = np.cumsum(day_values, axis=1)
        cumulative += done_before[:, None]
        crossed = cumulative >= remaining
        newly = np.isnan(finish) & crossed[:, -1]
        if newly.any():
            rows = np.flatnonzero(newly)
            k = np.argmax(crossed[rows], axis=1)
            before = np.where(k > 0, cumulative[rows, k - 1], done_before[rows])
            fraction = (remaining - before) / day_values[rows, k]
            finish[rows] = simulated + k + fraction
        done_before = cumulative[:, -1]
        simulated += width
        width = min(width * 2, widest)
    short = np.isnan(finish)
    if short.any():
        finish[short] = simulated + (remaining - done_before[short]) / pace[short]
    return finish


def _ranks(quantiles: Sequence[float] | None, simulations: int) -> list[int] | None:
    """The order statistics linear quantiles read (``None``: all of them)."""
    if quantiles is None:
        return None
    out = set()
    for q in quantiles:
        position = q * (simulations - 1)
        out |= {math.floor(position), math.ceil(position)}
    return sorted(out)


def _settled(finish: FloatArray, ranks: list[int] | None) -> bool:
    """Whether every rank in ``ranks`` falls among the finished simulations (sorted first)
    or the never-finishing ones (sorted last); all simulations when ``ranks`` is None."""
    short = int(np.count_nonzero(np.isnan(finish)))
    if short == 0:
        return True
    if ranks is None:
        return False
    done = int(np.count_nonzero(np.isfinite(finish)))
    return all(r < done or r >= done + short for r in ranks)


def finite_quantiles(values: FloatArray, qs: Sequence[float]) -> tuple[float, ...]:
    """Linear quantiles, with ``math.inf`` wherever an infinite value takes part (numpy
    would give NaN for inf − inf)."""
    big = np.finfo(np.float64).max / 4
    clipped = np.where(np.isinf(values), big, values)
    out = np.quantile(clipped, qs)
    return tuple(math.inf if v >= big / 2 else float(v) for v in out)


# Above this many cells (simulations × person-days) the resampled paces are drawn from the
# normal law of a bootstrap mean instead (then there are over 400 person-days, plenty for
# the central limit theorem).
_PACE_CELLS = 4_000_000
MAX_HEADCOUNT = 100_000


def headcount_needed(
    daily_done_per_person: Sequence[float] | npt.ArrayLike,
    remaining: float,
    days_left: int,
    confidence: float,
    *,
    seed: int | np.random.Generator | None = None,
    simulations: int = SIMULATIONS,
) -> int | None:
    """The fewest people who finish ``remaining`` annotations within ``days_left`` future
    days with probability at least ``confidence``; ``None`` when no headcount up to
    ``MAX_HEADCOUNT`` is that sure (the history is too short to know the pace that well).

    ``daily_done_per_person`` holds person-days: what one person on the project did on one
    day, days without work included (a head is a person on the project, not at a desk).
    ``h`` people over ``days_left`` days do the sum of ``m = h · days_left`` person-days.
    As in ``forecast_completion``, each simulation first resamples the person-days (a
    plausible pace ``μ``); given it, the sum is normal with mean ``m μ`` and variance
    ``m σ²`` (σ the resample's standard deviation). The chance of finishing is averaged
    over the simulations; it grows with ``h``, so the answer is found by bisection.

    >>> headcount_needed([10, 10, 10, 10], 1000, 10, 0.8, seed=1)
    10
    """
    left = checked_remaining(remaining)
    if not 0 < confidence < 1:
        raise InvalidInput(f"confidence must lie between 0 and 1, not {confidence}")
    if int(days_left) != days_left or days_left < 1:
        raise InvalidInput(f"days_left must be a whole number of days ≥ 1, not {days_left}")
    if left == 0:
        return 0
    h = checked_history(daily_done_per_person, "daily_done_per_person")
    rng = np.random.default_rng(seed)
    paces, spreads = _paces(h, rng, simulations)
    steady = spreads == 0

    def chance(people: int) -> float:
        m = people * int(days_left)
        mean = m * paces
        # A resample of equal person-days (a zero pace among them) is certain either way.
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (mean - left) / (spreads * math.sqrt(m))
        p = np.where(steady, (mean >= left).astype(np.float64), _normal_cdf(z))
        return float(np.mean(p))

    if chance(MAX_HEADCOUNT) < confidence:
        return None
    low, high = 0, 1
    while chance(high) < confidence:
        low, high = high, min(high * 2, MAX_HEADCOUNT)
    while high - low > 1:
        mid = (low + high) // 2
        if chance(mid) >= confidence:
            high = mid
        else:
            low = mid
    return high


def _paces(
    history: FloatArray, rng: np.random.Generator, simulations: int
) -> tuple[FloatArray, FloatArray]:
    """Each simulation's resampled mean person-day and standard deviation."""
    n = history.size
    if simulations * n <= _PACE_CELLS:
        index_type = np.uint16 if n <= 65_535 else np.int64
        resampled = history[rng.integers(0, n, size=(simulations, n), dtype=index_type)]
        return resampled.mean(axis=1), resampled.std(axis=1)
    spread = float(history.std(ddof=0))
    means = rng.normal(float(history.mean()), spread / math.sqrt(n), simulations)
    return np.asarray(means, dtype=np.float64), np.full(simulations, spread)


def _normal_cdf(z: FloatArray) -> FloatArray:
    return np.asarray(ndtr(z), dtype=np.float64)
