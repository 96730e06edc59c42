"""Acceptance sampling: plans against an exhaustive exact search, published plans and OC
values, and the properties any plan must have."""

from __future__ import annotations

import doctest
import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from labelworks.stats import acceptance
from labelworks.stats.acceptance import (
    LotDecision,
    SamplingPlan,
    decide_lot,
    defect_rate_upper_bound,
    operating_characteristic,
    sampling_plan,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RISKS = st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.25, 0.5])


def hypergeometric_cdf(c: int, lot: int, defective: int, n: int) -> Fraction:
    """P(at most c defects in a sample of n from a lot of `lot` with `defective` bad
    items), exactly, from binomial coefficients."""
    ways = sum(math.comb(defective, x) * math.comb(lot - defective, n - x) for x in range(c + 1))
    return Fraction(ways, math.comb(lot, n))


def binomial_cdf(c: int, n: int, p: float) -> float:
    return math.fsum(math.comb(n, x) * p**x * (1 - p) ** (n - x) for x in range(c + 1))


def brute_force_plan(
    lot: int, aql: float, ltpd: float, alpha: float, beta: float
) -> tuple[int, int, Fraction, Fraction]:
    """Every (n, c) in order of n then c, in exact integer arithmetic: the first meeting
    both risks, else 100% inspection; with the exact P(accept) at the AQL and the LTPD."""
    d_aql = math.floor(Fraction(str(aql)) * lot)
    d_ltpd = math.ceil(Fraction(str(ltpd)) * lot)
    need, allow = 1 - Fraction(str(alpha)), Fraction(str(beta))
    for n in range(1, lot):
        total = math.comb(lot, n)
        good = bad = 0  # ways to draw at most c defects, at the AQL and at the LTPD
        for c in range(n):
            good += math.comb(d_aql, c) * math.comb(lot - d_aql, n - c)
            bad += math.comb(d_ltpd, c) * math.comb(lot - d_ltpd, n - c)
            # good / total >= need and bad / total <= allow, without division
            if (
                good * need.denominator >= need.numerator * total
                and bad * allow.denominator <= allow.numerator * total
            ):
                return n, c, Fraction(good, total), Fraction(bad, total)
    return (
        lot,
        d_aql,
        hypergeometric_cdf(d_aql, lot, d_aql, lot),
        hypergeometric_cdf(d_aql, lot, d_ltpd, lot),
    )


@st.composite
def designs(draw: st.DrawFn) -> tuple[int, float, float, float, float]:
    lot = draw(st.integers(1, 200))
    low = draw(st.integers(0, 999))
    high = draw(st.integers(low + 1, 1000))
    return lot, low / 1000, high / 1000, draw(RISKS), draw(RISKS)


@given(designs())
@PROPERTY
def test_plans_equal_an_exhaustive_exact_search_on_small_lots(
    design: tuple[int, float, float, float, float],
) -> None:
    """For lots up to 200 the plan is the first (n, c) meeting both risks in exact
    arithmetic, with the same achieved risks."""
    lot, aql, ltpd, alpha, beta = design
    plan = sampling_plan(lot, aql, ltpd, producer_risk=alpha, consumer_risk=beta)
    n, c, at_aql, at_ltpd = brute_force_plan(lot, aql, ltpd, alpha, beta)
    got = (plan.sample_size, plan.acceptance_number, plan.full_inspection)
    assert got == (n, c, n == lot)
    assert plan.producer_risk == pytest.approx(float(1 - at_aql), abs=1e-12)
    assert plan.consumer_risk == pytest.approx(float(at_ltpd), abs=1e-12)


def test_a_risk_met_with_equality_counts_as_met() -> None:
    """A lot of 20 with 2 defects escapes a sample of 19 with c = 1 with probability
    exactly 1/10, which meets a consumer's risk of 0.10."""
    plan = sampling_plan(20, aql=0.05, ltpd=0.10)
    assert plan == SamplingPlan(
        lot_size=20,
        sample_size=19,
        acceptance_number=1,
        aql=0.05,
        ltpd=0.1,
        aql_defects=1,
        ltpd_defects=2,
        producer_risk=0.0,
        consumer_risk=pytest.approx(0.1, abs=1e-15),  # type: ignore[arg-type]
        producer_risk_limit=0.05,
        consumer_risk_limit=0.1,
        full_inspection=False,
    )
    assert hypergeometric_cdf(1, 20, 2, 19) == Fraction(1, 10)


