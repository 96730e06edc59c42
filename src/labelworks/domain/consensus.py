"""Consensus: an item's final label from its annotations, with a confidence, and what
dynamic overlap does next.

Pure functions over plain values. Per field:

- categorical fields (``choice``, ``rating``, ``pairwise``) are decided by the project's
  method: ``majority`` (confidence: the winning share of votes), ``wawa`` (votes weighted
  by each annotator's agreement with the majority over the project; confidence: the
  winning weighted share) or ``dawid_skene`` (the posterior of the winning class under the
  project's fitted model: class priors and one confusion matrix per annotator; annotators
  the model has not seen yet get ``UNSEEN_ACCURACY`` on the diagonal);
- a ``multi_choice`` field is one yes/no majority per label (confidence: the smallest
  winning share over the labels);
- ``text``, ``spans``, ``boxes`` and ``segments`` take the medoid: the answer that matches
  the most others under the gold-matching rule (text ignoring case and spacing, objects
  paired at IoU >= 0.5; ``domain.gold``), with the share of answers that match it as
  confidence. Given a ``similarity`` matrix for a field (for spans, boxes and segments the
  services pass the stats core's pairwise F1, ``stats.structured``), the medoid is the
  answer with the highest mean similarity to all answers, itself included, and that mean
  is the confidence: partial agreement counts, where the match rule is all or nothing.

An item's confidence is its least confident field. Ties go to the smallest value in the
field's order (labels as the spec lists them), so a decision never depends on arrival order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from labelworks.domain.fields import (
    ChoiceField,
    FieldSpec,
    MultiChoiceField,
    PairwiseField,
    RatingField,
)
from labelworks.domain.gold import score_answer

METHODS = ("majority", "wawa", "dawid_skene")
UNSEEN_ACCURACY = 0.7


@dataclass(frozen=True, slots=True)
class Vote:
    """One annotation of the item: who gave it and its value."""

    annotator: int
    value: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FieldModel:
    """A fitted model of one categorical field: class priors and, per annotator, a
    confusion matrix ``confusion[true][observed]`` over ``categories``; ``weights`` are
    Wawa's per-annotator weights."""

    categories: list[Any]
    priors: list[float]
    confusions: dict[int, list[list[float]]] = field(default_factory=dict)
    weights: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """The final label of an item: the value per field, the confidence per field and
    overall (the least confident field)."""

    value: dict[str, Any]
    fields: dict[str, float]
    confidence: float


class Next(StrEnum):
    FINAL = "final"  # the label stands
    MORE = "more"  # one more annotation: the item goes back to the pool
    ADJUDICATE = "adjudicate"  # at the most annotations and still unsure: to an expert


def categories_of(spec_field: FieldSpec) -> list[Any] | None:
    """The ordered values of a categorical field, ``None`` for other kinds."""
    if isinstance(spec_field, ChoiceField):
        return list(spec_field.labels)
    if isinstance(spec_field, RatingField):
        return list(range(spec_field.min, spec_field.max + 1))
    if isinstance(spec_field, PairwiseField):
        return list(spec_field.choices())
    return None


def decide(
    fields: Sequence[FieldSpec],
    votes: Sequence[Vote],
    method: str = "majority",
    models: Mapping[str, FieldModel] | None = None,
    similarity: Mapping[str, Sequence[Sequence[float]]] | None = None,
) -> Decision:
    """The item's final label from its votes (see the module docstring). ``similarity``
    maps a field to a square matrix in [0, 1] over the votes that give the field, in
    order."""
    if method not in METHODS:
        raise ValueError(f"unknown consensus method {method!r} (use {', '.join(METHODS)})")
    value: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    for spec_field in fields:
        given = [
            (v.annotator, v.value[spec_field.name]) for v in votes if spec_field.name in v.value
        ]
        if not given:
            continue
        model = (models or {}).get(spec_field.name)
        cats = categories_of(spec_field)
        if cats is not None:
            decided = _categorical(cats, given, method, model)
        elif isinstance(spec_field, MultiChoiceField):
            decided = _per_label(spec_field.labels, [g for _, g in given])
        elif (matrix := (similarity or {}).get(spec_field.name)) is not None:
            decided = _most_similar(matrix, [g for _, g in given])
        else:
            decided = _medoid(spec_field, [g for _, g in given])
        value[spec_field.name], confidence[spec_field.name] = decided
    overall = min(confidence.values()) if confidence else 0.0
    return Decision(value, confidence, overall)


