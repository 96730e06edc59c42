"""An LLM judge against people: hand-worked examples, scikit-learn's κ and SciPy's and a
naive Kendall τ-b as references, position bias, degenerate input, bad input, and properties
(bounds, a↔b relabelling, a judge that copies the people)."""

from __future__ import annotations

import dataclasses
import doctest
import itertools
import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau, norm
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix

from labelworks.stats import InvalidRatingsError, judge_calibration, rank_correlation
from labelworks.stats.judge_calibration import (
    VERDICTS,
    Agreement,
    Calibration,
    Disagreement,
    Estimate,
    JudgedItem,
    PositionBias,
    RankCorrelation,
    Share,
    Verdict,
    calibrate,
    human_consensus,
    judge_verdict,
    kendall_tau,
)

PROPERTY = settings(max_examples=60, deadline=None)
FLIP: dict[Any, Any] = {"a": "b", "b": "a", "tie": "tie", None: None}
ZERO: dict[str, dict[str, int]] = {h: dict.fromkeys(VERDICTS, 0) for h in VERDICTS}


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval, from its formula (Wilson 1927)."""
    z = norm.ppf(0.5 + confidence / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def share(k: int, n: int, confidence: float = 0.95) -> Share:
    return Share(k / n, *wilson(k, n, confidence), n)


def points(obj: Any) -> Any:
    """The result as plain data, every Estimate replaced by its value and n, floats rounded
    to 12 places."""
    if isinstance(obj, Estimate):
        return ("estimate", points(obj.value), obj.n)
    if isinstance(obj, float):
        return round(obj, 12) + 0.0
    if dataclasses.is_dataclass(obj):
        return {f.name: points(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list):
        return [points(x) for x in obj]
    if isinstance(obj, dict):
        return {key: points(x) for key, x in obj.items()}
    return obj


def estimates(obj: Any) -> list[Estimate]:
    """Every Estimate in a result."""
    if isinstance(obj, Estimate):
        return [obj]
    if dataclasses.is_dataclass(obj):
        return [e for f in dataclasses.fields(obj) for e in estimates(getattr(obj, f.name))]
    if isinstance(obj, list | tuple):
        return [e for x in obj for e in estimates(x)]
    if isinstance(obj, dict):
        return [e for x in obj.values() for e in estimates(x)]
    return []


def naive_consensus(votes: tuple[Verdict, ...]) -> Verdict | None:
    """The plurality by counting, a tie for the most votes being a tie."""
    counts = Counter(votes).most_common()
    if not counts:
        return None
    return counts[0][0] if len(counts) == 1 or counts[0][1] > counts[1][1] else "tie"


def naive_judge(first: Verdict | None, swapped: Verdict | None) -> Verdict | None:
    answered = {v for v in (first, swapped) if v is not None}
    return None if not answered else answered.pop() if len(answered) == 1 else "tie"


def naive_tau_b(x: list[float], y: list[float]) -> float:
    """Kendall's τ-b by looking at every pair."""
    concordant = discordant = tied_x = tied_y = pairs = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        pairs += 1
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        tied_x += dx == 0
        tied_y += dy == 0
        concordant += dx * dy > 0
        discordant += dx * dy < 0
    return (concordant - discordant) / math.sqrt((pairs - tied_x) * (pairs - tied_y))


def test_doctests() -> None:
    """The docstring examples of both modules run and print what they show."""
    for module in (judge_calibration, rank_correlation):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert (result.failed, result.attempted > 0) == (0, True)


def test_judge_verdict_table() -> None:
    """Every pair of orders gives the one answered, the common verdict, or a tie."""
    options: list[Verdict | None] = [None, "a", "b", "tie"]
    got = {(f, s): judge_verdict(f, s) for f in options for s in options}
    assert got == {(f, s): naive_judge(f, s) for f in options for s in options}
    assert [judge_verdict("a", "b"), judge_verdict("tie", "a"), judge_verdict(None, None)] == [
        "tie",
        "tie",
        None,
    ]


def test_human_consensus_examples() -> None:
    """Plurality, a tie for the most votes is a tie, no votes no consensus."""
    cases: list[tuple[tuple[Verdict, ...], Verdict | None]] = [
        (("a", "a", "b"), "a"),
        (("b",), "b"),
        (("a", "b"), "tie"),
        (("a", "tie"), "tie"),
        (("tie", "tie", "a"), "tie"),
        (("a", "b", "b", "tie"), "b"),
        ((), None),
    ]
    assert [human_consensus(v) for v, _ in cases] == [c for _, c in cases]


