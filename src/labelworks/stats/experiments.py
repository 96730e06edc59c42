"""A/B experiments on the annotation operation: the random split of annotators (or items)
between two arms, and the analysis of the answers each arm gave.

**The split.** The units present when an experiment starts are split by one seeded
permutation, halved: arm sizes differ by at most one (the seed decides which arm gets the
odd unit). A unit that turns up later (an annotator who joins, an item imported) cannot be
put into that permutation without redrawing it, which would move units whose answers were
already given under their arm. So a later unit's arm is a fair coin read from a hash of
the seed and the unit's id (:func:`late_arm`): the same in every process and after every
restart, known without a write or a lock, and independent of every other unit, so the
split of the units already there never changes. Late units are balanced in expectation
only.

**The analysis.** Answers cluster: one annotator's answers share their skill and habits,
one item's answers share its difficulty. Treating 2,000 answers by 20 annotators as 2,000
independent trials makes intervals far too narrow and tests reject far too often (the
tests show a naive two-proportion test rejecting a true null about half the time on such
data). Everything here works at the level of the randomised unit (the cluster):

- each arm's figure (gold accuracy, agreement with the final label: the pooled share of
  its answers; time per item: the median and the mean of log seconds) with an interval
  from a **cluster bootstrap**: the arm's units are resampled with replacement, each
  bringing all its answers (percentile interval);
- the difference between arms (second minus first) with the same bootstrap's interval and
  a two-sided **randomisation test** that re-deals the arm labels among the units, as the
  split did: under "the arms make no difference" every such deal was as likely, whatever
  the dependence between answers, so its false-positive rate holds;
- the **power** the experiment had to detect a stated difference, from the design effect
  ``1 + (m − 1)·ICC`` (Kish; ``m`` the size-weighted mean cluster size ``Σm²/Σm``, which
  Eldridge, Ashby & Kerry (2006) give for unequal clusters; ICC the one-way ANOVA estimate
  within arms): the answers are worth ``n / design effect`` independent ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from labelworks.stats.clustered import (
    FLOOR_SECONDS,
    Power,
    UnitSums,
    affordable,
    percentile_bounds,
    proportion_power,
    redeal_p,
    resample,
    time_power,
    unit_sums,
    unit_table,
)
from labelworks.stats.ratings import FloatArray, IntArray

__all__ = [
    "METRICS",
    "Analysis",
    "Answers",
    "ArmFigures",
    "Difference",
    "Estimate",
    "ExperimentDataError",
    "Power",
    "analyze",
    "late_arm",
    "split",
]

PROPORTIONS = ("gold_accuracy", "agreement")
METRICS = (*PROPORTIONS, "log_seconds", "median_seconds")


class ExperimentDataError(ValueError):
    """The answers handed to the analysis do not describe a two-arm experiment."""


def split(units: Sequence[int], seed: int) -> dict[int, int]:
    """Arm (0 or 1) of each unit: a seeded permutation of the units (taken in id order)
    halved; the arms' sizes differ by at most one.

    >>> split([11, 12, 13, 14], seed=7) == split([14, 13, 12, 11], seed=7)
    True
    >>> sorted(split(range(9), seed=1).values()).count(0) in (4, 5)
    True
    """
    ids = sorted(set(int(u) for u in units))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(ids))
    first = len(ids) // 2 + (int(rng.integers(2)) if len(ids) % 2 else 0)
    return {ids[int(k)]: (0 if position < first else 1) for position, k in enumerate(order)}


def late_arm(seed: int, unit: int) -> int:
    """The arm of a unit that was not there when the split was drawn: a fair coin from a
    hash of the seed and the unit's id, the same in every process.

    >>> late_arm(5, 1234) == late_arm(5, 1234)
    True
    """
    digest = hashlib.blake2b(f"{seed}:{unit}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 1


@dataclass(frozen=True, slots=True)
class Answers:
    """Answers given during an experiment, one entry per answer: ``unit`` is its
    randomised unit (the annotator, or the item), ``arm`` 0 or 1 (the unit's arm);
    ``gold`` 1.0/0.0 right or wrong on a gold question (NaN: not a gold answer), ``agree``
    1.0/0.0 whether it matched the item's final label (NaN: no final label), ``seconds``
    the time spent (NaN: unknown)."""

    unit: IntArray
    arm: IntArray
    gold: FloatArray
    agree: FloatArray
    seconds: FloatArray

    @classmethod
    def of(
        cls,
        unit: Sequence[int],
        arm: Sequence[int],
        gold: Sequence[float | None] | None = None,
        agree: Sequence[float | None] | None = None,
        seconds: Sequence[float | None] | None = None,
    ) -> Answers:
        n = len(unit)

        def floats(values: Sequence[float | None] | None) -> FloatArray:
            if values is None:
                return np.full(n, np.nan)
            return np.array([np.nan if v is None else float(v) for v in values], dtype=float)

        return cls(
            np.asarray(unit, dtype=np.int64).reshape(-1),
            np.asarray(arm, dtype=np.int64).reshape(-1),
            floats(gold),
            floats(agree),
            floats(seconds),
        )

    def check(self) -> None:
        n = self.unit.size
        if any(a.size != n for a in (self.arm, self.gold, self.agree, self.seconds)):
            raise ExperimentDataError("every answer needs its unit, arm, gold, agree and seconds")
        if n and not np.isin(self.arm, (0, 1)).all():
            raise ExperimentDataError("arms are numbered 0 and 1")
        for name, values in (("gold", self.gold), ("agree", self.agree)):
            seen = values[np.isfinite(values)]
            if not np.isin(seen, (0.0, 1.0)).all():
                raise ExperimentDataError(f"{name} holds 1 (right), 0 (wrong) or NaN")
        if n:
            units, first = np.unique(self.unit, return_inverse=True)
            arm_of = np.zeros(units.size, dtype=np.int64)
            arm_of[first] = self.arm
            if not (arm_of[first] == self.arm).all():
                raise ExperimentDataError("each unit belongs to one arm")


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure with its interval (``None`` where there is no data, or too little to
    resample: fewer than two units); ``answers`` and ``units`` it rests on."""

    value: float | None
    low: float | None
    high: float | None
    answers: int
    units: int


@dataclass(frozen=True, slots=True)
class ArmFigures:
    """One arm: its units with answers, its answers, and its figures."""

    units: int
    answers: int
    gold_accuracy: Estimate
    agreement: Estimate
    log_seconds: Estimate
    median_seconds: Estimate

    def figure(self, metric: str) -> Estimate:
        found: Estimate = getattr(self, metric)
        return found


@dataclass(frozen=True, slots=True)
class Difference:
    """Second arm minus first, its bootstrap interval and the randomisation test's
    two-sided p-value (``None`` for the median, whose test is the log-seconds one)."""

    value: float | None
    low: float | None
    high: float | None
    p_value: float | None


@dataclass(frozen=True, slots=True)
class Analysis:
    arms: tuple[ArmFigures, ArmFigures]
    differences: dict[str, Difference]
    power: dict[str, Power | None]
    confidence: float
    n_boot: int
    n_perm: int
    seed: int
    min_effect: float
    min_time_change: float
    notes: list[str] = field(default_factory=list)


def analyze(
    answers: Answers,
    *,
    min_effect: float = 0.05,
    min_time_change: float = 0.10,
    n_boot: int = 2000,
    n_perm: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Analysis:
    """Compare the two arms of an experiment (see the module docstring): per arm gold
    accuracy, agreement with the final label, mean log seconds and median seconds with
    cluster-bootstrap intervals; each difference (second arm minus first) with its
    interval and randomisation p-value; the power to detect ``min_effect`` (a difference
    of shares, 0.05 = 5 points) and a ``min_time_change`` (0.10 = 10% less time per item).
    Seeded: the same answers and seed give the same result.
    """
    answers.check()
    if not 0 < min_effect < 1:
        raise ExperimentDataError(f"min_effect must lie strictly between 0 and 1, got {min_effect}")
    if not 0 < min_time_change < 1:
        raise ExperimentDataError(
            f"min_time_change must lie strictly between 0 and 1, got {min_time_change}"
        )
    if not 0 < confidence < 1:
        raise ExperimentDataError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    if n_boot < 2 or n_perm < 1:
        raise ExperimentDataError("n_boot must be at least 2 and n_perm at least 1")
    rng = np.random.default_rng(seed)
    logs = np.log(np.maximum(answers.seconds, FLOOR_SECONDS))
    columns = {"gold_accuracy": answers.gold, "agreement": answers.agree, "log_seconds": logs}
    table = unit_table(answers.unit, answers.arm, list(columns.values()), answers.seconds)
    boot = affordable(n_boot, table.units.size)
    perm = affordable(n_perm, table.units.size)
    reps = resample(table, boot, rng)
    metrics = [unit_sums(answers.unit, answers.arm, values) for values in columns.values()]
    observed = np.array([_gap(m) for m in metrics])
    p_values = redeal_p(table, observed, perm, rng)
    figures: dict[str, list[Estimate]] = {}
    differences: dict[str, Difference] = {}
    power: dict[str, Power | None] = {}
    for k, (name, m) in enumerate(zip(columns, metrics, strict=True)):
        figures[name] = [_estimate(m, a, reps.ratios[:, k, a], confidence) for a in (0, 1)]
        differences[name] = _difference(m, reps.ratios[:, k, :], confidence, p_values[k])
        per_arm = (float(m.counts[m.arm == 0].sum()), float(m.counts[m.arm == 1].sum()))
        if name == "log_seconds":
            power[name] = time_power(m, min_time_change, confidence, per_arm)
        else:
            power[name] = proportion_power(m, min_effect, confidence, per_arm)
    figures["median_seconds"], differences["median_seconds"] = _medians(
        answers, reps.medians, confidence
    )
    arms = []
    for a in (0, 1):
        mine = answers.arm == a
        arms.append(
            ArmFigures(
                units=int(np.unique(answers.unit[mine]).size),
                answers=int(mine.sum()),
                **{name: figures[name][a] for name in METRICS},
            )
        )
    return Analysis(
        (arms[0], arms[1]),
        differences,
        power,
        confidence,
        boot,
        perm,
        seed,
        min_effect,
        min_time_change,
        _notes(arms[0], arms[1]),
    )


def _units(m: UnitSums, arm: int) -> int:
    return int((m.arm == arm).sum())


def _gap(m: UnitSums) -> float:
    first, second = m.rate(0), m.rate(1)
    return float("nan") if first is None or second is None else second - first


def _estimate(m: UnitSums, arm: int, reps: FloatArray, confidence: float) -> Estimate:
    units = _units(m, arm)
    low, high = percentile_bounds(reps, confidence) if units >= 2 else (None, None)
    answers = int(m.counts[m.arm == arm].sum())
    return Estimate(m.rate(arm), low, high, answers, units)


def _difference(
    m: UnitSums, reps: FloatArray, confidence: float, p_value: float | None
) -> Difference:
    value = _gap(m)
    if not np.isfinite(value):
        return Difference(None, None, None, None)
    enough = min(_units(m, 0), _units(m, 1)) >= 2
    low, high = percentile_bounds(reps[:, 1] - reps[:, 0], confidence) if enough else (None, None)
    return Difference(value, low, high, p_value)


def _medians(
    answers: Answers, reps: FloatArray, confidence: float
) -> tuple[list[Estimate], Difference]:
    """Each arm's median seconds (exact) with the cluster bootstrap's interval (read on the
    grid), and the difference of medians; no test of its own (the log-seconds one is it)."""
    m = unit_sums(answers.unit, answers.arm, answers.seconds)
    medians = []
    for a in (0, 1):
        mine = np.isfinite(answers.seconds) & (answers.arm == a)
        seconds = np.maximum(answers.seconds[mine], FLOOR_SECONDS)
        value = float(np.median(seconds)) if seconds.size else None
        low, high = percentile_bounds(reps[:, a], confidence) if _units(m, a) >= 2 else (None, None)
        medians.append(Estimate(value, low, high, int(seconds.size), _units(m, a)))
    first, second = medians[0].value, medians[1].value
    if first is None or second is None:
        return medians, Difference(None, None, None, None)
    enough = min(_units(m, 0), _units(m, 1)) >= 2
    low, high = percentile_bounds(reps[:, 1] - reps[:, 0], confidence) if enough else (None, None)
    return medians, Difference(second - first, low, high, None)


def _notes(first: ArmFigures, second: ArmFigures) -> list[str]:
    notes = []
    for arm, figures in (("first", first), ("second", second)):
        if figures.units < 2:
            notes.append(
                f"the {arm} arm has {figures.units} unit(s) with answers: intervals need "
                "at least two to resample"
            )
    return notes
