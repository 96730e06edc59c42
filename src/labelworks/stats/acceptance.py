"""Acceptance sampling by attributes: design a single sampling plan, judge a lot.

Work comes in lots (an import batch, a vendor's delivery). An auditor reviews a random
sample of ``n`` items of a lot of ``N`` and counts the defective ones; the lot is accepted
when at most ``c`` are defective. The plan ``(n, c)`` is chosen from two points of its
operating characteristic (OC) curve, as in the two-point designs of Schilling & Neubauer,
*Acceptance Sampling in Quality Control* (2nd ed., 2009, ch. 5) and the limiting-quality
plans of ISO 2859-2 (procedure A):

* a lot at the acceptable quality level (AQL) is accepted with probability at least
  ``1 - producer_risk`` (α, the producer's risk of a good lot being rejected), and
* a lot at the lot tolerance percent defective (LTPD, ISO's limiting quality) is accepted
  with probability at most ``consumer_risk`` (β, the consumer's risk).

Everything is exact: the number of defects in a sample from a lot of ``N`` items with
``D`` defective ones is hypergeometric (``scipy.stats.hypergeom``); with ``lot_size=None``
(a very large lot, or a process) it is binomial. A lot holds a whole number of defects,
so a rate is turned into a count conservatively, in the direction that makes each
guarantee hold for every lot it is meant for:

* ``D_AQL = floor(AQL × N)``: the worst lot still at or better than the AQL; since
  P(accept) falls as ``D`` grows, every lot at or better than the AQL is accepted with
  probability at least ``1 - α``;
* ``D_LTPD = ceil(LTPD × N)``: the best lot at or worse than the LTPD; every lot at or
  worse than the LTPD is accepted with probability at most ``β``.

A rate times ``N`` within 1e-9 (relative) of a whole number counts as that number, so that
``0.07 × 100`` is 7 defects, not 8. Probabilities within 1e-12 of a risk limit count as
meeting it (floating-point slack, far below any risk anyone sets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from labelworks.stats.lot_quality import (
    Quality,
    clopper_pearson_upper,
    hypergeometric_upper,
    lot_defects,
    nearest_defects,
    smallest_plan,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


__all__ = [
    "LotDecision",
    "SamplingPlan",
    "decide_lot",
    "defect_rate_upper_bound",
    "operating_characteristic",
    "sampling_plan",
]


@dataclass(frozen=True)
class SamplingPlan:
    """A single sampling plan: inspect ``sample_size`` items, accept the lot with at most
    ``acceptance_number`` defects among them.

    Attributes:
        lot_size: ``N`` (``None``: designed for a very large lot, binomial).
        sample_size, acceptance_number: ``n`` and ``c``.
        aql, ltpd: the two quality levels the plan was designed for (defect rates).
        aql_defects, ltpd_defects: the lot's defect counts those rates stand for
            (``floor(AQL·N)`` and ``ceil(LTPD·N)``; ``None`` for ``lot_size=None``).
        producer_risk: achieved P(reject) of a lot at the AQL (at most the limit).
        consumer_risk: achieved P(accept) of a lot at the LTPD (at most the limit).
        producer_risk_limit, consumer_risk_limit: the risks asked for (α, β).
        full_inspection: ``True`` when no sample smaller than the lot meets both risks, so
            the plan is to inspect every item and accept with at most ``floor(AQL·N)``
            defects (both risks are then 0).
    """

    lot_size: int | None
    sample_size: int
    acceptance_number: int
    aql: float
    ltpd: float
    aql_defects: int | None
    ltpd_defects: int | None
    producer_risk: float
    consumer_risk: float
    producer_risk_limit: float
    consumer_risk_limit: float
    full_inspection: bool

    @property
    def rejection_number(self) -> int:
        """The smallest defect count that rejects the lot, ``c + 1``."""
        return self.acceptance_number + 1

    @property
    def summary(self) -> str:
        """The plan in one or two sentences, for a report."""
        n, c = self.sample_size, self.acceptance_number
        if self.full_inspection:
            return (
                f"No sample smaller than the lot meets both risks: inspect all {n} items and "
                f"accept the lot with at most {_defects_word(c)}."
            )
        lot = "" if self.lot_size is None else f" of {self.lot_size:,}"
        at_aql = at_ltpd = ""
        if self.aql_defects is not None and self.ltpd_defects is not None:
            at_aql = f", {self.aql_defects:,} defective"
            at_ltpd = f", {self.ltpd_defects:,} defective"
        return (
            f"Inspect {n:,}{lot} items; accept the lot with at most {_defects_word(c)}. A lot "
            f"at the AQL ({self.aql:.2%}{at_aql}) is rejected with probability "
            f"{self.producer_risk:.2%} (limit {100 * self.producer_risk_limit:g}%); a lot at the "
            f"LTPD ({self.ltpd:.2%}{at_ltpd}) is accepted with probability "
            f"{self.consumer_risk:.2%} (limit {100 * self.consumer_risk_limit:g}%)."
        )


@dataclass(frozen=True)
class LotDecision:
    """The verdict on one lot and the evidence behind it.

    Attributes:
        accepted: ``defects <= acceptance_number``.
        defects, sample_size, acceptance_number, lot_size: what was found and the plan.
        producer_risk, consumer_risk: the plan's achieved risks.
        confidence: the level of the upper bounds.
        defects_upper_bound: exact upper confidence bound on the lot's number of defective
            items (hypergeometric; ``None`` for a plan with ``lot_size=None``).
        rate_upper_bound: the same bound as a defect rate (Clopper–Pearson when the lot
            size is ``None``).
    """

    accepted: bool
    defects: int
    sample_size: int
    acceptance_number: int
    lot_size: int | None
    producer_risk: float
    consumer_risk: float
    confidence: float
    defects_upper_bound: int | None
    rate_upper_bound: float

    @property
    def summary(self) -> str:
        """The verdict and its evidence in one sentence."""
        verdict = "accepted" if self.accepted else "rejected"
        return (
            f"Lot {verdict}: {self.defects} defective in a sample of {self.sample_size:,} "
            f"(acceptance number {self.acceptance_number}); with {self.confidence:.0%} "
            f"confidence the lot's defect rate is at most {self.rate_upper_bound:.2%}."
        )


def sampling_plan(
    lot_size: int | None,
    aql: float,
    ltpd: float,
    producer_risk: float = 0.05,
    consumer_risk: float = 0.10,
) -> SamplingPlan:
    """The smallest single sampling plan that meets both risks.

    Finds the smallest sample size ``n < lot_size`` for which some acceptance number ``c``
    gives P(accept | AQL) ≥ 1 − ``producer_risk`` and P(accept | LTPD) ≤
    ``consumer_risk``, and the smallest such ``c`` (which has the lowest consumer's risk).
    The search is exact and takes milliseconds for lots of a million: the smallest ``n``
    meeting the consumer's risk grows with ``c``, so the first ``c`` whose smallest ``n``
    also meets the producer's risk gives the smallest ``n`` overall (what R's
    ``AcceptanceSampling::find.plan`` finds by unit steps); sample sizes are found by
    bisection and whole ranges of ``c`` ruled out at once (``lot_quality.smallest_plan``).
    When no sample smaller than the lot will do, the plan is 100% inspection.

    >>> plan = sampling_plan(1000, aql=0.01, ltpd=0.05)
    >>> plan.sample_size, plan.acceptance_number
    (128, 3)
    >>> round(plan.producer_risk, 4), round(plan.consumer_risk, 4)
    (0.029, 0.0968)
    >>> small = sampling_plan(20, aql=0.05, ltpd=0.10, consumer_risk=0.05)
    >>> small.full_inspection, small.sample_size, small.acceptance_number
    (True, 20, 1)
    """
    _check_rates(aql, ltpd)
    _check_risk("producer_risk", producer_risk)
    _check_risk("consumer_risk", consumer_risk)
    if lot_size is not None:
        _check_count("lot_size", lot_size, minimum=1)
    d_aql = None if lot_size is None else lot_defects(aql, lot_size, "floor")
    d_ltpd = None if lot_size is None else lot_defects(ltpd, lot_size, "ceil")
    at_aql = Quality(lot_size, aql, d_aql)
    at_ltpd = Quality(lot_size, ltpd, d_ltpd)
    found = smallest_plan(at_aql, at_ltpd, producer_risk, consumer_risk)
    if found is None:
        assert lot_size is not None and d_aql is not None  # binomial plans always exist
        n, c, full = lot_size, d_aql, True
    else:
        (n, c), full = found, False
    p_aql = float(at_aql.accept(np.array([c]), np.array([n]))[0])
    p_ltpd = float(at_ltpd.accept(np.array([c]), np.array([n]))[0])
    return SamplingPlan(
        lot_size=lot_size,
        sample_size=n,
        acceptance_number=c,
        aql=float(aql),
        ltpd=float(ltpd),
        aql_defects=d_aql,
        ltpd_defects=d_ltpd,
        producer_risk=max(0.0, 1.0 - p_aql),
        consumer_risk=p_ltpd,
        producer_risk_limit=float(producer_risk),
        consumer_risk_limit=float(consumer_risk),
        full_inspection=full,
    )


def operating_characteristic(
    plan: SamplingPlan, lot_size: int | None, defect_rates: Any
) -> FloatArray:
    """P(accept) of ``plan`` for lots of ``lot_size`` items at each of ``defect_rates``.

    ``lot_size=None`` gives the type B curve (binomial: a very large lot or a process);
    an integer gives the type A curve (hypergeometric), with a lot at rate ``p`` holding
    ``p × N`` defects rounded to the nearest whole number (halves up). The plan's own
    risks use the conservative counts instead (see the module docstring), so the curve at
    the AQL may differ from ``1 - plan.producer_risk`` when ``AQL × N`` is not whole.

    >>> plan = sampling_plan(None, aql=0.01, ltpd=0.05)
    >>> operating_characteristic(plan, None, [0.0, 0.01, 0.05]).round(4).tolist()
    [1.0, 0.9557, 0.0992]
    """
    rates = np.asarray(defect_rates, dtype=np.float64)
    if not np.all((rates >= 0) & (rates <= 1)):
        raise ValueError("defect rates must lie in [0, 1]")
    n, c = plan.sample_size, plan.acceptance_number
    if lot_size is None:
        return np.asarray(stats.binom.cdf(c, n, rates), dtype=np.float64)
    _check_count("lot_size", lot_size, minimum=1)
    if lot_size < n:
        raise ValueError(f"a lot of {lot_size} items is smaller than the plan's sample of {n}")
    defects = nearest_defects(rates, lot_size)
    return np.asarray(stats.hypergeom.cdf(c, lot_size, defects, n), dtype=np.float64)


def decide_lot(plan: SamplingPlan, defects_found: int, confidence: float = 0.95) -> LotDecision:
    """Accept or reject a lot from the defects found in the plan's sample, with evidence.

    The lot is accepted when ``defects_found <= plan.acceptance_number``. The evidence
    includes an exact upper confidence bound on the lot's defects given the sample: the
    largest ``D`` with P(X ≤ defects | D) ≥ 1 − ``confidence`` (hypergeometric for a finite
    lot, Clopper–Pearson for ``lot_size=None``) — lots with more defects would rarely give
    so few in the sample.

    >>> plan = sampling_plan(1000, aql=0.01, ltpd=0.05)
    >>> d = decide_lot(plan, 2)
    >>> d.accepted, d.defects_upper_bound, round(d.rate_upper_bound, 3)
    (True, 46, 0.046)
    """
    _check_count("defects_found", defects_found, minimum=0)
    if defects_found > plan.sample_size:
        raise ValueError(
            f"{defects_found} defects cannot be found in a sample of {plan.sample_size}"
        )
    _check_confidence(confidence)
    n, lot = plan.sample_size, plan.lot_size
    if lot is None:
        count, rate = None, clopper_pearson_upper(defects_found, n, confidence)
    else:
        count = hypergeometric_upper(defects_found, n, lot, confidence)
        rate = count / lot
    return LotDecision(
        accepted=defects_found <= plan.acceptance_number,
        defects=int(defects_found),
        sample_size=n,
        acceptance_number=plan.acceptance_number,
        lot_size=lot,
        producer_risk=plan.producer_risk,
        consumer_risk=plan.consumer_risk,
        confidence=float(confidence),
        defects_upper_bound=count,
        rate_upper_bound=rate,
    )


def defect_rate_upper_bound(
    defects: int, sample: int, lot_size: int | None = None, confidence: float = 0.95
) -> float:
    """Exact one-sided upper confidence bound on a defect rate from a sample.

    ``lot_size=None``: Clopper & Pearson (1934), the rate ``p`` with
    P(X ≤ defects | n, p) = 1 − ``confidence`` (1 when every sampled item is defective).
    A finite lot: the largest whole number of defects ``D`` with
    P(X ≤ defects | N, D, n) ≥ 1 − ``confidence`` (hypergeometric; Buonaccorsi 1987,
    "A note on confidence intervals for proportions in finite populations"), over ``N``.

    >>> round(defect_rate_upper_bound(0, 100), 4)
    0.0295
    >>> defect_rate_upper_bound(0, 100, lot_size=200)
    0.02
    """
    _check_count("sample", sample, minimum=1)
    _check_count("defects", defects, minimum=0)
    if defects > sample:
        raise ValueError(f"{defects} defects cannot be found in a sample of {sample}")
    _check_confidence(confidence)
    if lot_size is None:
        return clopper_pearson_upper(defects, sample, confidence)
    _check_count("lot_size", lot_size, minimum=1)
    if lot_size < sample:
        raise ValueError(f"a sample of {sample} cannot come from a lot of {lot_size}")
    return hypergeometric_upper(defects, sample, lot_size, confidence) / lot_size


def _defects_word(count: int) -> str:
    return f"{count:,} defect" + ("" if count == 1 else "s")


def _check_rates(aql: float, ltpd: float) -> None:
    for name, value in (("aql", aql), ("ltpd", ltpd)):
        if not isinstance(value, int | float | np.integer | np.floating) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a defect rate in [0, 1], got {value!r}")
    if not aql < ltpd:
        raise ValueError(f"ltpd must exceed aql, got aql={aql!r} and ltpd={ltpd!r}")


def _check_risk(name: str, value: float) -> None:
    if not isinstance(value, int | float | np.integer | np.floating) or not 0 < value < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")


def _check_confidence(confidence: float) -> None:
    _check_risk("confidence", confidence)


def _check_count(name: str, value: int, *, minimum: int) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