ITEMS = [
    JudgedItem("i1", "x", ("a", "a", "b"), "a", "a"),
    JudgedItem("i2", "x", ("b",), "a", "b"),  # picks the output shown first both times
    JudgedItem("i3", "x", ("b", "b"), "b", "b"),
    JudgedItem("i4", "y", ("a", "b"), "a", None),
    JudgedItem("i5", "y", ("tie",), "tie", "tie"),
    JudgedItem("i6", None, (), "b", None),
    JudgedItem("i7", None, ("a",), None, None),
    JudgedItem("i8", None, ("a", "a"), "b", "a"),  # picks the output shown second both times
]


def test_calibrate_known_answer() -> None:
    """The whole calibration of eight items, worked by hand."""
    got = calibrate(ITEMS, n_resamples=200, seed=3)
    # consensus → judge: i1 a→a, i2 b→tie, i3 b→b, i4 tie→a, i5 tie→tie, i8 a→tie;
    # p_o = 3/6, p_e = (2·2 + 2·1 + 2·3) / 36 = 1/3, κ = (1/2 − 1/3) / (2/3) = 1/4
    expected = Calibration(
        overall=Agreement(
            6,
            Estimate(0.5, 0, 0, 6),
            Estimate(0.25, 0, 0, 6),
            {
                "a": {"a": 1, "b": 0, "tie": 1},
                "b": {"a": 0, "b": 1, "tie": 1},
                "tie": {"a": 1, "b": 0, "tie": 1},
            },
        ),
        by_category={
            # p_e = (1·1 + 2·1) / 9, κ = (2/3 − 1/3) / (2/3)
            "x": Agreement(
                3,
                Estimate(2 / 3, 0, 0, 3),
                Estimate(0.5, 0, 0, 3),
                {
                    "a": {"a": 1, "b": 0, "tie": 0},
                    "b": {"a": 0, "b": 1, "tie": 1},
                    "tie": dict.fromkeys(VERDICTS, 0),
                },
            ),
            # p_e = 2·1 / 4 = p_o
            "y": Agreement(
                2,
                Estimate(0.5, 0, 0, 2),
                Estimate(0.0, 0, 0, 2),
                {
                    "a": dict.fromkeys(VERDICTS, 0),
                    "b": dict.fromkeys(VERDICTS, 0),
                    "tie": {"a": 1, "b": 0, "tie": 1},
                },
            ),
        },
        # decisive: i1 a, a; i2 a, b; i3 b, b; i4 a; i6 b; i8 b, a: 5 of 10 picked the first
        # shown (i1 first, i2 both, i3 swapped, i4); i2 and i8 of 5 pairs differ
        position_bias=PositionBias(share(5, 10), share(2, 5), 5),
        disagreements=[
            Disagreement("i4", "y", (1, 1, 0), "a", "a", None, 0.5),
            Disagreement("i8", None, (2, 0, 0), "tie", "b", "a", 0.5),
            Disagreement("i2", "x", (0, 1, 0), "tie", "a", "b", 0.5),
            Disagreement("i1", "x", (2, 1, 0), "a", "a", "a", 1 / 3),
        ],
        judged=6,
        humans_only=1,
        judge_only=1,
    )
    assert points(got) == points(expected)
    for e in estimates(got):
        assert e.low <= e.value <= e.high
    assert got.disagreements[:2] == calibrate(ITEMS, n_resamples=10, top=2).disagreements


