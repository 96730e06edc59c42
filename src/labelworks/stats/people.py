"""Per-annotator figures from plain arrays: throughput, time per item, shares with their
Wilson intervals, and where each person stands in their team.

Nothing here knows about databases or people's names: callers hand in one row per
annotation (whose it is, how many active seconds it took, which kind of task it was) and
per-person counts (gold answers right, reviews accepted, answers that matched the final
label, retests answered the same), and get arrays back in the same person order.

- **Throughput** is annotations per active hour: the annotations over the sum of their
  ``seconds`` (the time the labeling page measured with the task open), with the exact
  Poisson (Garwood 1936) 95% interval of the count, scaled by the hours.
- **Time per item** is the median of the ``seconds`` of a person's annotations, overall
  and per kind of task; annotations without a measured time are left out of both.
- **Shares** (gold accuracy, review acceptance, agreement with the final label,
  test–retest consistency) carry the Wilson (1927) score interval
  (``aggregation.gold.wilson_interval``) and are marked **few answers** when they rest on
  fewer than ``FEW_ANSWERS`` answers or the interval is wider than ``WIDE``.
- **Percentiles** are never a bare rank: a person's percentile is the share of the rest of
  the team below them (ties count half), and its interval is where the ends of their own
  interval would stand among the same people, so someone with 8 of 10 gold answers right
  reads "58th percentile (12th–91st)", not "3rd of 12".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2

from labelworks.stats.aggregation.dawid_skene import DawidSkene
from labelworks.stats.aggregation.gold import wilson_interval
from labelworks.stats.ratings import FloatArray, IntArray, Ratings

FEW_ANSWERS = 20
WIDE = 0.3
CONFIDENCE = 0.95

BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "CONFIDENCE",
    "FEW_ANSWERS",
    "WIDE",
    "Percentile",
    "Proportion",
    "Rate",
    "confusion_matrices",
    "group_medians",
    "histogram",
    "hourly_rates",
    "percentiles",
    "proportions",
]


@dataclass(frozen=True, slots=True)
class Proportion:
    """``successes`` of ``trials`` with the Wilson interval; ``value``, ``low`` and
    ``high`` are ``None`` without trials. ``few``: too few answers to lean on."""

    successes: int
    trials: int
    value: float | None
    low: float | None
    high: float | None
    few: bool

    def to_dict(self) -> dict[str, float | int | bool | None]:
        return {
            "successes": self.successes,
            "trials": self.trials,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "few": self.few,
        }


@dataclass(frozen=True, slots=True)
class Rate:
    """``annotations`` over ``hours`` of active time, per hour, with the exact Poisson
    interval; ``None`` when no time was measured."""

    annotations: int
    hours: float
    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "annotations": self.annotations,
            "hours": self.hours,
            "value": self.value,
            "low": self.low,
            "high": self.high,
        }


@dataclass(frozen=True, slots=True)
class Percentile:
    """Where a value stands among the other ``among`` people of the team (0–100), and
    where the ends of its interval would stand; ``None`` when there is nobody to compare
    with or no value. ``few`` repeats the value's own warning."""

    value: float | None
    low: float | None
    high: float | None
    among: int
    few: bool

    def to_dict(self) -> dict[str, float | int | bool | None]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "among": self.among,
            "few": self.few,
        }