def test_rates_become_whole_defects_conservatively() -> None:
    """AQL × N rounds down and LTPD × N up, but a product that is whole in decimal (0.07
    × 100) is not pushed to the next defect by binary rounding."""
    assert 0.07 * 100 != 7  # the binary product is 7.000000000000001
    plan = sampling_plan(100, aql=0.07, ltpd=0.07001 * 2)
    assert (plan.aql_defects, plan.ltpd_defects) == (7, 15)
    other = sampling_plan(1000, 0.0105, 0.0495)
    assert (other.aql_defects, other.ltpd_defects) == (10, 50)


def test_no_smaller_sample_means_full_inspection() -> None:
    """When no n < N meets both risks, every item is inspected and the lot accepted with
    at most floor(AQL·N) defects, which meets both risks outright."""
    plan = sampling_plan(20, aql=0.05, ltpd=0.10, consumer_risk=0.05)
    assert (plan.sample_size, plan.acceptance_number, plan.full_inspection) == (20, 1, True)
    assert (plan.producer_risk, plan.consumer_risk) == (0.0, 0.0)
    assert plan.summary == (
        "No sample smaller than the lot meets both risks: inspect all 20 items and accept "
        "the lot with at most 1 defect."
    )


def test_summary_reads_the_plan_back() -> None:
    """The summary gives the sample, the acceptance number and both achieved risks."""
    plan = sampling_plan(1000, aql=0.01, ltpd=0.05)
    assert plan.summary == (
        "Inspect 128 of 1,000 items; accept the lot with at most 3 defects. A lot at the AQL "
        "(1.00%, 10 defective) is rejected with probability 2.90% (limit 5%); a lot at the "
        "LTPD (5.00%, 50 defective) is accepted with probability 9.68% (limit 10%)."
    )
    assert sampling_plan(None, 0.01, 0.05, producer_risk=0.025).summary == (
        "Inspect 158 items; accept the lot with at most 4 defects. A lot at the AQL (1.00%) is "
        "rejected with probability 2.19% (limit 2.5%); a lot at the LTPD (5.00%) is accepted "
        "with probability 9.96% (limit 10%)."
    )


# ------------------------------------------------------------------ published plans and OC
def test_tp105_plan_n68_c2_has_its_published_risk_points() -> None:
    """samplingplans.com (TP105 v3, 2006): n = 68, c = 2 has P(accept) 0.95 at 1.213%
    and 0.05 at 8.9704% defective (binomial), to the printed digits."""
    plan = sampling_plan(None, aql=0.0121, ltpd=0.0898, producer_risk=0.05, consumer_risk=0.05)
    assert (plan.sample_size, plan.acceptance_number) == (68, 2)
    oc = operating_characteristic(plan, None, [0.01213, 0.089704])
    np.testing.assert_allclose(oc, [0.95, 0.05], atol=5e-5)


@pytest.mark.parametrize(
    ("n", "c"),
    [(50, 1), (80, 2), (125, 3), (200, 5)],  # ANSI Z1.4 / ISO 2859-1 codes H-L, AQL 1.0
)
def test_z14_plans_oc_equals_binomial_and_hypergeometric_sums(n: int, c: int) -> None:
    """OC values of ANSI Z1.4 normal-inspection plans at 1%, 2.5%, 5% and 10% equal the
    binomial sums and, for a lot of 2,000, the hypergeometric ones, from math.comb."""
    plan = replace(sampling_plan(None, 0.01, 0.05), sample_size=n, acceptance_number=c)
    rates = [0.01, 0.025, 0.05, 0.10]
    np.testing.assert_allclose(
        operating_characteristic(plan, None, rates),
        [binomial_cdf(c, n, p) for p in rates],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        operating_characteristic(plan, 2000, rates),
        [float(hypergeometric_cdf(c, 2000, round(p * 2000), n)) for p in rates],
        rtol=1e-12,
    )