def test_kappa_and_percent_match_sklearn() -> None:
    """κ, percent agreement and the confusion counts equal scikit-learn's on generated data."""
    rng = np.random.default_rng(7)
    for n in (5, 40, 300):
        items = []
        for k in range(n):
            truth = rng.choice(3, p=[0.45, 0.4, 0.15])
            votes = rng.choice(3, size=rng.integers(0, 5), p=np.roll([0.7, 0.2, 0.1], truth))
            judged = rng.choice(3, size=2, p=np.roll([0.6, 0.25, 0.15], truth))
            first, swapped = (None if rng.random() < 0.1 else VERDICTS[v] for v in judged)
            items.append(
                JudgedItem(f"p{k}", None, tuple(VERDICTS[v] for v in votes), first, swapped)
            )
        pairs = [(naive_consensus(x.human), naive_judge(x.first, x.swapped)) for x in items]
        human = [h for h, j in pairs if h is not None and j is not None]
        judge = [j for h, j in pairs if h is not None and j is not None]
        got = calibrate(items, n_resamples=50, seed=n).overall
        labels = list(VERDICTS)
        assert got.items == len(human)
        assert got.percent is not None and got.kappa is not None
        assert got.percent.value == pytest.approx(accuracy_score(human, judge), abs=1e-12)
        assert got.kappa.value == pytest.approx(
            cohen_kappa_score(human, judge, labels=labels), abs=1e-12
        )
        matrix = confusion_matrix(human, judge, labels=labels).tolist()
        assert [[got.confusion[h][j] for j in labels] for h in labels] == matrix


def test_percent_interval_is_near_the_normal_one() -> None:
    """On 4,000 items the bootstrap interval of percent agreement is about p ± 1.96·se."""
    items = [JudgedItem(f"p{k}", None, ("a" if k < 2800 else "b",), "a", "a") for k in range(4000)]
    percent = calibrate(items, n_resamples=2000, seed=1).overall.percent
    se = math.sqrt(0.7 * 0.3 / 4000)
    assert percent is not None
    assert (percent.value, percent.n) == (0.7, 4000)
    assert [percent.low, percent.high] == pytest.approx(
        [0.7 - 1.96 * se, 0.7 + 1.96 * se], abs=0.002
    )


def test_judge_that_always_picks_the_first_shown_output() -> None:
    """Where the people agree on the winner, a judge always picking what it sees first shows
    full position bias, full order inconsistency, and only ties."""
    winners: list[Verdict] = ["a", "b"] * 10
    items = [
        JudgedItem(f"p{k}", None, (w, w, w), "a", "b")
        for k, w in enumerate(winners)
    ]  # fmt: skip
    got = calibrate(items, n_resamples=50)
    assert got.position_bias == PositionBias(share(40, 40), share(20, 20), 20)
    assert got.position_bias.first_position is not None
    assert got.position_bias.first_position.share == 1
    assert got.overall.confusion == {
        "a": {"a": 0, "b": 0, "tie": 10}, "b": {"a": 0, "b": 0, "tie": 10}, "tie": ZERO["tie"]
    }  # fmt: skip
    assert got.overall.percent == Estimate(0.0, 0.0, 0.0, 20)
    assert got.overall.kappa == Estimate(0.0, 0.0, 0.0, 20)
    assert [d.gap for d in got.disagreements] == [0.5] * 20


def test_unbiased_consistent_judge() -> None:
    """A judge that gives the same decisive verdict in both orders picks the first-shown
    output exactly half the time and is never inconsistent."""
    winners: list[Verdict] = ["a", "b", "a"]
    items = [JudgedItem(f"p{k}", None, (), w, w) for k, w in enumerate(winners)]
    assert calibrate(items).position_bias == PositionBias(share(3, 6), share(0, 3), 3)
    at_80 = calibrate(items, confidence=0.8).position_bias
    assert at_80 == PositionBias(share(3, 6, 0.8), share(0, 3, 0.8), 3)


def test_no_items() -> None:
    """No items give empty counts and None wherever a number is undefined."""
    assert calibrate([]) == Calibration(
        Agreement(0, None, None, ZERO), {}, PositionBias(None, None, 0), [], 0, 0, 0
    )


def test_one_verdict_only() -> None:
    """When people and judge only ever say a, agreement is 1 and κ undefined (None)."""
    items = [JudgedItem(f"p{k}", "c", ("a",), "a", None) for k in range(5)]
    got = calibrate(items, n_resamples=50)
    overall = Agreement(
        5, Estimate(1.0, 1.0, 1.0, 5), None, {**ZERO, "a": {"a": 5, "b": 0, "tie": 0}}
    )
    assert got == Calibration(
        overall, {"c": overall}, PositionBias(share(5, 5), None, 0), [], 5, 0, 0
    )


