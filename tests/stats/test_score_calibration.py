"""An LLM judge's rubric scores against people's: a hand-worked calibration, scikit-learn's
weighted κ and SciPy's Kendall τ-b as references, degenerate and bad input, and properties
(bounds, a judge that copies the people, shifted scales, categories alone)."""

from __future__ import annotations

import dataclasses
import doctest
import math
import statistics
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau
from sklearn.metrics import cohen_kappa_score

from labelworks.stats import InvalidRatingsError, score_calibration
from labelworks.stats.rank_correlation import kendall_tau
from labelworks.stats.score_calibration import (
    Estimate,
    ModelScores,
    ScoreAgreement,
    ScoreCalibration,
    ScoreDisagreement,
    ScoredItem,
)
from labelworks.stats.score_calibration import score_calibration as calibrate

PROPERTY = settings(max_examples=60, deadline=None)
NOTHING = ScoreAgreement(0, None, None, None, None, None)


def points(obj: Any) -> Any:
    """The result as plain data, every Estimate replaced by its value and n, floats rounded
    to 12 places."""
    if isinstance(obj, Estimate):
        return ("estimate", points(obj.value), obj.n)
    if isinstance(obj, float):
        return round(obj, 12) + 0.0
    if dataclasses.is_dataclass(obj):
        return {f.name: points(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
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


def point(value: float, n: int) -> Estimate:
    """An Estimate whose interval `points` ignores."""
    return Estimate(value, 0.0, 0.0, n)


def rounded_median(scores: tuple[int, ...]) -> int:
    """The median rounded half up, by statistics.median."""
    return math.floor(statistics.median(scores) + 0.5)


def generated(n: int, low: int, high: int, seed: int) -> list[ScoredItem]:
    """Items whose human and judge scores scatter around a true score."""
    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        truth = int(rng.integers(low, high + 1))
        noise = rng.integers(-2, 3, size=int(rng.integers(0, 5)))
        human = tuple(int(v) for v in np.clip(truth + noise, low, high))
        judge = None if rng.random() < 0.1 else int(np.clip(truth + rng.integers(-1, 3), low, high))
        items.append(ScoredItem(f"q{k}", f"m{k % 4}", None, human, judge))
    return items


def test_doctests() -> None:
    """The docstring examples run and print what they show."""
    result = doctest.testmod(score_calibration, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert (result.failed, result.attempted > 0) == (0, True)


ITEMS = [
    ScoredItem("a1", "m1", "x", (4, 5), 5),  # median 4.5 → 5, mean 4.5
    ScoredItem("a2", "m1", "x", (3, 3, 4), 3),  # median 3, mean 10/3
    ScoredItem("a3", "m2", "x", (2,), 4),
    ScoredItem("a4", "m2", "y", (1, 2), 1),  # median 1.5 → 2, mean 1.5
    ScoredItem("a5", "m2", "y", (5,), 5),
    ScoredItem("a6", "m3", None, (), 2),
    ScoredItem("a7", "m3", None, (4,), None),
    ScoredItem("a8", "m4", "y", (), None),
]


def test_known_answer() -> None:
    """The whole calibration of eight items on 1–5, worked by hand."""
    got = calibrate(ITEMS, low=1, high=5, n_resamples=200, seed=3)
    # (median, judge): (5, 5) (3, 3) (2, 4) (2, 1) (5, 5); exact 3/5, within one 4/5;
    # judge − mean: 1/2, −1/3, 2, −1/2, 0 → 1/3. κ: n·Σ(i − j)²·p_ij = 5·(4 + 1) = 25 and
    # Σ(i − j)²·r_i·c_j = 103 (medians 2, 2, 3, 5, 5; judges 1, 3, 4, 5, 5), κ = 1 − 25/103.
    # τ-b: of 10 pairs 8 concordant, 1 discordant (a2–a3), 1 tied on the judge (a1–a5)
    expected = ScoreCalibration(
        overall=ScoreAgreement(
            5, point(0.6, 5), point(0.8, 5), point(1 / 3, 5), point(78 / 103, 5),
            point(7 / math.sqrt(90), 5),
        ),
        by_category={
            # κ = 1 − 3·4 / (5 + 5 + 14); τ-b: a1–a2, a1–a3 concordant, a2–a3 discordant
            "x": ScoreAgreement(
                3, point(2 / 3, 3), point(2 / 3, 3), point(13 / 18, 3), point(0.5, 3),
                point(1 / 3, 3),
            ),
            # κ = 1 − 2·1 / (10 + 16)
            "y": ScoreAgreement(
                2, point(0.5, 2), point(1.0, 2), point(-0.25, 2), point(12 / 13, 2),
                point(1.0, 2),
            ),
        },
        models=[
            ModelScores("m3", point(4.0, 1), point(2.0, 1)),
            ModelScores("m1", point((4.5 + 10 / 3) / 2, 2), point(4.0, 2)),
            ModelScores("m2", point((2 + 1.5 + 5) / 3, 3), point(10 / 3, 3)),
            ModelScores("m4", None, None),
        ],
        model_tau=kendall_tau([4.0, 47 / 12, 17 / 6], [2.0, 4.0, 10 / 3]),
        disagreements=[
            ScoreDisagreement("a3", "m2", "x", (2,), 4, 2.0),
            ScoreDisagreement("a1", "m1", "x", (4, 5), 5, 0.5),
            ScoreDisagreement("a4", "m2", "y", (1, 2), 1, 0.5),
            ScoreDisagreement("a2", "m1", "x", (3, 3, 4), 3, 1 / 3),
        ],
        judged=5,
        humans_only=1,
        judge_only=1,
    )  # fmt: skip
    assert points(got) == points(expected)
    assert got.model_tau is not None and got.model_tau.tau == pytest.approx(-1 / 3)
    for e in estimates(got):
        assert e.low <= e.value <= e.high
    assert got.disagreements[:2] == calibrate(ITEMS, low=1, high=5, top=2).disagreements


@pytest.mark.parametrize(("low", "high", "n"), [(1, 5, 40), (0, 10, 300), (-2, 2, 25), (1, 2, 30)])
def test_agreement_matches_references(low: int, high: int, n: int) -> None:
    """κ equals scikit-learn's quadratic-weighted κ, τ SciPy's τ-b, and exact, within one
    and the mean difference a direct count, on generated data."""
    items = generated(n, low, high, seed=n + low)
    judged = [x for x in items if x.human and x.judge is not None]
    median = [rounded_median(x.human) for x in judged]
    judge = [x.judge for x in judged if x.judge is not None]
    mean = [statistics.fmean(x.human) for x in judged]
    got = calibrate(items, low=low, high=high, n_resamples=50, seed=n).overall
    assert got.exact and got.within_one and got.mean_difference and got.kappa and got.tau
    assert got.items == len(judged)
    assert got.exact.value == pytest.approx(np.mean(np.equal(judge, median)), abs=1e-12)
    within = np.abs(np.subtract(judge, median)) <= 1
    assert got.within_one.value == pytest.approx(np.mean(within), abs=1e-12)
    assert got.mean_difference.value == pytest.approx(np.mean(np.subtract(judge, mean)), abs=1e-12)
    labels = list(range(low, high + 1))
    kappa = cohen_kappa_score(median, judge, weights="quadratic", labels=labels)
    assert got.kappa.value == pytest.approx(kappa, abs=1e-12)
    assert got.tau.value == pytest.approx(kendalltau(judge, mean).statistic, abs=1e-12)


def test_mean_difference_interval_is_near_the_normal_one() -> None:
    """On 4,000 items the bootstrap interval of the mean difference is about d ± 1.96·se."""
    rng = np.random.default_rng(2)
    judge = rng.integers(1, 8, size=4000)
    human = np.clip(judge + rng.integers(-1, 2, size=4000), 1, 7)
    items = [
        ScoredItem(f"q{k}", "m", None, (int(h),), int(j))
        for k, (h, j) in enumerate(zip(human, judge, strict=True))
    ]
    shift = calibrate(items, low=1, high=7, n_resamples=2000, seed=1).overall.mean_difference
    d = judge - human
    se = d.std() / math.sqrt(d.size)
    assert shift is not None and shift.value == pytest.approx(d.mean(), abs=1e-12)
    assert [shift.low, shift.high] == pytest.approx(
        [d.mean() - 1.96 * se, d.mean() + 1.96 * se], abs=0.003
    )


def test_model_order_and_tau() -> None:
    """Models sort by the people's mean, best first, then name, None last; model τ compares
    the models with both means."""
    items = [
        ScoredItem("1", "b", None, (3,), 3),
        ScoredItem("2", "a", None, (1, 5), 1),  # the same mean as b: by name
        ScoredItem("3", "z", None, (), 5),
        ScoredItem("4", "c", None, (4, 5), None),
        ScoredItem("5", "d", None, (2,), 4),
    ]
    got = calibrate(items, low=1, high=5, n_resamples=20)
    assert points(got.models) == points(
        [
            ModelScores("c", point(4.5, 1), None),
            ModelScores("a", point(3.0, 1), point(1.0, 1)),
            ModelScores("b", point(3.0, 1), point(3.0, 1)),
            ModelScores("d", point(2.0, 1), point(4.0, 1)),
            ModelScores("z", None, point(5.0, 1)),
        ]
    )
    assert got.model_tau == kendall_tau([3.0, 3.0, 2.0], [1.0, 3.0, 4.0])
    constant = [ScoredItem(str(k), f"m{k}", None, (3,), k + 1) for k in range(3)]
    assert calibrate(constant, low=1, high=5, n_resamples=20).model_tau is None
    assert calibrate(items[2:4], low=1, high=5, n_resamples=20).model_tau is None


def test_no_items() -> None:
    """No items give empty counts and None wherever a number is undefined."""
    assert calibrate([], low=1, high=5) == ScoreCalibration(NOTHING, {}, [], None, [], 0, 0, 0)


def test_all_scores_equal() -> None:
    """Everyone (judge included) always says 3: full agreement, κ and τ undefined."""
    items = [ScoredItem(f"q{k}", "m", "c", (3, 3), 3) for k in range(6)]
    one, zero = Estimate(1.0, 1.0, 1.0, 6), Estimate(0.0, 0.0, 0.0, 6)
    overall = ScoreAgreement(6, one, one, zero, None, None)
    three = Estimate(3.0, 3.0, 3.0, 6)
    assert calibrate(items, low=1, high=5, n_resamples=30) == ScoreCalibration(
        overall, {"c": overall}, [ModelScores("m", three, three)], None, [], 6, 0, 0
    )


def test_one_item() -> None:
    """One item: its shares and difference, κ 0 when the judge differs (None when not),
    τ None."""
    got = calibrate([ScoredItem("q", "m", None, (2, 3), 5)], low=1, high=5, n_resamples=10)
    assert got.overall == ScoreAgreement(
        1, Estimate(0.0, 0.0, 0.0, 1), Estimate(0.0, 0.0, 0.0, 1), Estimate(2.5, 2.5, 2.5, 1),
        Estimate(0.0, 0.0, 0.0, 1), None,
    )  # fmt: skip
    assert got.disagreements == [ScoreDisagreement("q", "m", None, (2, 3), 5, 2.5)]
    same = calibrate([ScoredItem("q", "m", None, (2, 3), 3)], low=1, high=5, n_resamples=10)
    assert (same.overall.kappa, same.overall.tau, same.disagreements[0].gap) == (None, None, 0.5)


def test_items_without_both_scores() -> None:
    """Items lacking human or judge scores count apart; their categories are empty."""
    items = [
        ScoredItem("p1", "m", "x", (2,), None),
        ScoredItem("p2", "m", "y", (), 4),
        ScoredItem("p3", "m", None, (5,), 5),
    ]
    got = calibrate(items, low=1, high=5, n_resamples=20)
    assert got.by_category == {"x": NOTHING, "y": NOTHING}
    assert (got.judged, got.humans_only, got.judge_only, got.overall.items) == (1, 1, 1, 1)
    assert points(got.models) == points([ModelScores("m", point(3.5, 2), point(4.5, 2))])


def test_interval_undefined_on_every_resample_is_the_whole_range() -> None:
    """κ and τ defined on the sample but on none of the resamples get the interval [−1, 1]."""
    items = [ScoredItem("p1", "m", None, (1,), 1), ScoredItem("p2", "m", None, (5,), 5)]
    got = [calibrate(items, low=1, high=5, n_resamples=1, seed=s).overall for s in range(20)]
    whole, point_one = Estimate(1.0, -1.0, 1.0, 2), Estimate(1.0, 1.0, 1.0, 2)
    assert {(a.kappa, a.tau) for a in got} == {(whole, whole), (point_one, point_one)}


def test_disagreements_order_and_limit() -> None:
    """Largest gap first, then more human scores, then item id; at most `top`; never 0."""
    items = [
        ScoredItem("c", "m", None, (1,), 3),  # gap 2, 1 score
        ScoredItem("b", "m", None, (1, 1), 3),  # gap 2, 2 scores
        ScoredItem("a", "m", None, (5,), 3),  # gap 2, 1 score
        ScoredItem("d", "m", None, (2, 3), 3),  # gap 1/2
        ScoredItem("e", "m", None, (3,), 3),  # gap 0
        ScoredItem("f", "m", None, (), 1),  # no human scores
    ]
    got = calibrate(items, low=1, high=5, n_resamples=10)
    assert [(d.item, d.gap) for d in got.disagreements] == [
        ("b", 2.0), ("a", 2.0), ("c", 2.0), ("d", 0.5)
    ]  # fmt: skip
    two = calibrate(items, low=1, high=5, n_resamples=10, top=2).disagreements
    assert [d.item for d in two] == ["b", "a"]
    assert calibrate(items, low=1, high=5, n_resamples=10, top=0).disagreements == []


def test_seeded_numpy_integers_and_lists() -> None:
    """The same seed gives the same result, also with NumPy integer scores or list inputs."""
    first = calibrate(ITEMS, low=1, high=5, seed=11)
    assert first == calibrate(ITEMS, low=1, high=5, seed=11)
    numpy_items = [
        dataclasses.replace(
            x,
            human=tuple(np.int64(v) for v in x.human),  # type: ignore[misc]
            judge=None if x.judge is None else np.int32(x.judge),  # type: ignore[arg-type]
        )
        for x in ITEMS
    ]
    listed = [dataclasses.replace(x, human=list(x.human)) for x in ITEMS]  # type: ignore[arg-type]
    assert calibrate(numpy_items, low=np.int64(1), high=5, seed=11) == first  # type: ignore[arg-type]
    assert calibrate(listed, low=1, high=5, seed=11) == first
    assert all(type(v) is int for d in first.disagreements for v in (*d.human, d.judge))


@pytest.mark.parametrize(
    ("items", "kwargs", "message"),
    [
        ([ScoredItem("p", "m", None, (1,), 1)] * 2, {}, "item 'p' appears twice"),
        ([ScoredItem("p", "m", None, (1, 6), 1)], {}, "item 'p' has the human score 6"),
        ([ScoredItem("p", "m", None, (0,), 1)], {}, "item 'p' has the human score 0"),
        ([ScoredItem("p", "m", None, (True,), 1)], {}, "human score True"),
        ([ScoredItem("p", "m", None, (2.0,), 1)], {}, "human score 2.0"),  # type: ignore[arg-type]
        ([ScoredItem("p", "m", None, ("3",), 1)], {}, "human score '3'"),  # type: ignore[arg-type]
        ([ScoredItem("p", "m", None, (1,), 9)], {}, "item 'p' has the judge score 9"),
        ([ScoredItem("p", "m", None, (1,), False)], {}, "judge score False"),
        ([ScoredItem("p", "m", None, (1,), 1.5)], {}, "judge score 1.5"),  # type: ignore[arg-type]
        ([ScoredItem("p", "m", None, "12", 1)], {}, "not '12'"),  # type: ignore[arg-type]
        ([ScoredItem("p", "m", None, 3, 1)], {}, "not 3"),  # type: ignore[arg-type]
        ([ScoredItem(3, "m", None, (), 1)], {}, "the id 3"),  # type: ignore[arg-type]
        ([ScoredItem("p", None, None, (), 1)], {}, "model None"),  # type: ignore[arg-type]
        ([ScoredItem("p", "m", 4, (), 1)], {}, "category 4"),  # type: ignore[arg-type]
        ([("p", "m", None, (), 1)], {}, "not a ScoredItem"),
        ([], {"low": 5, "high": 5}, "low must be below high"),
        ([], {"low": 5, "high": 1}, "low must be below high"),
        ([], {"low": 1.0}, "low must be an integer"),
        ([], {"high": True}, "high must be an integer"),
        ([], {"top": -1}, "top"),
        ([], {"n_resamples": 0}, "n_resamples"),
        ([], {"confidence": 1.0}, "confidence"),
    ],
)
def test_rejects_bad_input(items: Any, kwargs: dict[str, Any], message: str) -> None:
    """Bad items, scales and options raise InvalidRatingsError naming what is wrong."""
    with pytest.raises(InvalidRatingsError, match=message):
        calibrate(items, **{"low": 1, "high": 5, **kwargs})


SCALE = (1, 7)


@st.composite
def scored_items(draw: st.DrawFn, low: int = SCALE[0], high: int = SCALE[1]) -> list[ScoredItem]:
    score = st.integers(low, high)
    rows = draw(
        st.lists(
            st.tuples(
                st.lists(score, max_size=4),
                st.none() | score,
                st.sampled_from(["m1", "m2", "m3"]),
                st.sampled_from([None, "x", "y"]),
            ),
            max_size=25,
        )
    )
    return [ScoredItem(f"p{k}", m, c, tuple(h), j) for k, (h, j, m, c) in enumerate(rows)]


@PROPERTY
@given(scored_items())
def test_bounds_counts_and_categories(items: list[ScoredItem]) -> None:
    """κ and τ in [−1, 1], shares in [0, 1], every interval brackets its estimate, the counts
    add up, and each category equals calibrating its items alone."""
    got = calibrate(items, low=SCALE[0], high=SCALE[1], n_resamples=30, seed=1)
    for a in [got.overall, *got.by_category.values()]:
        for share in (a.exact, a.within_one):
            assert share is None or 0 <= share.low <= share.value <= share.high <= 1
        for coefficient in (a.kappa, a.tau):
            assert coefficient is None or -1 <= coefficient.low <= coefficient.high <= 1
        assert (a.exact is None) == (a.items == 0)
    for e in estimates(got):
        assert e.low <= e.value <= e.high
    assert got.overall.items == got.judged
    rated = sum(1 for x in items if x.human)
    answered = sum(1 for x in items if x.judge is not None)
    assert (got.judged + got.humans_only, got.judged + got.judge_only) == (rated, answered)
    assert all(d.gap > 0 for d in got.disagreements)
    assert sorted(s.model for s in got.models) == sorted({x.model for x in items})
    for name, agreement in got.by_category.items():
        own = [x for x in items if x.category == name]
        alone = calibrate(own, low=SCALE[0], high=SCALE[1], n_resamples=2).overall
        assert points(agreement) == points(alone)


@PROPERTY
@given(st.lists(st.integers(1, 5), min_size=1, max_size=25))
def test_a_judge_copying_the_people_agrees_fully(scores: list[int]) -> None:
    """A judge giving each item its one human score has exact and within-one 1, mean
    difference 0 and, when two or more scores occur, κ and τ 1."""
    items = [ScoredItem(f"p{k}", "m", None, (s,), s) for k, s in enumerate(scores)]
    got = calibrate(items, low=1, high=5, n_resamples=30).overall
    n, several = len(scores), len(set(scores)) > 1
    one = Estimate(1.0, 1.0, 1.0, n)
    assert (got.exact, got.within_one) == (one, one)
    assert got.mean_difference == Estimate(0.0, 0.0, 0.0, n)
    assert got.kappa is not None if several else got.kappa is None
    if got.kappa is not None:  # a resample may draw one score only: κ undefined there
        assert (got.kappa.value, got.kappa.high) == (1.0, 1.0)
        assert got.kappa.low in (-1.0, 1.0)
    assert (got.tau is not None and got.tau.value == 1.0) if several else got.tau is None


@PROPERTY
@given(scored_items(low=1, high=5), st.integers(-3, 2))
def test_shifting_every_score_changes_no_agreement(items: list[ScoredItem], shift: int) -> None:
    """Adding a constant to every score, human and judge, within the scale −2..7 leaves
    exact, within one, the mean difference, κ and τ unchanged, intervals included."""

    def moved(x: ScoredItem) -> ScoredItem:
        judge = None if x.judge is None else x.judge + shift
        return dataclasses.replace(x, human=tuple(v + shift for v in x.human), judge=judge)

    got = calibrate(items, low=-2, high=7, n_resamples=30)
    again = calibrate([moved(x) for x in items], low=-2, high=7, n_resamples=30)
    assert got.overall == again.overall
    assert got.by_category == again.by_category
    assert [(d.item, d.gap) for d in got.disagreements] == [
        (d.item, d.gap) for d in again.disagreements
    ]