def test_z14_n80_c2_values() -> None:
    """The plan n = 80, c = 2 accepts 95.3% of lots at 1% defective and 23.1% at 5%."""
    plan = SamplingPlan(None, 80, 2, 0.01, 0.05, None, None, 0.0, 0.0, 0.05, 0.1, False)
    assert operating_characteristic(plan, None, [0.01, 0.05]).round(3).tolist() == [0.953, 0.231]


# ------------------------------------------------------------------------------- properties
@given(
    st.integers(1, 5000) | st.none(),
    st.lists(st.floats(0, 1), min_size=2, max_size=30),
    st.integers(1, 60),
    st.integers(0, 5),
)
@PROPERTY
def test_oc_curve_never_rises_with_the_defect_rate(
    lot: int | None, rates: list[float], n: int, c: int
) -> None:
    """P(accept) is non-increasing in the defect rate, for type A and type B curves."""
    if lot is not None:
        n = min(n, lot)
    plan = SamplingPlan(lot, n, min(c, n), 0.0, 1.0, None, None, 0.0, 0.0, 0.05, 0.1, False)
    ordered = np.sort(np.asarray(rates))
    oc = operating_characteristic(plan, lot, ordered)
    assert np.all(np.diff(oc) <= 1e-12)
    assert np.all((oc >= 0) & (oc <= 1 + 1e-12))


@given(
    st.integers(2, 20_000) | st.none(),
    st.integers(0, 300),
    st.integers(1, 400),
    st.integers(1, 400),
    RISKS,
    RISKS,
)
@PROPERTY
def test_a_larger_ltpd_never_needs_a_larger_sample(
    lot: int | None, low: int, step: int, more: int, alpha: float, beta: float
) -> None:
    """Loosening the LTPD never increases n, and every plan meets the risks it reports."""
    aql, ltpd, looser = low / 1000, min(low + step, 999) / 1000, min(low + step + more, 1000) / 1000
    if not aql < ltpd:
        return
    tight = sampling_plan(lot, aql, ltpd, alpha, beta)
    loose = sampling_plan(lot, aql, looser, alpha, beta)
    assert loose.sample_size <= tight.sample_size
    for plan in (tight, loose):
        assert plan.producer_risk <= alpha + 1e-12
        assert plan.consumer_risk <= beta + 1e-12


@given(st.integers(1, 200), st.data())
@PROPERTY
def test_hypergeometric_upper_bound_is_the_largest_count_not_ruled_out(
    lot: int, data: st.DataObject
) -> None:
    """The finite-lot bound is the largest D with P(X <= d | D) >= 1 - confidence, in exact
    arithmetic; the next D is ruled out."""
    n = data.draw(st.integers(1, lot))
    d = data.draw(st.integers(0, n))
    confidence = data.draw(st.sampled_from([0.8, 0.9, 0.95, 0.99]))
    bound = round(defect_rate_upper_bound(d, n, lot, confidence) * lot)
    floor = 1 - Fraction(str(confidence))
    assert hypergeometric_cdf(d, lot, bound, n) >= floor
    if bound < lot - (n - d):
        assert hypergeometric_cdf(d, lot, bound + 1, n) < floor


@given(st.integers(1, 300), st.data())
@PROPERTY
def test_clopper_pearson_bound_solves_the_binomial_tail(n: int, data: st.DataObject) -> None:
    """The infinite-lot bound p has P(X <= d | n, p) = 1 - confidence (1 when d = n)."""
    d = data.draw(st.integers(0, n))
    bound = defect_rate_upper_bound(d, n, confidence=0.95)
    if d == n:
        assert bound == 1.0
    else:
        assert binomial_cdf(d, n, bound) == pytest.approx(0.05, abs=1e-9)


def test_decide_lot_accepts_up_to_c_and_bounds_the_lot() -> None:
    """Two defects in the 128-item sample accept a lot of 1,000; with 95% confidence it
    holds at most 46 defects. Four reject it."""
    plan = sampling_plan(1000, aql=0.01, ltpd=0.05)
    assert decide_lot(plan, 2) == LotDecision(
        accepted=True,
        defects=2,
        sample_size=128,
        acceptance_number=3,
        lot_size=1000,
        producer_risk=plan.producer_risk,
        consumer_risk=plan.consumer_risk,
        confidence=0.95,
        defects_upper_bound=46,
        rate_upper_bound=0.046,
    )
    rejected = decide_lot(plan, 4)
    assert (rejected.accepted, rejected.defects_upper_bound) == (False, 67)
    assert rejected.summary == (
        "Lot rejected: 4 defective in a sample of 128 (acceptance number 3); with 95% "
        "confidence the lot's defect rate is at most 6.70%."
    )


