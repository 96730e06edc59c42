"""Model metrics against reference labels: known answers, scikit-learn cross-checks,
bootstrap properties, interval coverage and bad input."""

from __future__ import annotations

import dataclasses
import doctest
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    hamming_loss,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import MultiLabelBinarizer

from labelworks.stats import InvalidRatingsError, model_comparison, model_metrics
from labelworks.stats.model_metrics import (
    Estimate,
    classification_report,
    multilabel_report,
    structured_report,
)
from labelworks.stats.structured import _match

PROPERTY = settings(max_examples=60, deadline=None)
NAN = float("nan")
REF = ["a", "a", "a", "b", "b", "c", "c", "c"]
PRED = ["a", "a", "b", "b", "c", "c", "c", "a"]


def points(obj: Any) -> Any:
    """The result as plain data, every Estimate replaced by its value rounded to 12 places
    (and −0 by 0)."""
    if isinstance(obj, Estimate):
        obj = obj.value
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
    if isinstance(obj, list):
        return [e for x in obj for e in estimates(x)]
    return []


def scores(label: str, p: float, r: float, f: float, support: int, predicted: int) -> dict:
    return {"label": label, "precision": p, "recall": r, "f1": f, "support": support,
            "predicted": predicted}  # fmt: skip


def assert_brackets(result: Any) -> None:
    """Every defined Estimate has low ≤ value ≤ high; an undefined value has no interval."""
    for e in estimates(result):
        if np.isnan(e.value):
            assert np.isnan(e.low) and np.isnan(e.high)
        elif not np.isnan(e.low):
            assert e.low <= e.value <= e.high


def test_doctests() -> None:
    """The docstring examples of both modules run and print what they show."""
    for module in (model_metrics, model_comparison):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert (result.failed, result.attempted > 0) == (0, True)


def test_classification_known_answer() -> None:
    """The whole report on eight items, worked by hand; label d has no support or predictions."""
    got = classification_report(REF, PRED, labels=["a", "b", "c", "d"], seed=1)
    expected = {
        "n": 8,
        "labels": ["a", "b", "c", "d"],
        "accuracy": 5 / 8,
        "macro_f1": (2 / 3 + 1 / 2 + 2 / 3) / 3,
        "kappa": 3 / 7,  # p_o = 5/8, p_e = (3·3 + 2·2 + 3·3) / 64
        "classes": [
            scores("a", 2 / 3, 2 / 3, 2 / 3, 3, 3),
            scores("b", 1 / 2, 1 / 2, 1 / 2, 2, 2),
            scores("c", 2 / 3, 2 / 3, 2 / 3, 3, 3),
            scores("d", NAN, NAN, NAN, 0, 0),
        ],
        "confusion": [[2, 1, 0, 0], [0, 1, 1, 0], [1, 0, 2, 0], [0, 0, 0, 0]],
        "calibration": None,
    }
    np.testing.assert_equal(points(got), points(expected))
    d = got.classes[3]
    assert [d.precision.low, d.f1.high] == pytest.approx([NAN, NAN], nan_ok=True)
    assert_brackets(got)


def sklearn_classification(ref: list[str], pred: list[str], names: list[str]) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, s = precision_recall_fscore_support(ref, pred, labels=names, zero_division=np.nan)
        return {
            "accuracy": accuracy_score(ref, pred),
            "macro_f1": f1_score(ref, pred, labels=names, average="macro", zero_division=np.nan),
            "kappa": cohen_kappa_score(ref, pred, labels=names),
            "confusion": confusion_matrix(ref, pred, labels=names).tolist(),
            "classes": [
                scores(*row, int(sum(x == row[0] for x in pred)))
                for row in zip(names, p, r, f, s.tolist(), strict=True)
            ],
        }


def test_classification_matches_sklearn_on_the_example() -> None:
    """Point estimates equal scikit-learn's on the worked example."""
    got = points(classification_report(REF, PRED, n_resamples=10, seed=0))
    expected = points(sklearn_classification(REF, PRED, ["a", "b", "c"]))
    np.testing.assert_equal({key: got[key] for key in expected}, expected)


labels_st = st.sampled_from(["a", "b", "c", "d"])


