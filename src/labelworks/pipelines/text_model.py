"""The built-in baseline model for text ``choice`` and ``multi_choice`` fields: TF-IDF
features and logistic regression (scikit-learn), with an honest estimate of its accuracy.

Pure: texts and labels in, a fitted model and its held-out figures out. The service
(``services/assist.py``) reads final labels, trains this in a background job and stores its
suggestions as pre-annotations.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

__all__ = [
    "Evaluation",
    "Suggestion",
    "TextModel",
    "fit_text_model",
    "new_classifier",
    "new_vectorizer",
    "wilson",
]

# Held-out folds for the accuracy estimate; fewer when a label has fewer examples.
FOLDS = 5
# A multi-label suggestion includes each label at least this likely.
THRESHOLD = 0.5
_MAX_FEATURES = 200_000


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Figures from predicting each training label with a model that did not see it
    (k-fold): accuracy (exact set for multi-label) with its 95% Wilson interval, and
    macro-F1 over the labels."""

    n: int
    folds: int
    accuracy: float
    low: float
    high: float
    macro_f1: float


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A model's answer for one text: the label (or labels) and how sure it is (0-1)."""

    value: str | list[str]
    score: float


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval for a proportion (a sound interval at small n)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _macro_f1(truth: np.ndarray, guess: np.ndarray) -> float:
    """Macro-F1 over the columns of two 0/1 label matrices (one column per label)."""
    scores = []
    for k in range(truth.shape[1]):
        tp = int(np.sum((truth[:, k] == 1) & (guess[:, k] == 1)))
        fp = int(np.sum((truth[:, k] == 0) & (guess[:, k] == 1)))
        fn = int(np.sum((truth[:, k] == 1) & (guess[:, k] == 0)))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def new_vectorizer() -> Any:
    """The model's features: TF-IDF over words and word pairs (unfitted)."""
    return TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, max_features=_MAX_FEATURES, dtype=np.float32
    )


def new_classifier(*, multi: bool, seed: int = 0) -> Any:
    """The model's classifier (unfitted): logistic regression, one per label for a set."""
    base = LogisticRegression(max_iter=1000, C=4.0, random_state=seed)
    return OneVsRestClassifier(base) if multi else base


class TextModel:
    """A fitted baseline: ``suggest`` answers texts; ``labels`` are those it can give."""

    def __init__(self, *, multi: bool, seed: int = 0) -> None:
        self.multi = multi
        self.seed = seed
        self.labels: list[str] = []
        self._vectorizer: Any = None
        self._classifier: Any = None
        self._binarizer: MultiLabelBinarizer | None = None

    def _new(self) -> tuple[Any, Any]:
        return new_vectorizer(), new_classifier(multi=self.multi, seed=self.seed)

    def _targets(self, answers: Sequence[str | Sequence[str]]) -> Any:
        if not self.multi:
            return np.asarray(answers, dtype=object)
        assert self._binarizer is not None
        return self._binarizer.transform([list(a) for a in answers])

    def fit(self, texts: Sequence[str], answers: Sequence[str | Sequence[str]]) -> TextModel:
        if self.multi:
            self._binarizer = MultiLabelBinarizer()
            self._binarizer.fit([list(a) for a in answers])
            self.labels = [str(c) for c in self._binarizer.classes_]
        else:
            self.labels = sorted({str(a) for a in answers})
        self._vectorizer, self._classifier = self._new()
        features = self._vectorizer.fit_transform(texts)
        self._classifier.fit(features, self._targets(answers))
        return self

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, one column per label (``labels``' order)."""
        features = self._vectorizer.transform(texts)
        return np.asarray(self._classifier.predict_proba(features), dtype=np.float64)

    def suggest(self, texts: Sequence[str]) -> list[Suggestion]:
        if not texts:
            return []
        probs = self.probabilities(texts)
        out = []
        for row in probs:
            if self.multi:
                chosen = [self.labels[k] for k in np.flatnonzero(row >= THRESHOLD)]
                # Sure of a set only as far as it is sure of each label's presence or absence.
                score = float(np.min(np.maximum(row, 1 - row)))
                out.append(Suggestion(chosen, score))
            else:
                best = int(np.argmax(row))
                out.append(Suggestion(self.labels[best], float(row[best])))
        return out


def _folds(answers: Sequence[str | Sequence[str]], multi: bool, seed: int) -> list[Any]:
    n = len(answers)
    if multi:
        k = min(FOLDS, n)
        return list(KFold(k, shuffle=True, random_state=seed).split(np.zeros(n)))
    smallest = min(Counter(str(a) for a in answers).values())
    k = max(2, min(FOLDS, smallest))
    if smallest < 2:
        k = min(FOLDS, n)
        return list(KFold(k, shuffle=True, random_state=seed).split(np.zeros(n)))
    strat = np.asarray([str(a) for a in answers], dtype=object)
    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(n), strat))


def evaluate(
    texts: Sequence[str], answers: Sequence[str | Sequence[str]], *, multi: bool, seed: int = 0
) -> Evaluation:
    """Accuracy and macro-F1 of models trained without each fold, on that fold."""
    labels = (
        sorted({label for a in answers for label in a})
        if multi
        else sorted({str(a) for a in answers})
    )
    index = {label: k for k, label in enumerate(labels)}
    truth = np.zeros((len(answers), len(labels)), dtype=np.int8)
    for i, a in enumerate(answers):
        for label in a if multi else [str(a)]:
            truth[i, index[label]] = 1
    guess = np.zeros_like(truth)
    splits = _folds(answers, multi, seed)
    for train, test in splits:
        part = [answers[i] for i in train]
        if len({str(a) for a in part} if not multi else {x for a in part for x in a}) < 2:
            # A fold that saw one label only can only say that label.
            only = str(part[0]) if not multi else None
            for i in test:
                if only is not None:
                    guess[i, index[only]] = 1
            continue
        model = TextModel(multi=multi, seed=seed).fit([texts[i] for i in train], part)
        for i, s in zip(test, model.suggest([texts[i] for i in test]), strict=True):
            for label in s.value if isinstance(s.value, list) else [s.value]:
                guess[i, index[label]] = 1
    right = int(np.sum(np.all(truth == guess, axis=1)))
    low, high = wilson(right, len(answers))
    return Evaluation(
        n=len(answers),
        folds=len(splits),
        accuracy=right / len(answers),
        low=low,
        high=high,
        macro_f1=_macro_f1(truth, guess),
    )


def fit_text_model(
    texts: Sequence[str],
    answers: Sequence[str | Sequence[str]],
    *,
    multi: bool,
    seed: int = 0,
) -> tuple[TextModel, Evaluation]:
    """Fit on every labelled text and estimate accuracy by k-fold; at least two texts and,
    for a single-choice field, two different labels."""
    if len(texts) != len(answers):
        raise ValueError("texts and answers differ in length")
    distinct = {x for a in answers for x in a} if multi else {str(a) for a in answers}
    if len(texts) < 2 or (not multi and len(distinct) < 2):
        raise ValueError("the model needs at least two labelled texts with two different labels")
    evaluation = evaluate(texts, answers, multi=multi, seed=seed)
    return TextModel(multi=multi, seed=seed).fit(texts, answers), evaluation