def test_all_ties() -> None:
    """Split votes and an order-inconsistent judge everywhere: all ties, agreement 1, κ None."""
    items = [JudgedItem(f"p{k}", None, ("a", "b"), "b", "a") for k in range(4)]
    got = calibrate(items, n_resamples=50)
    assert got == Calibration(
        Agreement(4, Estimate(1.0, 1.0, 1.0, 4), None, {**ZERO, "tie": {"a": 0, "b": 0, "tie": 4}}),
        {},
        PositionBias(share(0, 8), share(4, 4), 4),
        [],
        4,
        0,
        0,
    )


def test_categories_without_judged_items() -> None:
    """A category whose items lack votes or verdicts has an empty Agreement."""
    items = [
        JudgedItem("p1", "x", ("a",), None, None),
        JudgedItem("p2", "y", (), "a", "a"),
        JudgedItem("p3", None, ("b",), "b", "b"),
    ]
    got = calibrate(items, n_resamples=20)
    assert got.by_category == {
        "x": Agreement(0, None, None, ZERO),
        "y": Agreement(0, None, None, ZERO),
    }
    assert (got.judged, got.humans_only, got.judge_only) == (1, 1, 1)


def test_interval_undefined_on_every_resample_is_the_whole_range() -> None:
    """κ defined on the sample but on none of the resamples gets the interval [−1, 1]."""
    items = [
        JudgedItem("p1", None, ("a",), "a", "a"),
        JudgedItem("p2", None, ("b",), "b", "b"),
    ]
    kappas = [calibrate(items, n_resamples=1, seed=s).overall.kappa for s in range(20)]
    assert Estimate(1.0, -1.0, 1.0, 2) in kappas
    assert set(kappas) <= {Estimate(1.0, -1.0, 1.0, 2), Estimate(1.0, 1.0, 1.0, 2)}


def test_disagreements_order_and_limit() -> None:
    """Largest gap first, then more votes, then item id; at most `top`; never a gap of 0."""
    items = [
        JudgedItem("c", None, ("b",), "a", "a"),  # gap 1, 1 vote
        JudgedItem("b", None, ("b", "b"), "a", "a"),  # gap 1, 2 votes
        JudgedItem("a", None, ("b",), "a", None),  # gap 1, 1 vote
        JudgedItem("d", None, ("b", "tie"), "b", "b"),  # gap 1/4
        JudgedItem("e", None, ("a",), "a", "a"),  # gap 0
    ]
    got = calibrate(items, n_resamples=10)
    assert [(d.item, d.gap) for d in got.disagreements] == [
        ("b", 1.0), ("a", 1.0), ("c", 1.0), ("d", 0.25)
    ]  # fmt: skip
    assert [d.item for d in calibrate(items, n_resamples=10, top=2).disagreements] == ["b", "a"]
    assert calibrate(items, n_resamples=10, top=0).disagreements == []


def test_seeded_and_deterministic() -> None:
    """The same seed gives the same result; the intervals bracket their estimates."""
    first, again = calibrate(ITEMS, seed=11), calibrate(ITEMS, seed=11)
    assert first == again
    assert all(e.low <= e.value <= e.high for e in estimates(first))


@pytest.mark.parametrize(
    ("items", "kwargs", "message"),
    [
        ([JudgedItem("p", None, ("a",), "a", "a")] * 2, {}, "appears twice"),
        ([JudgedItem("p", None, ("a", "left"), "a", "a")], {}, "'left'"),  # type: ignore[arg-type]
        ([JudgedItem("p", None, ("a",), "A", "a")], {}, "first is 'A'"),  # type: ignore[arg-type]
        ([JudgedItem("p", None, ("a",), "a", 1)], {}, "swapped is 1"),  # type: ignore[arg-type]
        ([JudgedItem("p", None, "ab", "a", "a")], {}, "not 'ab'"),  # type: ignore[arg-type]
        ([JudgedItem(3, None, (), "a", "a")], {}, "the id 3"),  # type: ignore[arg-type]
        ([JudgedItem("p", 4, (), "a", "a")], {}, "category 4"),  # type: ignore[arg-type]
        ([("p", None, (), "a", "a")], {}, "not a JudgedItem"),
        ([], {"top": -1}, "top"),
        ([], {"n_resamples": 0}, "n_resamples"),
        ([], {"confidence": 1.0}, "confidence"),
    ],
)
def test_calibrate_rejects_bad_input(items: Any, kwargs: dict[str, Any], message: str) -> None:
    """Bad items and options raise InvalidRatingsError naming what is wrong."""
    with pytest.raises(InvalidRatingsError, match=message):
        calibrate(items, **kwargs)


