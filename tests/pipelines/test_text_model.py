"""The baseline text model: learns labels that words decide, estimates its accuracy on folds
it did not see (the same predictions as scikit-learn's own cross-validation), and gives
intervals that scipy's Wilson interval confirms."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

from labelworks.pipelines.text_model import (
    Suggestion,
    evaluate,
    fit_text_model,
    wilson,
)

WORDS = {"positive": ["great", "lovely", "superb"], "negative": ["awful", "broken", "poor"]}
FILLER = ["the", "item", "arrived", "today", "box", "was", "and", "it", "is"]


def _texts(n: int, seed: int = 3, noise: float = 0.0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        label = rng.choice(sorted(WORDS))
        said = (
            label if rng.random() >= noise else ("negative" if label == "positive" else "positive")
        )
        words = [*rng.sample(FILLER, 5), rng.choice(WORDS[said])]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def test_a_clear_signal_is_learnt_and_suggested_with_its_score() -> None:
    """On texts whose one telling word decides the label, held-out accuracy is perfect and
    new texts get the right label with a probability above one half."""
    texts, labels = _texts(200)
    model, evaluation = fit_text_model(texts, labels, multi=False)
    low, high = wilson(200, 200)
    assert (evaluation.n, evaluation.folds, evaluation.accuracy, evaluation.macro_f1) == (
        200,
        5,
        1.0,
        1.0,
    )
    assert (evaluation.low, evaluation.high) == (low, high)
    suggestions = model.suggest(["it was superb", "broken box", ""])
    assert [s.value for s in suggestions[:2]] == ["positive", "negative"]
    assert all(0.5 < s.score <= 1.0 for s in suggestions[:2])
    assert model.labels == ["negative", "positive"]


def test_the_estimate_is_scikit_learns_cross_validation() -> None:
    """With noisy labels the fold predictions equal cross_val_predict's on the same folds
    and pipeline, so the accuracy is the same number."""
    texts, labels = _texts(80, seed=5, noise=0.2)
    evaluation = evaluate(texts, labels, multi=False, seed=0)
    pipeline = make_pipeline(
        TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, max_features=200_000, dtype=np.float32
        ),
        LogisticRegression(max_iter=1000, C=4.0, random_state=0),
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    predicted = cross_val_predict(pipeline, texts, labels, cv=folds)
    expected = float(np.mean(predicted == np.asarray(labels)))
    assert evaluation.accuracy == pytest.approx(expected, abs=1e-12)
    assert 0.5 < evaluation.accuracy < 1.0


def test_multi_label_suggestions_are_sets() -> None:
    """A multi-choice model suggests every label its words name, and none for neither."""
    rng = random.Random(9)
    texts, answers = [], []
    for _ in range(200):
        tags = sorted(t for t in ("price", "delivery") if rng.random() < 0.5)
        words = rng.sample(FILLER, 4) + [
            w for t in tags for w in {"price": ["expensive"], "delivery": ["late"]}[t]
        ]
        texts.append(" ".join(words))
        answers.append(tags)
    model, evaluation = fit_text_model(texts, answers, multi=True)
    assert evaluation.accuracy == 1.0
    got = model.suggest(["expensive and late", "the box", "late again"])
    assert [s.value for s in got] == [["delivery", "price"], [], ["delivery"]]
    assert all(isinstance(s, Suggestion) and 0.5 <= s.score <= 1.0 for s in got)


def test_too_little_to_learn_from_is_refused() -> None:
    """One label only, or a single text, cannot make a classifier."""
    with pytest.raises(ValueError, match="two different labels"):
        fit_text_model(["a", "b", "c"], ["x", "x", "x"], multi=False)
    with pytest.raises(ValueError, match="two labelled texts"):
        fit_text_model(["a"], [["x"]], multi=True)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 400), st.integers(1, 400))
def test_wilson_is_scipys(successes: int, n: int) -> None:
    """The Wilson interval equals scipy's for any count."""
    successes = min(successes, n)
    ci = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(successes, n)
    assert (low, high) == (pytest.approx(ci.low, abs=1e-9), pytest.approx(ci.high, abs=1e-9))