@st.composite
def paired_labels(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    n = draw(st.integers(1, 30))
    return draw(st.lists(labels_st, min_size=n, max_size=n)), draw(
        st.lists(labels_st, min_size=n, max_size=n)
    )


@PROPERTY
@given(paired_labels(), st.booleans())
def test_classification_matches_sklearn(data: tuple[list[str], list[str]], extra: bool) -> None:
    """On random labels (with an extra label nobody used, or not) the point estimates are
    scikit-learn's, and every interval brackets its estimate."""
    ref, pred = data
    labels = ["a", "b", "c", "d", "e"] if extra else None
    report = classification_report(ref, pred, labels=labels, n_resamples=50, seed=0)
    got = points(report)
    expected = points(sklearn_classification(ref, pred, report.labels))
    np.testing.assert_equal({key: got[key] for key in expected}, expected)
    assert report.labels == (labels or sorted(set(ref) | set(pred)))
    assert_brackets(report)


@PROPERTY
@given(paired_labels(), st.integers(0, 2**32 - 1))
def test_bootstrap_is_deterministic_with_a_seed(
    data: tuple[list[str], list[str]], seed: int
) -> None:
    """The same seed gives the same report, intervals included."""
    ref, pred = data
    probs = np.full((len(ref), len(set(ref) | set(pred))), 1 / len(set(ref) | set(pred)))
    first, second = (
        dataclasses.asdict(
            classification_report(ref, pred, probabilities=probs, n_resamples=200, seed=seed)
        )
        for _ in range(2)
    )
    np.testing.assert_equal(first, second)


def test_calibration_known_answer() -> None:
    """Brier score, ECE and bins worked by hand on four items in five bins."""
    probs = [[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]]
    ref = ["a", "b", "b", "a"]
    report = classification_report(ref, ["a", "a", "b", "b"], probabilities=probs, bins=5, seed=3)
    # Σ_k (p_k − y_k)²: 0.02, 0.72, 0.18, 1.28; top class right, wrong, right, wrong
    # bins (0.4, 0.6]: 0.6 wrong; (0.6, 0.8]: 0.7 right, 0.8 wrong; (0.8, 1]: 0.9 right
    expected = {
        "brier": 2.2 / 4,
        "ece": 1 / 4 * 0.6 + 2 / 4 * abs(0.75 - 0.5) + 1 / 4 * abs(0.9 - 1),
        "bins": [
            {"lower": 0.0, "upper": 0.2, "count": 0, "confidence": NAN, "accuracy": NAN},
            {"lower": 0.2, "upper": 0.4, "count": 0, "confidence": NAN, "accuracy": NAN},
            {"lower": 0.4, "upper": 0.6, "count": 1, "confidence": 0.6, "accuracy": 0.0},
            {"lower": 0.6, "upper": 0.8, "count": 2, "confidence": 0.75, "accuracy": 0.5},
            {"lower": 0.8, "upper": 1.0, "count": 1, "confidence": 0.9, "accuracy": 1.0},
        ],
    }
    np.testing.assert_equal(points(report.calibration), points(expected))
    assert_brackets(report)


def test_calibration_of_a_perfect_model() -> None:
    """Certain, correct probabilities have Brier score and ECE 0, with a [0, 0] interval."""
    ref = ["x", "y", "y", "x", "z"]
    probs = np.eye(3)[[0, 1, 1, 0, 2]]
    cal = classification_report(ref, ref, probabilities=probs, seed=0).calibration
    assert cal is not None
    assert (cal.brier, cal.ece) == (Estimate(0.0, 0.0, 0.0), Estimate(0.0, 0.0, 0.0))
    assert [b.count for b in cal.bins] == [0] * 9 + [5]


def test_label_metrics_do_not_depend_on_probabilities() -> None:
    """Giving probabilities adds calibration and leaves the other intervals as they were."""
    probs = np.full((len(REF), 3), 1 / 3)
    plain = classification_report(REF, PRED, seed=7)
    calibrated = classification_report(REF, PRED, probabilities=probs, seed=7)
    assert dataclasses.replace(calibrated, calibration=None) == plain


def test_accuracy_interval_covers_the_true_accuracy() -> None:
    """Over 200 simulated data sets of 100 items (true accuracy 0.8) the 95% interval holds
    the true accuracy in at least 88% of them."""
    rng = np.random.default_rng(2024)
    labels = ["x", "y", "z"]
    covered = 0
    for sim in range(200):
        ref = rng.integers(0, 3, 100)
        pred = np.where(rng.random(100) < 0.8, ref, (ref + rng.integers(1, 3, 100)) % 3)
        acc = classification_report(
            [labels[i] for i in ref], [labels[i] for i in pred], labels=labels, seed=sim
        ).accuracy
        covered += acc.low <= 0.8 <= acc.high
    assert covered >= 176


def sets_st(n: int) -> st.SearchStrategy[list[set[str]]]:
    return st.lists(st.sets(st.sampled_from(["x", "y", "z"])), min_size=n, max_size=n)


@st.composite
def paired_sets(draw: st.DrawFn) -> tuple[list[set[str]], list[set[str]]]:
    n = draw(st.integers(1, 25))
    return draw(sets_st(n)), draw(sets_st(n))


def test_multilabel_known_answer() -> None:
    """The whole multi-label report on three items, worked by hand."""
    ref = [{"x", "y"}, {"y"}, set()]
    pred = [{"x"}, {"y", "z"}, set()]
    got = multilabel_report(ref, pred, seed=0)
    expected = {
        "n": 3,
        "labels": ["x", "y", "z"],
        "subset_accuracy": 1 / 3,
        "micro_f1": 2 * 2 / (3 + 3),
        "macro_f1": (1 + 2 / 3 + 0) / 3,
        "hamming_loss": 2 / 9,
        "classes": [
            scores("x", 1.0, 1.0, 1.0, 1, 1),
            scores("y", 1.0, 0.5, 2 / 3, 2, 1),
            scores("z", 0.0, NAN, 0.0, 0, 1),
        ],
    }
    np.testing.assert_equal(points(got), points(expected))
    assert_brackets(got)


@PROPERTY
@given(paired_sets())
def test_multilabel_matches_sklearn(data: tuple[list[set[str]], list[set[str]]]) -> None:
    """On random label sets the point estimates are scikit-learn's."""
    ref, pred = data
    report = multilabel_report(ref, pred, labels=["x", "y", "z"], n_resamples=50, seed=0)
    binarize = MultiLabelBinarizer(classes=["x", "y", "z"])
    y, yp = binarize.fit_transform(ref), binarize.fit_transform(pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, s = precision_recall_fscore_support(y, yp, average=None, zero_division=np.nan)
        expected = {
            "subset_accuracy": accuracy_score(y, yp),
            "micro_f1": f1_score(y, yp, average="micro", zero_division=np.nan),
            "macro_f1": f1_score(y, yp, average="macro", zero_division=np.nan),
            "hamming_loss": hamming_loss(y, yp),
            "classes": [
                scores(*row, int(c)) for row, c in zip(
                    zip(["x", "y", "z"], p, r, f, s.tolist(), strict=True), yp.sum(axis=0),
                    strict=True)
            ],
        }  # fmt: skip
    got = points(report)
    np.testing.assert_equal({key: got[key] for key in expected}, points(expected))
    assert_brackets(report)


SPANS_REF = [[((0, 5), "PER"), ((10, 15), "ORG")], [((3, 8), "PER")], []]
SPANS_PRED = [[((0, 5), "PER"), ((11, 15), "ORG")], [((3, 8), "PER"), ((20, 25), "LOC")], []]


def test_structured_exact_spans() -> None:
    """With threshold 1.0 only identical boundaries match; per-label scores follow."""
    got = structured_report(SPANS_REF, SPANS_PRED, threshold=1.0, seed=0)
    expected = {
        "n": 3,
        "precision": 2 / 4,
        "recall": 2 / 3,
        "f1": 2 * 2 / (4 + 3),
        "matched": 2,
        "predicted": 4,
        "reference": 3,
        "classes": [
            scores("LOC", 0.0, NAN, 0.0, 0, 1),
            scores("ORG", 0.0, 0.0, 0.0, 1, 1),
            scores("PER", 1.0, 1.0, 1.0, 2, 2),
        ],
    }
    np.testing.assert_equal(points(got), points(expected))
    assert_brackets(got)


def test_structured_overlapping_spans_match_below_exact() -> None:
    """At IoU 0.5 the ORG spans (IoU 0.8) match as well."""
    got = structured_report(SPANS_REF, SPANS_PRED, threshold=0.5, seed=0)
    assert (got.matched, got.classes[1].f1.value, round(got.f1.value, 6)) == (3, 1.0, 0.857143)


BOXES_REF = [[((0, 0, 10, 10), "cat"), ((20, 20, 30, 30), "cat")]]
BOXES_PRED = [[((0, 0, 10, 8), "cat"), ((25, 20, 35, 30), "cat"), ((0, 0, 10, 10), "dog")]]


@pytest.mark.parametrize(
    ("threshold", "matched"), [(0.0, 2), (0.3, 2), (0.5, 1), (0.8, 1), (0.85, 0), (1.0, 0)]
)
def test_structured_boxes_at_iou_threshold(threshold: float, matched: int) -> None:
    """Boxes with IoU 0.8 and 1/3 match at thresholds up to their IoU; the dog box, on top of
    a cat, never matches a cat."""
    got = structured_report(BOXES_REF, BOXES_PRED, threshold=threshold, n_resamples=20, seed=0)
    assert (got.matched, got.predicted, got.reference) == (matched, 3, 2)
    assert [c.label for c in got.classes] == ["cat", "dog"]
    assert got.classes[1].precision.value == 0.0


def test_structured_empty_items() -> None:
    """Items with no objects on either side count in n and contribute nothing; with no
    object anywhere every score is undefined."""
    got = structured_report([[], [((0, 1), "x")], []], [[], [((0, 1), "x")], []], seed=0)
    assert (got.n, got.f1, got.matched) == (3, Estimate(1.0, 1.0, 1.0), 1)
    empty = structured_report([[], []], [[], []], seed=0)
    np.testing.assert_equal(
        points(empty),
        {"n": 2, "precision": NAN, "recall": NAN, "f1": NAN, "matched": 0, "predicted": 0,
         "reference": 0, "classes": []},
    )  # fmt: skip
    assert np.isnan([empty.f1.low, empty.f1.high]).all()


span_st = st.tuples(st.integers(0, 20), st.integers(1, 6), st.sampled_from(["p", "q"])).map(
    lambda s: ((float(s[0]), float(s[0] + s[1])), s[2])
)


@PROPERTY
@given(
    st.lists(st.tuples(st.lists(span_st, max_size=4), st.lists(span_st, max_size=4)), min_size=1),
    st.sampled_from([0.0, 0.3, 0.5, 1.0]),
)
def test_structured_matches_the_agreement_matching(
    items: list[tuple[list[Any], list[Any]]], threshold: float
) -> None:
    """Matching label by label finds as many pairs as the agreement module's matching over
    all objects at once, and the counts add up."""
    ref, pred = [r for r, _ in items], [p for _, p in items]
    got = structured_report(ref, pred, threshold=threshold, n_resamples=20, seed=0)
    assert got.matched == sum(_match(r, p, threshold, True) for r, p in items)
    assert (got.reference, got.predicted) == (sum(map(len, ref)), sum(map(len, pred)))
    assert [sum(c.support for c in got.classes), sum(c.predicted for c in got.classes)] == [
        got.reference,
        got.predicted,
    ]
    assert_brackets(got)


def with_probabilities(rows: list[list[float]]) -> Any:
    """A report on two items, labelled a and b, whose probabilities are ``rows`` twice."""
    return classification_report(["a", "b"], ["a", "b"], probabilities=rows * 2)


BAD = [
    (lambda: classification_report(["a"], ["a", "b"]), "lengths differ"),
    (lambda: classification_report([], []), "no items"),
    (lambda: classification_report("ab", "ab"), "sequence of labels"),
    (lambda: classification_report(["a"], ["b"], labels=["a"]), "'b' is not among"),
    (lambda: classification_report(["a"], ["a"], labels=["a", "a"]), "labels repeat a"),
    (lambda: classification_report(["a", "b"], ["a", "b"], confidence=1.0), "confidence"),
    (lambda: classification_report(["a", "b"], ["a", "b"], confidence=0), "confidence"),
    (lambda: classification_report(["a", "b"], ["a", "b"], n_resamples=0), "n_resamples"),
    (lambda: classification_report(REF, PRED, probabilities=[0.5] * 8), "len(labels) = 8 × 3"),
    (lambda: with_probabilities([[0.2, 0.3, 0.5]]), "3 columns but there are 2 labels"),
    (lambda: with_probabilities([[NAN, 1.0]]), "NaN or infinite"),
    (lambda: with_probabilities([[1.5, -0.5]]), "are negative"),
    (lambda: with_probabilities([[0.5, 0.6]]), "do not sum to 1"),
    (lambda: classification_report(["a"], ["a"], bins=0), "bins must be a positive integer"),
    (lambda: multilabel_report([{"x"}], [{"x"}, set()]), "lengths differ"),
    (lambda: multilabel_report([], []), "no items"),
    (lambda: multilabel_report(["xy"], [{"x"}]), "reference item 0 must be a collection"),
    (lambda: multilabel_report([{"x"}], [{"w"}], labels=["x"]), "predicted item 0: label 'w'"),
    (lambda: multilabel_report([{"x"}], [{"x"}], n_resamples=0), "n_resamples"),
    (lambda: structured_report([[]], [[], []]), "lengths differ"),
    (lambda: structured_report([], []), "no items"),
    (lambda: structured_report([[((5, 5), "x")]], [[]]), "end > start"),
    (lambda: structured_report([[((0, 1, 2), "x")]], [[]]), "end > start"),
    (lambda: structured_report([[((0, 1), "x")]], [[((0, 0, 1, 1), "x")]]), "mix coordinate"),
    (lambda: structured_report([[(0, 1)]], [[]]), "is not (coordinates, label)"),
    (lambda: structured_report([[]], [[]], threshold=1.5), "threshold must lie in [0, 1]"),
    (lambda: structured_report([[]], [[]], confidence=-0.1), "confidence"),
]


@pytest.mark.parametrize(("call", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input_is_refused_by_name(call: Any, message: str) -> None:
    """Each kind of bad input raises InvalidRatingsError with a message naming the problem."""
    with pytest.raises(InvalidRatingsError) as caught:
        call()
    assert message in str(caught.value)
