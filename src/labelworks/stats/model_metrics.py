"""A model's predictions against reference labels (final human labels or gold answers):
classification, calibration, multi-label and structured (span, segment, box) metrics, each
with a percentile bootstrap interval over items (resampled as
:mod:`labelworks.stats.model_comparison` describes, which also compares two models on the
same items; its names are re-exported here).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from labelworks.stats.model_comparison import (
    Estimate,
    McNemar,
    PairedComparison,
    _bootstrap,
    _check_lengths,
    _check_resampling,
    _distinct,
    _encode,
    _Found,
    _known,
    _label_names,
    _label_sets,
    _macro_f1,
    _Objects,
    _objects,
    _rows_table,
    _scores,
    _table,
    _types,
    paired_comparison,
)
from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError
from labelworks.stats.structured import _match

__all__ = [
    "Calibration",
    "CalibrationBin",
    "ClassScores",
    "ClassificationReport",
    "Estimate",
    "McNemar",
    "MultiLabelReport",
    "PairedComparison",
    "StructuredReport",
    "classification_report",
    "multilabel_report",
    "paired_comparison",
    "structured_report",
]

_ROW_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ClassScores:
    """Precision ``tp / predicted``, recall ``tp / support`` and F1
    ``2 tp / (support + predicted)`` of one label (van Rijsbergen 1979), NaN where the
    denominator is 0; ``support``: reference count, ``predicted``: the model's count."""

    label: str
    precision: Estimate
    recall: Estimate
    f1: Estimate
    support: int
    predicted: int


@dataclass(frozen=True)
class CalibrationBin:
    """Items whose top-class probability lies in ``(lower, upper]``, their mean top-class
    probability and their accuracy (NaN when ``count == 0``)."""

    lower: float
    upper: float
    count: int
    confidence: float
    accuracy: float


@dataclass(frozen=True)
class Calibration:
    """Multi-class Brier score (Brier 1950, "Verification of forecasts expressed in terms of
    probability", Monthly Weather Review 78): the mean over items of ``Σ_k (p_k − 1[y = k])²``
    (0 is perfect, 2 the worst). Expected calibration error (Naeini et al. 2015; Guo et al.
    2017, "On calibration of modern neural networks", ICML): ``Σ_b (n_b / n) |acc_b −
    conf_b|`` over equal-width bins of the top-class probability, where the top class is the
    argmax of the probabilities (the first in ``labels`` order on ties) and ``acc_b`` is how
    often it is the reference label."""

    brier: Estimate
    ece: Estimate
    bins: list[CalibrationBin]


@dataclass(frozen=True)
class ClassificationReport:
    """Single-label classification metrics; see :func:`classification_report`."""

    n: int
    labels: list[str]
    accuracy: Estimate
    macro_f1: Estimate
    kappa: Estimate
    classes: list[ClassScores]
    confusion: list[list[int]]
    calibration: Calibration | None


@dataclass(frozen=True)
class MultiLabelReport:
    """Multi-label metrics; see :func:`multilabel_report`."""

    n: int
    labels: list[str]
    subset_accuracy: Estimate
    micro_f1: Estimate
    macro_f1: Estimate
    hamming_loss: Estimate
    classes: list[ClassScores]


@dataclass(frozen=True)
class StructuredReport:
    """Object-level metrics over items; see :func:`structured_report`."""

    n: int
    precision: Estimate
    recall: Estimate
    f1: Estimate
    matched: int
    predicted: int
    reference: int
    classes: list[ClassScores]