def test_verdict_functions_reject_unknown_values() -> None:
    """judge_verdict and human_consensus reject values that are not verdicts."""
    with pytest.raises(InvalidRatingsError, match="swapped is 'x'"):
        judge_verdict("a", "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidRatingsError, match="'B'"):
        human_consensus(["a", "B"])  # type: ignore[list-item]


def test_kendall_tau_matches_scipy_and_the_naive_count() -> None:
    """τ-b and its p-value equal SciPy's, and τ-b a pair-by-pair count, with and without ties."""
    rng = np.random.default_rng(5)
    for n in (2, 3, 5, 8, 20, 33, 34, 60):
        for tied in (False, True):
            x = (rng.integers(0, 4, n) if tied else rng.permutation(n)).astype(np.float64)
            y = x + rng.normal(0, 2, n) if n > 3 else rng.permutation(n).astype(np.float64)
            if tied:
                y = np.round(y)
            if np.ptp(x) == 0 or np.ptp(y) == 0:
                continue
            got = kendall_tau(x.tolist(), y.tolist())
            ref = kendalltau(x, y)
            assert got.n == n
            assert got.tau == pytest.approx(ref.statistic, abs=1e-12)
            assert got.tau == pytest.approx(naive_tau_b(x.tolist(), y.tolist()), abs=1e-12)
            assert got.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_kendall_exact_p_value_by_enumeration() -> None:
    """Without ties at n = 6 the p-value is the share of the 720 orders at least as extreme."""
    y = [2, 1, 4, 3, 6, 5]
    observed = abs(naive_tau_b(list(range(6)), [float(v) for v in y]))
    taus = [
        abs(naive_tau_b(list(range(6)), list(map(float, p))))
        for p in itertools.permutations(range(6))
    ]
    expected = sum(t >= observed - 1e-12 for t in taus) / len(taus)
    assert kendall_tau(list(range(6)), y).p_value == pytest.approx(expected, rel=1e-12)


def test_kendall_interval() -> None:
    """tanh(atanh τ ± z·√(0.437/(n − 4))) for n > 4, None otherwise, the point at τ = 1."""
    x, y = list(range(10)), [0, 2, 1, 3, 4, 6, 5, 7, 9, 8]
    got = kendall_tau(x, y, confidence=0.9)
    tau = 1 - 2 * 3 / 45  # 3 discordant pairs of 45
    half = norm.ppf(0.95) * math.sqrt(0.437 / 6)
    expected = RankCorrelation(
        tau, kendalltau(x, y).pvalue, 10, math.tanh(math.atanh(tau) - half),
        math.tanh(math.atanh(tau) + half),
    )  # fmt: skip
    assert dataclasses.astuple(got) == pytest.approx(dataclasses.astuple(expected))
    short = kendall_tau([1, 2, 3, 4], [1, 3, 2, 4])
    assert (short.low, short.high, short.n) == (None, None, 4)
    perfect = kendall_tau(list(range(8)), list(range(8)))
    reverse = kendall_tau(list(range(8)), list(range(8, 0, -1)))
    assert [perfect.tau, perfect.low, perfect.high] == [1.0, 1.0, 1.0]
    assert [reverse.tau, reverse.low, reverse.high] == [-1.0, -1.0, -1.0]


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1, 2, 3], [1, 2], "x has 3 values but y has 2"),
        ([1], [1], "at least two"),
        ([], [], "at least two"),
        ([1, float("nan"), 3], [1, 2, 3], r"x\[1\] is nan"),
        ([1, 2, 3], [1, 2, float("inf")], r"y\[2\] is inf"),
        ([1, 1, 1], [1, 2, 3], "every value of x is equal"),
        ([[1, 2], [3, 4]], [1, 2], "one-dimensional"),
        (["a", "b"], [1, 2], "sequence of numbers"),
    ],
)
def test_kendall_rejects_bad_input(x: Any, y: Any, message: str) -> None:
    """Mismatched lengths, fewer than two models, non-finite or constant ratings raise."""
    with pytest.raises(InvalidRatingsError, match=message):
        kendall_tau(x, y)


