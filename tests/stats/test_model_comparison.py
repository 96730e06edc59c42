"""Paired comparison of two models: McNemar's exact test against published and statsmodels
values, scikit-learn cross-checks and the symmetries of the paired bootstrap."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn.metrics import accuracy_score, f1_score

from labelworks.stats import InvalidRatingsError
from labelworks.stats.model_comparison import (
    Estimate,
    McNemar,
    PairedComparison,
    _mcnemar_p,
    _resampled_sums,
    _table,
    paired_comparison,
)

PROPERTY = settings(max_examples=60, deadline=None)

# (2 × 2 table of A right/wrong × B right/wrong, p-value of statsmodels 0.15.0
# mcnemar(table, exact=True), computed outside this environment, which lacks statsmodels)
STATSMODELS = [
    ([[1, 1], [7, 12]], 0.0703125),
    ([[794, 150], [86, 570]], 3.7159361395713866e-05),
    ([[5, 2], [9, 30]], 0.0654296875),
    ([[3, 4], [4, 3]], 1.0),
    ([[10, 0], [0, 5]], 1.0),
]


def items(table: list[list[int]]) -> tuple[list[str], list[str], list[str]]:
    """Reference and two models' predictions realising a 2 × 2 right/wrong table."""
    ref, a, b = [], [], []
    for i, j in np.ndindex(2, 2):
        m = table[i][j]
        ref += ["y"] * m
        a += ["y" if i == 0 else "n"] * m
        b += ["y" if j == 0 else "n"] * m
    return ref, a, b


@pytest.mark.parametrize(("table", "expected"), STATSMODELS)
def test_mcnemar_matches_statsmodels(table: list[list[int]], expected: float) -> None:
    """The exact p-value is statsmodels' mcnemar(table, exact=True), to rounding."""
    got = paired_comparison(*items(table), n_resamples=10, seed=0).mcnemar
    assert got == McNemar(table[0][1], table[1][0], pytest.approx(expected, rel=1e-12))


@pytest.mark.peer
@pytest.mark.parametrize(("table", "expected"), STATSMODELS)
def test_mcnemar_matches_installed_statsmodels(table: list[list[int]], expected: float) -> None:
    """Where statsmodels is installed, it still computes the stored p-values."""
    contingency = pytest.importorskip("statsmodels.stats.contingency_tables")
    assert contingency.mcnemar(table, exact=True).pvalue == pytest.approx(expected, rel=1e-12)
    assert _mcnemar_p(table[0][1], table[1][0]) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_published_examples() -> None:
    """Fagerland, Lydersen & Laake (2013, BMC Med Res Methodol 13:91, Table 1): airway
    hyper-responsiveness of 21 children before and after stem cell transplantation, 1 and 7
    discordant pairs, exact conditional p = 0.070. Agresti (1990, *Categorical Data
    Analysis*, p. 350, the example of R's mcnemar.test): approval of the President in two
    surveys of 1,600 Americans a month apart, 150 and 86 discordant, a significant drop
    (χ² = 17.36, p = 3.1e-5 asymptotically; the exact p is 3.7e-5)."""
    assert round(_mcnemar_p(1, 7), 3) == 0.070
    assert round(_mcnemar_p(150, 86), 6) == 0.000037


@PROPERTY
@given(st.integers(0, 60), st.integers(0, 60))
def test_mcnemar_is_the_two_sided_binomial_test(only_a: int, only_b: int) -> None:
    """With p = ½ the exact two-sided binomial test (scipy) is twice the smaller tail."""
    expected = binomtest(only_a, only_a + only_b).pvalue if only_a + only_b else 1.0
    assert _mcnemar_p(only_a, only_b) == pytest.approx(expected, rel=1e-9)


def test_paired_comparison_known_answer() -> None:
    """The whole comparison of a model that gets 2 of 5 items right with one that gets all."""
    ref = ["x", "x", "y", "y", "y"]
    a = ["x", "y", "y", "x", "x"]
    got = paired_comparison(ref, a, ref, seed=0)
    # A: x precision 1/3, recall 1/2, F1 2/5; y precision 1/2, recall 1/3, F1 2/5
    point = Estimate(pytest.approx(0.6), got.accuracy_difference.low, 1.0)
    assert got == PairedComparison(
        5, 0.4, 1.0, point, pytest.approx(0.4), 1.0,
        Estimate(pytest.approx(0.6), got.macro_f1_difference.low, 1.0), McNemar(0, 3, 0.25),
    )  # fmt: skip
    assert 0 <= got.accuracy_difference.low < 0.6


labels_st = st.sampled_from(["a", "b", "c"])


@st.composite
def three_sequences(draw: st.DrawFn) -> tuple[list[str], list[str], list[str]]:
    n = draw(st.integers(1, 30))
    ref, a, b = (draw(st.lists(labels_st, min_size=n, max_size=n)) for _ in range(3))
    return ref, a, b