def test_full_inspection_knows_the_lot_exactly() -> None:
    """When the sample is the whole lot, the bound is the count found."""
    plan = sampling_plan(20, aql=0.05, ltpd=0.10, consumer_risk=0.05)
    decision = decide_lot(plan, 1)
    assert (decision.accepted, decision.defects_upper_bound, decision.rate_upper_bound) == (
        True,
        1,
        0.05,
    )


def test_binomial_plan_decisions_use_clopper_pearson() -> None:
    """A plan for a very large lot bounds the rate by Clopper–Pearson and gives no count."""
    plan = sampling_plan(None, aql=0.01, ltpd=0.05)
    decision = decide_lot(plan, 0, confidence=0.9)
    assert decision.defects_upper_bound is None
    assert decision.rate_upper_bound == defect_rate_upper_bound(0, plan.sample_size, None, 0.9)
    assert decision.rate_upper_bound == pytest.approx(1 - 0.1 ** (1 / plan.sample_size))


def test_large_lots_and_close_quality_levels() -> None:
    """Lots of a million, close AQL and LTPD: each plan meets both risks, and one item
    fewer fails the consumer's risk with the smallest acceptance number the producer's
    risk allows (so with any)."""
    lot = 1_000_000
    for aql, ltpd in [(0.01, 0.05), (0.01, 0.012), (0.001, 0.002), (0.5, 0.51)]:
        plan = sampling_plan(lot, aql, ltpd)
        n, d_aql, d_ltpd = plan.sample_size, plan.aql_defects, plan.ltpd_defects
        assert (d_aql, d_ltpd) == (round(aql * lot), round(ltpd * lot))
        assert hypergeom.cdf(plan.acceptance_number, lot, d_aql, n) >= 0.95
        assert hypergeom.cdf(plan.acceptance_number, lot, d_ltpd, n) <= 0.10
        cs = np.arange(n)
        c_min = int(np.argmax(hypergeom.cdf(cs, lot, d_aql, n - 1) >= 0.95))
        assert hypergeom.cdf(c_min, lot, d_ltpd, n - 1) > 0.10


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sampling_plan(100, 0.05, 0.05), "ltpd must exceed aql"),
        (lambda: sampling_plan(100, -0.1, 0.05), "aql must be a defect rate"),
        (lambda: sampling_plan(100, 0.01, 1.5), "ltpd must be a defect rate"),
        (lambda: sampling_plan(100, 0.01, 0.05, producer_risk=0), "producer_risk must lie"),
        (lambda: sampling_plan(100, 0.01, 0.05, consumer_risk=1), "consumer_risk must lie"),
        (lambda: sampling_plan(0, 0.01, 0.05), "lot_size must be a whole number >= 1"),
        (lambda: sampling_plan(10.5, 0.01, 0.05), "lot_size must be a whole number"),  # type: ignore[arg-type]
        (lambda: decide_lot(sampling_plan(100, 0.01, 0.2), 99), "cannot be found in a sample"),
        (lambda: decide_lot(sampling_plan(100, 0.01, 0.2), -1), "defects_found must be"),
        (lambda: defect_rate_upper_bound(1, 10, lot_size=5), "cannot come from a lot of 5"),
        (lambda: defect_rate_upper_bound(1, 10, confidence=1.0), "confidence must lie"),
        (
            lambda: operating_characteristic(sampling_plan(100, 0.01, 0.2), 10, [0.1]),
            "smaller than the plan's sample",
        ),
        (
            lambda: operating_characteristic(sampling_plan(100, 0.01, 0.2), None, [1.1]),
            "defect rates must lie in",
        ),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, message: str) -> None:
    """Each bad argument raises ValueError naming it."""
    with pytest.raises(ValueError, match=message):
        call()


def test_docstring_examples() -> None:
    """The worked examples in the module's docstrings run and print what they show."""
    result = doctest.testmod(acceptance, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert (result.failed, result.attempted > 0) == (0, True)