def classification_report(
    reference: Sequence[str],
    predicted: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    probabilities: ArrayLike | None = None,
    bins: int = 10,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> ClassificationReport:
    """Accuracy, macro F1, Cohen's κ, per-label scores, the confusion matrix and, given
    ``probabilities`` (``n × len(labels)``, columns in ``labels`` order, rows summing to 1),
    calibration in ``bins`` bins, each with a bootstrap interval over items.

    ``labels`` defaults to the sorted union of both sequences. Macro F1 is the unweighted
    mean of per-label F1 over the labels with support or predictions (on a resample, those
    of the resample): scikit-learn's ``f1_score(average="macro", zero_division=np.nan)``,
    its plain ``average="macro"`` when ``labels`` is the default. κ = (p_o − p_e) /
    (1 − p_e) (Cohen 1960), NaN when p_e = 1. Calibration is resampled after, and apart
    from, the label metrics: their intervals do not change when probabilities are given.

    >>> r = classification_report(["a", "a", "b", "b"], ["a", "b", "b", "b"], seed=0)
    >>> r.accuracy.value, r.confusion, round(r.kappa.value, 3)
    (0.75, [[1, 1], [0, 2]], 0.5)
    """
    _check_resampling(n_resamples, confidence)
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InvalidRatingsError(f"bins must be a positive integer, got {bins!r}")
    names, (ref, pred) = _encode({"reference": reference, "predicted": predicted}, labels)
    n, k = ref.size, len(names)
    rng = np.random.default_rng(seed)
    first, counts = _types(ref * k + pred)
    r, p, rows = ref[first], pred[first], np.arange(first.size)
    hit = r == p
    table = _table(
        first.size, 3 * k, np.concatenate([rows[hit], rows, rows]),
        np.concatenate([r[hit], k + r, 2 * k + p]),
    )  # fmt: skip

    def metrics(sums: FloatArray) -> FloatArray:
        tp, support, guessed = sums[:, :k], sums[:, k : 2 * k], sums[:, 2 * k :]
        agree, chance = tp.sum(axis=1), (support * guessed).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            kappa = np.where(n * n > chance, (n * agree - chance) / (n * n - chance), np.nan)
        scores = _scores(tp, support, guessed)
        head = [agree / n, _macro_f1(scores[:, 2 * k :], support, guessed), kappa]
        return np.column_stack([*head, scores])

    values, totals = _bootstrap(table, counts, metrics, n_resamples, confidence, rng)
    confusion = np.bincount(ref * k + pred, minlength=k * k).reshape(k, k)
    calibration = None
    if probabilities is not None:
        calibration = _calibration(probabilities, ref, k, bins, n_resamples, confidence, rng)
    accuracy, macro_f1, kappa = values[:3]
    classes = _classes(names, values[3:], totals[k:])
    return ClassificationReport(
        n, names, accuracy, macro_f1, kappa, classes, confusion.tolist(), calibration
    )


def multilabel_report(
    reference: Sequence[Collection[str]],
    predicted: Sequence[Collection[str]],
    *,
    labels: Sequence[str] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> MultiLabelReport:
    """Subset accuracy (exact match), micro and macro F1, Hamming loss and per-label scores
    of label sets, each with a bootstrap interval over items (definitions as in Zhang & Zhou
    2014, "A review on multi-label learning algorithms", IEEE TKDE 26).

    Micro F1 is ``2 Σ tp / (Σ support + Σ predicted)``; macro F1 averages per-label F1 over
    the labels with support or predictions (scikit-learn's ``zero_division=np.nan``);
    Hamming loss is the share of the ``n × len(labels)`` item–label decisions that differ
    (Schapire & Singer 2000), so it depends on ``labels`` (default: the sorted union).

    >>> r = multilabel_report([{"x", "y"}, {"x"}], [{"x"}, {"x"}], seed=0)
    >>> r.subset_accuracy.value, r.hamming_loss.value, round(r.micro_f1.value, 3)
    (0.5, 0.25, 0.8)
    """
    _check_resampling(n_resamples, confidence)
    sides = {"reference": _label_sets(reference, "reference")}
    sides["predicted"] = _label_sets(predicted, "predicted")
    n = _check_lengths(sides)
    names = _label_names([x for s in sides.values() for item in s for x in item], labels)
    index = {name: j for j, name in enumerate(names)}
    for side, items in sides.items():
        for i, item in enumerate(items):
            _known(item, index, f"{side} item {i}")
    pairs, counts = _distinct(zip(*sides.values(), strict=True))
    k = len(names)
    table = _rows_table(
        [
            [(0, float(r == p))]
            + [(1 + index[x], 1.0) for x in r & p]
            + [(1 + k + index[x], 1.0) for x in r]
            + [(1 + 2 * k + index[x], 1.0) for x in p]
            for r, p in pairs
        ],
        1 + 3 * k,
    )

    def metrics(sums: FloatArray) -> FloatArray:
        tp, support, guessed = sums[:, 1 : k + 1], sums[:, k + 1 : 2 * k + 1], sums[:, 2 * k + 1 :]
        hits, marked = tp.sum(axis=1), support.sum(axis=1) + guessed.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            micro = np.where(marked > 0, 2 * hits / marked, np.nan)
            hamming = (marked - 2 * hits) / (n * k)
        scores = _scores(tp, support, guessed)
        macro = _macro_f1(scores[:, 2 * k :], support, guessed)
        return np.column_stack([sums[:, 0] / n, micro, macro, hamming, scores])

    rng = np.random.default_rng(seed)
    values, totals = _bootstrap(table, counts, metrics, n_resamples, confidence, rng)
    subset, micro, macro, hamming = values[:4]
    classes = _classes(names, values[4:], totals[1 + k :])
    return MultiLabelReport(n, names, subset, micro, macro, hamming, classes)


def structured_report(
    reference: Sequence[_Objects],
    predicted: Sequence[_Objects],
    *,
    threshold: float = 0.5,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> StructuredReport:
    """Object-level precision, recall and F1 of predicted spans, segments or boxes, micro
    over all objects and per label, each with a bootstrap interval over items.

    Each item is a list of ``(coordinates, label)``: ``(start, end)`` or ``(x_min, y_min,
    x_max, y_max)``, end > start. In each item, predicted objects are matched one-to-one to
    reference objects of the same label, greedily by decreasing IoU, a pair needing
    IoU ≥ ``threshold`` (PASCAL VOC, Everingham et al. 2010; the matching of
    :mod:`labelworks.stats.structured`); ``threshold=1.0`` demands exact boundaries (the
    CoNLL criterion, Tjong Kim Sang & De Meulder 2003), ``0`` any overlap. Precision is
    matched / predicted, recall matched / reference, F1 ``2 matched / (predicted +
    reference)``. An item with no objects on either side is an item contributing nothing.

    >>> ref = [[((0, 5), "PER"), ((10, 15), "ORG")], []]
    >>> pred = [[((0, 5), "PER"), ((11, 15), "ORG")], [((3, 4), "PER")]]
    >>> r = structured_report(ref, pred, threshold=1.0, seed=0)
    >>> r.matched, r.predicted, r.reference, round(r.f1.value, 3)
    (1, 3, 2, 0.4)
    """
    _check_resampling(n_resamples, confidence)
    if not 0 <= threshold <= 1:
        raise InvalidRatingsError(f"threshold must lie in [0, 1], got {threshold}")
    sides = {"reference": _objects(reference, "reference")}
    sides["predicted"] = _objects(predicted, "predicted")
    n = _check_lengths(sides)
    dims = {len(c) for items in sides.values() for item in items for c, _ in item}
    if len(dims) > 1:
        raise InvalidRatingsError(f"objects mix coordinate lengths {sorted(dims)}")
    names = _label_names([lab for s in sides.values() for item in s for _, lab in item], None)
    index = {name: j for j, name in enumerate(names)}
    k = len(names)

    def contributions(ref: _Found, pred: _Found) -> tuple[tuple[int, float], ...]:
        row: list[tuple[int, float]] = []
        for label in sorted({lab for _, lab in [*ref, *pred]}):
            ref_l = [o for o in ref if o[1] == label]
            pred_l = [o for o in pred if o[1] == label]
            j, matched = index[label], _match(ref_l, pred_l, threshold, True)  # type: ignore[arg-type]
            row += [(j, matched), (k + j, len(ref_l)), (2 * k + j, len(pred_l))]
        return tuple(row)

    rows, counts = _distinct(contributions(*pair) for pair in zip(*sides.values(), strict=True))
    table = _rows_table(rows, 3 * k)

    def metrics(sums: FloatArray) -> FloatArray:
        tp, support, guessed = sums[:, :k], sums[:, k : 2 * k], sums[:, 2 * k :]
        whole = [x.sum(axis=1, keepdims=True) for x in (tp, support, guessed)]
        return np.column_stack([_scores(*whole), _scores(tp, support, guessed)])

    rng = np.random.default_rng(seed)
    values, totals = _bootstrap(table, counts, metrics, n_resamples, confidence, rng)
    matched, refs, preds = (int(totals[s * k : (s + 1) * k].sum()) for s in range(3))
    precision, recall, f1 = values[:3]
    classes = _classes(names, values[3:], totals[k:])
    return StructuredReport(n, precision, recall, f1, matched, preds, refs, classes)


def _calibration(
    probabilities: ArrayLike,
    ref: IntArray,
    k: int,
    bins: int,
    n_resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> Calibration:
    n = ref.size
    try:
        p = np.asarray(probabilities, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidRatingsError("probabilities must be a numeric n × k array") from exc
    if p.ndim == 2 and p.shape[0] == n and p.shape[1] != k:
        raise InvalidRatingsError(
            f"probabilities have {p.shape[1]} columns but there are {k} labels; pass labels= "
            "naming the label of every column, in column order"
        )
    if p.shape != (n, k):
        raise InvalidRatingsError(
            f"probabilities must be n × len(labels) = {n} × {k} (one column per label, in "
            f"labels order), got shape {p.shape}"
        )
    for problem, bad in (
        ("are NaN or infinite", ~np.isfinite(p).all(axis=1)),
        ("are negative", (p < 0).any(axis=1)),
        ("do not sum to 1 (within 1e-6)", np.abs(p.sum(axis=1) - 1) > _ROW_SUM_TOLERANCE),
    ):
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidRatingsError(
                f"probabilities of {int(bad.sum())} items {problem}, the first item {i}: "
                f"{p[i].tolist()}"
            )
    items = np.arange(n)
    top = p.argmax(axis=1)
    conf, correct = p[items, top], (top == ref).astype(np.float64)
    truth = np.zeros_like(p)
    truth[items, ref] = 1.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    where = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    brier = ((p - truth) ** 2).sum(axis=1)
    columns = np.concatenate([np.zeros(n, np.int64), 1 + where])
    table = _table(n, 1 + bins, np.tile(items, 2), columns, np.concatenate([brier, conf - correct]))

    def metrics(sums: FloatArray) -> FloatArray:
        return np.column_stack([sums[:, 0] / n, np.abs(sums[:, 1:]).sum(axis=1) / n])

    ones = np.ones(n, dtype=np.int64)
    (brier_score, ece), _ = _bootstrap(table, ones, metrics, n_resamples, confidence, rng)
    count = np.bincount(where, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(where, weights=conf, minlength=bins) / count
        accuracy = np.bincount(where, weights=correct, minlength=bins) / count
    cells = zip(edges[:-1], edges[1:], count, mean_conf, accuracy, strict=True)
    return Calibration(
        brier_score,
        ece,
        [CalibrationBin(float(a), float(b), int(c), float(m), float(y)) for a, b, c, m, y in cells],
    )


def _classes(names: list[str], values: list[Estimate], totals: FloatArray) -> list[ClassScores]:
    """ClassScores from [precision | recall | F1] estimates and [support | predicted] sums."""
    k = len(names)
    return [
        ClassScores(
            name, values[j], values[k + j], values[2 * k + j], int(totals[j]), int(totals[k + j])
        )
        for j, name in enumerate(names)
    ]