def _optional(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def proportions(
    successes: IntArray | npt.ArrayLike,
    trials: IntArray | npt.ArrayLike,
    confidence: float = CONFIDENCE,
) -> list[Proportion]:
    """One ``Proportion`` per entry of the aligned count arrays."""
    k = np.asarray(successes, dtype=np.int64)
    n = np.asarray(trials, dtype=np.int64)
    if k.shape != n.shape:
        raise ValueError(f"successes {k.shape} and trials {n.shape} differ in shape")
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must lie between 0 and trials")
    low, high = wilson_interval(k, n, confidence)
    out = []
    for s, t, lo, hi in zip(k.tolist(), n.tolist(), low.tolist(), high.tolist(), strict=True):
        value = s / t if t else None
        few = t < FEW_ANSWERS or (t > 0 and hi - lo > WIDE)
        out.append(Proportion(s, t, value, _optional(lo), _optional(hi), bool(few)))
    return out


def hourly_rates(
    counts: IntArray | npt.ArrayLike,
    seconds: FloatArray | npt.ArrayLike,
    confidence: float = CONFIDENCE,
) -> list[Rate]:
    """Annotations per active hour for each person: ``counts`` annotations that took
    ``seconds`` in all, with the exact (Garwood) interval of a Poisson count."""
    n = np.asarray(counts, dtype=np.int64)
    hours = np.asarray(seconds, dtype=np.float64) / 3600.0
    tail = (1 - confidence) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(n > 0, chi2.ppf(tail, 2 * n) / 2, 0.0) / hours
        high = chi2.ppf(1 - tail, 2 * n + 2) / 2 / hours
        value = n / hours
    out = []
    for k in range(n.size):
        if not hours[k] > 0:
            out.append(Rate(int(n[k]), float(hours[k]), None, None, None))
            continue
        out.append(Rate(int(n[k]), float(hours[k]), float(value[k]), float(low[k]), float(high[k])))
    return out


def group_medians(group: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """The median of ``values`` within each group ``0 … n_groups-1`` (NaN values left
    out; NaN for a group with none), vectorised: one sort for every group at once."""
    group = np.asarray(group, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(values)
    g, v = group[keep], values[keep]
    # By value, then stably by group: two plain sorts, several times faster than lexsort
    # at a million rows.
    order = np.argsort(v, kind="stable")
    order = order[np.argsort(g[order], kind="stable")]
    g, v = g[order], v[order]
    sizes = np.bincount(g, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    out = np.full(n_groups, np.nan)
    has = sizes > 0
    lower = starts[has] + (sizes[has] - 1) // 2
    upper = starts[has] + sizes[has] // 2
    out[has] = (v[lower] + v[upper]) / 2
    return out


def percentiles(
    values: FloatArray | npt.ArrayLike,
    low: FloatArray | npt.ArrayLike | None = None,
    high: FloatArray | npt.ArrayLike | None = None,
    few: BoolArray | npt.ArrayLike | None = None,
) -> list[Percentile]:
    """Each person's percentile among the others with a value (share below, ties half),
    with the percentiles of their interval's ends (the value itself when no interval is
    given). NaN values get no percentile and are no one's comparison."""
    x = np.asarray(values, dtype=np.float64)
    lo = x if low is None else np.asarray(low, dtype=np.float64)
    hi = x if high is None else np.asarray(high, dtype=np.float64)
    warned = np.zeros(x.size, dtype=bool) if few is None else np.asarray(few, dtype=bool)
    defined = np.isfinite(x)
    pool = np.sort(x[defined])

    def standing(point: float, own: float) -> float:
        # Share of the others strictly below, plus half of those tied; the person's own
        # value is taken out of the pool once.
        below = np.searchsorted(pool, point, side="left")
        tied = np.searchsorted(pool, point, side="right") - below
        if point > own:
            below -= 1
        elif point == own:
            tied -= 1
        return float(100.0 * (below + tied / 2) / (pool.size - 1))

    out = []
    for k in range(x.size):
        among = int(pool.size - 1) if defined[k] else int(pool.size)
        if not defined[k] or among == 0:
            out.append(Percentile(None, None, None, max(among, 0), bool(warned[k])))
            continue
        a = lo[k] if np.isfinite(lo[k]) else x[k]
        b = hi[k] if np.isfinite(hi[k]) else x[k]
        out.append(
            Percentile(
                standing(x[k], x[k]), standing(a, x[k]), standing(b, x[k]), among, bool(warned[k])
            )
        )
    return out


def histogram(seconds: FloatArray, bins: int = 20) -> tuple[list[float], list[int]]:
    """Time per task in ``bins`` equal bins from 0 to the 99th percentile (the slowest
    1% share the last bin, so one forgotten tab does not flatten the rest); returns the
    bin edges (``bins + 1``) and the counts. Empty input gives no bins."""
    x = np.asarray(seconds, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return [], []
    top = float(np.percentile(x, 99))
    if top <= 0:
        top = float(x.max()) or 1.0
    edges = np.linspace(0.0, top, bins + 1)
    counts, _ = np.histogram(np.clip(x, 0.0, top), bins=edges)
    return [float(e) for e in edges], [int(c) for c in counts]


def confusion_matrices(
    item: IntArray, annotator: IntArray, label: IntArray, n_people: int, n_labels: int
) -> FloatArray:
    """Each person's Dawid–Skene confusion matrix (people × true × given, rows summing to
    1) fitted on the aligned ``(item, annotator, label)`` codes; NaN for people with no
    ratings, and all NaN when there is nothing to fit (fewer than two items or two
    people). Row ``t`` of a person's matrix: when the item truly is label ``t``, how often
    they give each label."""
    out = np.full((n_people, n_labels, n_labels), np.nan)
    item = np.asarray(item, dtype=np.int64)
    annotator = np.asarray(annotator, dtype=np.int64)
    if item.size == 0 or np.unique(item).size < 2 or np.unique(annotator).size < 2:
        return out
    ratings = Ratings.from_columns(
        item,
        annotator,
        np.asarray(label, dtype=np.int64),
        categories=list(range(n_labels)),
        repeats=True,
    )
    fitted = DawidSkene().fit(ratings)
    people = np.asarray(ratings.annotators, dtype=np.int64)
    out[people] = np.asarray(fitted.confusions_)
    return out