verdicts = st.sampled_from(VERDICTS)
maybe = st.none() | verdicts


@st.composite
def judged_items(draw: st.DrawFn) -> list[JudgedItem]:
    rows = draw(
        st.lists(
            st.tuples(
                st.lists(verdicts, max_size=4), maybe, maybe, st.sampled_from([None, "x", "y"])
            ),
            max_size=25,
        )
    )
    return [JudgedItem(f"p{k}", c, tuple(h), f, s) for k, (h, f, s, c) in enumerate(rows)]


@PROPERTY
@given(judged_items())
def test_bounds_and_counts(items: list[JudgedItem]) -> None:
    """κ ≤ 1, agreement in [0, 1], every interval brackets its estimate, and the counts add up."""
    got = calibrate(items, n_resamples=30, seed=1)
    for agreement in [got.overall, *got.by_category.values()]:
        if agreement.percent is not None:
            assert (
                0 <= agreement.percent.low <= agreement.percent.value <= agreement.percent.high <= 1
            )
        if agreement.kappa is not None:
            assert -1 <= agreement.kappa.low <= agreement.kappa.value <= agreement.kappa.high <= 1
        assert sum(sum(row.values()) for row in agreement.confusion.values()) == agreement.items
        assert (agreement.percent is None) == (agreement.items == 0)
    assert got.overall.items == got.judged
    voted = sum(1 for x in items if x.human)
    answered = sum(1 for x in items if x.first is not None or x.swapped is not None)
    assert (got.judged + got.humans_only, got.judged + got.judge_only) == (voted, answered)
    assert all(d.gap > 0 for d in got.disagreements)
    for name, agreement in got.by_category.items():
        own = [x for x in items if x.category == name]
        assert points(agreement) == points(calibrate(own, n_resamples=2).overall)


@PROPERTY
@given(judged_items())
def test_relabelling_a_and_b_changes_nothing(items: list[JudgedItem]) -> None:
    """Swapping the item's outputs (a↔b everywhere, first and swapped exchanged) leaves
    agreement, κ, their intervals and the position bias unchanged."""
    relabelled = [
        JudgedItem(
            x.item, x.category, tuple(FLIP[v] for v in x.human), FLIP[x.swapped], FLIP[x.first]
        )
        for x in items
    ]
    got, again = calibrate(items, n_resamples=30), calibrate(relabelled, n_resamples=30)
    assert (got.overall.percent, got.overall.kappa) == (again.overall.percent, again.overall.kappa)
    assert {k: (g.percent, g.kappa) for k, g in got.by_category.items()} == {
        k: (g.percent, g.kappa) for k, g in again.by_category.items()
    }
    assert got.position_bias == again.position_bias
    assert [(d.item, d.gap) for d in got.disagreements] == [
        (d.item, d.gap) for d in again.disagreements
    ]


@given(maybe, maybe)
def test_judge_verdict_is_symmetric(first: Verdict | None, swapped: Verdict | None) -> None:
    """The judge verdict does not depend on which order is called first."""
    assert judge_verdict(first, swapped) == judge_verdict(swapped, first)


@PROPERTY
@given(st.lists(st.lists(verdicts, min_size=1, max_size=4), min_size=1, max_size=25))
def test_a_judge_copying_the_people_agrees_fully(votes: list[list[Verdict]]) -> None:
    """A judge that answers the human consensus in both orders has agreement 1 and, when
    two or more consensus verdicts occur, κ 1."""
    items = [
        JudgedItem(f"p{k}", None, tuple(v), human_consensus(v), human_consensus(v))
        for k, v in enumerate(votes)
    ]
    got = calibrate(items, n_resamples=30).overall
    assert got.percent == Estimate(1.0, 1.0, 1.0, len(votes))
    several = len({human_consensus(v) for v in votes}) > 1
    assert got.kappa == (Estimate(1.0, 1.0, 1.0, len(votes)) if several else None)


@PROPERTY
@given(st.lists(verdicts, max_size=8))
def test_human_consensus_is_a_most_voted_verdict(votes: list[Verdict]) -> None:
    """The consensus equals a direct count: the single most voted verdict, else a tie."""
    assert human_consensus(votes) == naive_consensus(tuple(votes))
