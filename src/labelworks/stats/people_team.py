"""A team's figures in one call: every person's throughput, time per item, shares with
intervals, percentiles within the team and warning signs (``stats.people`` and
``stats.people_signs``), and the team's pooled figures, from the arrays of ``TeamInput``.

People are indices ``0 … n_people-1`` throughout; per-person arrays are in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from labelworks.stats.people import (
    FEW_ANSWERS,
    Percentile,
    Proportion,
    Rate,
    group_medians,
    histogram,
    hourly_rates,
    percentiles,
    proportions,
)
from labelworks.stats.people_signs import (
    Sign,
    guideline_drop,
    idle_leases,
    straight_lining,
    too_fast,
)
from labelworks.stats.ratings import FloatArray, IntArray

__all__ = ["PersonFigures", "TeamFigures", "TeamInput", "team_figures"]


def _zeros(n: int) -> IntArray:
    return np.zeros(n, dtype=np.int64)


@dataclass(frozen=True)
class TeamInput:
    """What the figures are made from.

    Per annotation: ``annotator`` (person index), ``seconds`` (NaN: not measured),
    ``kind`` (index into ``kinds``, the kind of task). Per person: gold answers right and
    scored before and after their first annotation on guideline ``version`` (the newest),
    reviews accepted of those decided, answers that matched the final label of those
    compared, retests answered the same of those retested, how long the task they hold
    has been held (NaN: none), leases lapsed and taken. ``label_counts`` is people ×
    ``labels`` (the first categorical field; empty without one). ``typical_lease_seconds``:
    the team's typical time from lease to submit. ``floor_seconds``: a floor for the time
    per item set by the project (``None``: derived from the team).
    """

    n_people: int
    annotator: IntArray
    seconds: FloatArray
    kind: IntArray
    kinds: list[str]
    gold_before_correct: IntArray
    gold_before_total: IntArray
    gold_after_correct: IntArray
    gold_after_total: IntArray
    review_accepted: IntArray
    review_decided: IntArray
    final_agreed: IntArray
    final_compared: IntArray
    retest_same: IntArray
    retest_total: IntArray
    label_counts: IntArray
    labels: list[str]
    held_seconds: FloatArray
    lapsed: IntArray
    leases: IntArray
    typical_lease_seconds: float | None = None
    version: int | None = None
    floor_seconds: float | None = None

    @classmethod
    def empty(cls, n_people: int, kinds: list[str], labels: list[str]) -> TeamInput:
        """Nothing yet for ``n_people`` people (fill in what is known with ``replace``)."""
        z = _zeros(n_people)
        return cls(
            n_people=n_people,
            annotator=_zeros(0),
            seconds=np.zeros(0),
            kind=_zeros(0),
            kinds=kinds,
            gold_before_correct=z,
            gold_before_total=z,
            gold_after_correct=z,
            gold_after_total=z,
            review_accepted=z,
            review_decided=z,
            final_agreed=z,
            final_compared=z,
            retest_same=z,
            retest_total=z,
            label_counts=np.zeros((n_people, len(labels)), dtype=np.int64),
            labels=labels,
            held_seconds=np.full(n_people, np.nan),
            lapsed=z,
            leases=z,
        )


@dataclass(frozen=True)
class PersonFigures:
    """One person's figures (see ``stats.people`` for how each is made). ``percentiles``
    maps ``throughput``, ``gold``, ``review`` and ``agreement`` to where they stand."""

    annotations: int
    timed: int
    throughput: Rate
    median_seconds: float | None
    median_by_kind: dict[str, float | None]
    gold: Proportion
    gold_before: Proportion
    gold_after: Proportion
    review: Proportion
    agreement: Proportion
    retest: Proportion
    percentiles: dict[str, Percentile]
    signs: list[Sign] = field(default_factory=list)


@dataclass(frozen=True)
class TeamFigures:
    """The people's figures in input order and the team's, pooled: annotations, active
    hours, throughput, median seconds per item (every timed annotation), gold accuracy,
    review acceptance, agreement with the final label and retest consistency; the
    histogram of time per task (bin edges in seconds and counts)."""

    people: list[PersonFigures]
    annotations: int
    throughput: Rate
    median_seconds: float | None
    gold: Proportion
    review: Proportion
    agreement: Proportion
    retest: Proportion
    edges: list[float]
    counts: list[int]


def _pooled(k: IntArray, n: IntArray) -> Proportion:
    return proportions([int(np.sum(k))], [int(np.sum(n))])[0]


def _median(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def team_figures(data: TeamInput) -> TeamFigures:
    """Every person's figures and the team's (see ``TeamInput``)."""
    n = data.n_people
    annotator = np.asarray(data.annotator, dtype=np.int64)
    seconds = np.asarray(data.seconds, dtype=np.float64)
    timed = np.isfinite(seconds)
    counts = np.bincount(annotator, minlength=n)
    timed_counts = np.bincount(annotator[timed], minlength=n)
    active = np.bincount(annotator[timed], weights=seconds[timed], minlength=n)
    # Throughput counts the timed annotations over their own time, so untimed ones (an
    # import of old work) neither inflate it nor count as free.
    rates = hourly_rates(timed_counts, active)
    medians = group_medians(annotator, seconds, n)
    n_kinds = max(len(data.kinds), 1)
    by_kind = (
        medians.reshape(n, 1)
        if n_kinds == 1
        else group_medians(annotator * n_kinds + data.kind, seconds, n * n_kinds).reshape(
            n, n_kinds
        )
    )
    gold_k = data.gold_before_correct + data.gold_after_correct
    gold_n = data.gold_before_total + data.gold_after_total
    gold = proportions(gold_k, gold_n)
    review = proportions(data.review_accepted, data.review_decided)
    agreement = proportions(data.final_agreed, data.final_compared)
    standing = {
        "throughput": percentiles(
            [np.nan if r.value is None else r.value for r in rates],
            [np.nan if r.low is None else r.low for r in rates],
            [np.nan if r.high is None else r.high for r in rates],
            timed_counts < FEW_ANSWERS,
        ),
        **{
            name: percentiles(*_columns(shares))
            for name, shares in (("gold", gold), ("review", review), ("agreement", agreement))
        },
    }
    signs = [
        too_fast(medians, timed_counts, floor_seconds=data.floor_seconds),
        straight_lining(data.label_counts, data.labels) if data.labels else [None] * n,
        guideline_drop(
            data.gold_before_correct,
            data.gold_before_total,
            data.gold_after_correct,
            data.gold_after_total,
            data.version,
        ),
        idle_leases(data.held_seconds, data.lapsed, data.leases, data.typical_lease_seconds),
    ]
    before = proportions(data.gold_before_correct, data.gold_before_total)
    after = proportions(data.gold_after_correct, data.gold_after_total)
    retest = proportions(data.retest_same, data.retest_total)
    people = [
        PersonFigures(
            annotations=int(counts[k]),
            timed=int(timed_counts[k]),
            throughput=rates[k],
            median_seconds=_median(medians[k]),
            median_by_kind={
                kind: _median(by_kind[k, j])
                for j, kind in enumerate(data.kinds)
                if not np.isnan(by_kind[k, j])
            },
            gold=gold[k],
            gold_before=before[k],
            gold_after=after[k],
            review=review[k],
            agreement=agreement[k],
            retest=retest[k],
            percentiles={name: found[k] for name, found in standing.items()},
            signs=[sign for found in signs if (sign := found[k]) is not None],
        )
        for k in range(n)
    ]
    edges, hist = histogram(seconds)
    return TeamFigures(
        people=people,
        annotations=int(annotator.size),
        throughput=hourly_rates([int(timed.sum())], [float(seconds[timed].sum())])[0],
        median_seconds=_median(float(np.median(seconds[timed])) if timed.any() else np.nan),
        gold=_pooled(gold_k, gold_n),
        review=_pooled(data.review_accepted, data.review_decided),
        agreement=_pooled(data.final_agreed, data.final_compared),
        retest=_pooled(data.retest_same, data.retest_total),
        edges=edges,
        counts=hist,
    )


def _columns(shares: list[Proportion]) -> tuple[list[float], list[float], list[float], list[bool]]:
    def f(x: float | None) -> float:
        return np.nan if x is None else x

    return (
        [f(s.value) for s in shares],
        [f(s.low) for s in shares],
        [f(s.high) for s in shares],
        [s.few for s in shares],
    )