@PROPERTY
@given(three_sequences())
def test_point_estimates_match_sklearn(data: tuple[list[str], list[str], list[str]]) -> None:
    """Accuracies, macro F1s, their differences and the discordant counts are scikit-learn's
    and a direct count's; the intervals bracket the differences."""
    ref, a, b = data
    got = paired_comparison(ref, a, b, n_resamples=50, seed=0)
    names = sorted(set(ref) | set(a) | set(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f1 = [f1_score(ref, x, labels=names, average="macro", zero_division=np.nan) for x in (a, b)]
    accuracy = [accuracy_score(ref, x) for x in (a, b)]
    assert [got.accuracy_a, got.accuracy_b, got.macro_f1_a, got.macro_f1_b] == pytest.approx(
        [*accuracy, *f1], abs=1e-12
    )
    assert got.accuracy_difference.value == pytest.approx(accuracy[1] - accuracy[0], abs=1e-12)
    assert got.macro_f1_difference.value == pytest.approx(f1[1] - f1[0], abs=1e-12)
    only_a = sum(r == x != y for r, x, y in zip(ref, a, b, strict=True))
    only_b = sum(r == y != x for r, x, y in zip(ref, a, b, strict=True))
    assert (got.mcnemar.only_a, got.mcnemar.only_b) == (only_a, only_b)
    for e in (got.accuracy_difference, got.macro_f1_difference):
        assert e.low <= e.value <= e.high


@PROPERTY
@given(three_sequences(), st.integers(0, 2**32 - 1))
def test_a_model_against_itself_differs_by_exactly_zero(
    data: tuple[list[str], list[str], list[str]], seed: int
) -> None:
    """A model compared with itself: differences exactly 0 with interval [0, 0], McNemar 1."""
    ref, a, _ = data
    got = paired_comparison(ref, a, a, n_resamples=50, seed=seed)
    zero = Estimate(0.0, 0.0, 0.0)
    assert (got.accuracy_difference, got.macro_f1_difference, got.mcnemar) == (
        zero,
        zero,
        McNemar(0, 0, 1.0),
    )


def negated(e: Estimate) -> Estimate:
    return Estimate(0.0 - e.value, 0.0 - e.high, 0.0 - e.low)  # 0 − 0 is 0, where −0 is −0


@PROPERTY
@given(three_sequences(), st.integers(0, 2**32 - 1))
def test_swapping_the_models_negates_the_differences(
    data: tuple[list[str], list[str], list[str]], seed: int
) -> None:
    """Swapping A and B negates both differences and their intervals exactly, and swaps the
    rest."""
    ref, a, b = data
    ab = paired_comparison(ref, a, b, n_resamples=100, seed=seed)
    ba = paired_comparison(ref, b, a, n_resamples=100, seed=seed)
    expected = PairedComparison(
        ab.n, ab.accuracy_b, ab.accuracy_a, negated(ab.accuracy_difference),
        ab.macro_f1_b, ab.macro_f1_a, negated(ab.macro_f1_difference),
        McNemar(ab.mcnemar.only_b, ab.mcnemar.only_a, ab.mcnemar.p_value),
    )  # fmt: skip
    np.testing.assert_equal(dataclasses.asdict(ba), dataclasses.asdict(expected))


@PROPERTY
@given(three_sequences(), st.integers(0, 2**32 - 1))
def test_paired_bootstrap_is_deterministic_with_a_seed(
    data: tuple[list[str], list[str], list[str]], seed: int
) -> None:
    """The same seed gives the same comparison, intervals included."""
    first, second = (paired_comparison(*data, n_resamples=50, seed=seed) for _ in range(2))
    np.testing.assert_equal(dataclasses.asdict(first), dataclasses.asdict(second))


def test_a_clearly_better_model_has_an_interval_above_zero() -> None:
    """B right on 90% of 400 items, A on 60%: the accuracy difference's interval excludes 0
    and lies around 0.3; McNemar's p is tiny."""
    rng = np.random.default_rng(5)
    ref = rng.integers(0, 3, 400)
    a = np.where(rng.random(400) < 0.6, ref, (ref + 1) % 3)
    b = np.where(rng.random(400) < 0.9, ref, (ref + 2) % 3)
    names = ["p", "q", "r"]
    got = paired_comparison(*([names[i] for i in x] for x in (ref, a, b)), seed=1)
    diff = got.accuracy_difference
    assert 0 < diff.low < diff.value < diff.high and abs(diff.value - 0.3) < 0.1
    assert got.mcnemar.p_value < 1e-10


def test_multinomial_types_resample_like_items() -> None:
    """Resampling item types as multinomial counts gives the same bootstrap distribution as
    resampling the items themselves (mean and spread of the resampled accuracy)."""
    rng = np.random.default_rng(0)
    correct = (rng.random(3200) < 0.7).astype(np.int64)
    by_type = _table(2, 1, np.array([1]), np.array([0]))  # type 1 (correct) contributes 1
    by_item = _table(correct.size, 1, np.flatnonzero(correct), np.zeros(correct.sum(), np.int64))
    counts = np.bincount(correct, minlength=2)
    draws = [
        np.concatenate(list(_resampled_sums(table, c, 4000, np.random.default_rng(1))))[:, 0]
        / correct.size
        for table, c in ((by_type, counts), (by_item, np.ones(correct.size, np.int64)))
    ]
    assert [round(float(d.mean()), 3) for d in draws] == [round(correct.mean(), 3)] * 2
    se = np.sqrt(correct.mean() * (1 - correct.mean()) / correct.size)
    np.testing.assert_allclose([d.std() for d in draws], se, rtol=0.05)


BAD: list[tuple[Any, str]] = [
    (lambda: paired_comparison(["a"], ["a"], ["a", "b"]), "predicted_b has 2"),
    (lambda: paired_comparison([], [], []), "no items"),
    (lambda: paired_comparison(["a"], ["a"], ["b"], labels=["a"]), "predicted_b item 0"),
    (lambda: paired_comparison(["a"], ["a"], ["a"], n_resamples=0), "n_resamples"),
    (lambda: paired_comparison(["a"], ["a"], ["a"], confidence=2), "confidence"),
]


@pytest.mark.parametrize(("call", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input_is_refused_by_name(call: Any, message: str) -> None:
    """Each kind of bad input raises InvalidRatingsError with a message naming the problem."""
    with pytest.raises(InvalidRatingsError) as caught:
        call()
    assert message in str(caught.value)