def _categorical(
    cats: list[Any], given: list[tuple[int, Any]], method: str, model: FieldModel | None
) -> tuple[Any, float]:
    index = {c: k for k, c in enumerate(cats)}
    known = [(a, index[v]) for a, v in given if _hashable(v) and v in index]
    if not known:
        return given[0][1], 0.0
    if method == "dawid_skene":
        scores = _posterior(len(cats), known, model)
    else:
        weights = model.weights if (method == "wawa" and model is not None) else {}
        scores = [0.0] * len(cats)
        for annotator, k in known:
            scores[k] += weights.get(annotator, 1.0)
    total = sum(scores)
    best = max(range(len(cats)), key=lambda k: (scores[k], -k))
    return cats[best], (scores[best] / total if total > 0 else 0.0)


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _posterior(q: int, known: list[tuple[int, int]], model: FieldModel | None) -> list[float]:
    """Class posteriors of one item: priors times each annotator's confusion row."""
    priors = model.priors if model is not None and len(model.priors) == q else [1.0 / q] * q
    logs = [math.log(max(p, 1e-12)) for p in priors]
    off = (1.0 - UNSEEN_ACCURACY) / (q - 1) if q > 1 else 0.0
    for annotator, observed in known:
        matrix = model.confusions.get(annotator) if model is not None else None
        for k in range(q):
            if matrix is not None and len(matrix) == q:
                p = matrix[k][observed]
            else:
                p = UNSEEN_ACCURACY if k == observed else off
            logs[k] += math.log(max(p, 1e-12))
    top = max(logs)
    return [math.exp(v - top) for v in logs]


def _per_label(labels: list[str], given: list[Any]) -> tuple[list[str], float]:
    chosen: list[str] = []
    shares: list[float] = []
    n = len(given)
    for label in labels:
        yes = sum(1 for g in given if isinstance(g, list) and label in g)
        if 2 * yes > n:
            chosen.append(label)
        shares.append(max(yes, n - yes) / n)
    return chosen, min(shares) if shares else 0.0


def _medoid(spec_field: FieldSpec, given: list[Any]) -> tuple[Any, float]:
    n = len(given)
    matches = [
        sum(
            1
            for other in given
            if score_answer([spec_field], {spec_field.name: candidate}, {spec_field.name: other})[
                spec_field.name
            ]
        )
        for candidate in given
    ]
    best = max(range(n), key=lambda k: (matches[k], -k))
    return given[best], matches[best] / n


def _most_similar(matrix: Sequence[Sequence[float]], given: list[Any]) -> tuple[Any, float]:
    """The answer with the highest mean similarity to all answers (itself counted as 1),
    the earliest on a tie, and that mean."""
    n = len(given)
    if len(matrix) != n or any(len(row) != n for row in matrix):
        raise ValueError(f"a similarity matrix for {n} answers must be {n} x {n}")
    means = [(1.0 + sum(matrix[k][j] for j in range(n) if j != k)) / n for k in range(n)]
    best = max(range(n), key=lambda k: (means[k], -k))
    return given[best], means[best]


@dataclass(frozen=True, slots=True)
class DynamicOverlap:
    """``dynamic_overlap: {min, max, confidence}`` from the spec's quality section."""

    min: int
    max: int
    confidence: float


def next_step(decision: Decision, n_annotations: int, rule: DynamicOverlap | None) -> Next:
    """What happens once an item has reached its current overlap: the label stands, or it
    goes back for one more annotation, or (at ``max``, still unsure) to adjudication."""
    if rule is None or decision.confidence >= rule.confidence:
        return Next.FINAL
    return Next.MORE if n_annotations < rule.max else Next.ADJUDICATE
