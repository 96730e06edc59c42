"""The forecast's 80% interval holds the true completion day about 80% of the time when the
future behaves like the past: the check the issue asks for, and proof that it has teeth.

Each trial draws a past of 28 days from one population of days (two in seven idle, the
others a gamma–Poisson count around 300), asks for the work of 1 to 40 weekdays, then draws the
future from the same population and records the day the work is truly done, with the
forecast's own convention (``k − 1 + share of day k still needed``). Over 400 trials the
interval [p10, p90] must hold that day in 74–86% of them: three binomial standard errors
around 80% (√(0.8 · 0.2 / 400) = 2 points). A calibrated forecaster passes it 99.8% of the
time; one whose interval holds 70% or 90% passes with a chance of 4.4% and 0.7% (binomial
tails); the wrong ones below hold 0%, over 97% and about 70%.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from labelworks.planning import Forecast, forecast_completion

TRIALS = 400
PAST_DAYS = 28
TARGET = 0.8
BAND = 3 * (TARGET * (1 - TARGET) / TRIALS) ** 0.5


@dataclass(frozen=True)
class Trial:
    past: np.ndarray
    remaining: float
    truth: float
    ours: Forecast  # kept: the timid forecaster below stretches it


def days(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Days from the population: 2 in 7 idle, else Poisson around a gamma(4) mean of 300."""
    working = rng.random(shape) >= 2 / 7
    return np.where(working, rng.poisson(rng.gamma(4.0, 75.0, shape)), 0).astype(float)


def completion(future: np.ndarray, remaining: float) -> float:
    """The true completion day of ``remaining`` over ``future`` days."""
    total = np.cumsum(future)
    k = int(np.argmax(total >= remaining))
    assert total[k] >= remaining, "the drawn future is too short"
    before = total[k - 1] if k else 0.0
    return k + (remaining - before) / future[k]


@pytest.fixture(scope="module")
def trials() -> list[Trial]:
    rng = np.random.default_rng(20261203)
    out = []
    while len(out) < TRIALS:
        past = days(rng, (PAST_DAYS,))
        remaining = float(rng.uniform(1, 40) * 214)
        truth = completion(days(rng, (400,)), remaining)
        out.append(Trial(past, remaining, truth, ours(past, remaining, len(out))))
    return out


def coverage(trials: list[Trial], forecaster: Callable[[Trial, int], Forecast]) -> float:
    hits = 0
    for seed, t in enumerate(trials):
        f = forecaster(t, seed)
        hits += f.p10 <= t.truth <= f.p90
    return hits / len(trials)


def ours(past: np.ndarray, remaining: float, seed: int) -> Forecast:
    return forecast_completion(past, remaining, seed=seed, simulations=1000)


def kept(t: Trial, seed: int) -> Forecast:
    return t.ours


def mean_pace(t: Trial, seed: int) -> Forecast:
    """No spread at all: the remaining work at the mean pace."""
    days_ = t.remaining / t.past.mean()
    return Forecast(days_, days_, days_)


def timid(t: Trial, seed: int) -> Forecast:
    """Ours, with the interval stretched to half and twice its ends."""
    return Forecast(t.ours.p10 / 2, t.ours.p50, t.ours.p90 * 2)


def plain_bootstrap(t: Trial, seed: int) -> Forecast:
    """Future days drawn straight from the observed ones, ignoring that the pace itself is
    uncertain (the textbook bootstrap this module improves on)."""
    rng = np.random.default_rng(seed)
    past, remaining = t.past, t.remaining
    horizon = int(2.5 * remaining / past.mean()) + 20
    drawn = past[rng.integers(0, past.size, size=(1000, horizon))]
    total = np.cumsum(drawn, axis=1)
    k = np.argmax(total >= remaining, axis=1)
    rows = np.arange(1000)
    before = np.where(k > 0, total[rows, k - 1], 0.0)
    finish = k + (remaining - before) / drawn[rows, k]
    finish[total[:, -1] < remaining] = np.inf
    p10, p50, p90 = np.quantile(finish, [0.1, 0.5, 0.9])
    return Forecast(float(p10), float(p50), float(p90))


def calibrated(share: float) -> bool:
    return abs(share - TARGET) <= BAND


def test_the_80_percent_interval_holds_the_true_day_about_80_percent_of_the_time(
    trials: list[Trial],
) -> None:
    """Over 400 simulated projects the forecast's [p10, p90] holds the true day 74–86% of
    the time."""
    share = coverage(trials, kept)
    assert calibrated(share), f"[p10, p90] held the true day in {share:.1%} of trials"


def test_the_check_fails_badly_calibrated_forecasters(trials: list[Trial]) -> None:
    """The same band refuses a forecaster with no spread, one with far too much, and the
    plain bootstrap that ignores the pace's own uncertainty."""
    shares = {
        name: coverage(trials, forecaster)
        for name, forecaster in [
            ("mean_pace", mean_pace),
            ("timid", timid),
            ("plain_bootstrap", plain_bootstrap),
        ]
    }
    assert shares["mean_pace"] < 0.05
    assert shares["timid"] > 0.97
    assert shares["plain_bootstrap"] < TARGET - BAND
    assert not any(calibrated(s) for s in shares.values()), shares
