"""Where annotators disagree, for the agreement report (``services.agreement``): which labels
are confused with which, the most contested items, how well each annotator agrees with the
others, and the pairwise F1 of spans, boxes and segments. Every figure comes from
``labelworks.stats``; this module only shapes the votes for it and its answers for the
report.

- **Confusion**: ``stats.agreement.disagreement_matrix``, Krippendorff's coincidences
  unweighted: ``counts[i][j]`` is how often, on one item, one annotator said label ``i``
  and another said ``j`` (ordered pairs of different annotators, so it is symmetric and the
  diagonal holds agreements).
- **Contested items**: ``stats.agreement.item_agreement`` (the share of an item's annotator
  pairs that agree, Fleiss' P_i), the ``CONTESTED`` lowest below 1, with their votes.
- **Each annotator with the rest**: Cohen's kappa between the annotator and whoever else
  labelled the same items, every such pair of labels one unit (an item labelled by k people
  gives each of them k - 1 units), with its bootstrap interval over those units
  (``ANNOTATOR_RESAMPLES`` resamples, the acceptance seed), and the raw share of agreeing
  pairs. At an overlap of 3 or more an item's units are resampled apart, so the interval is
  somewhat narrower than one over items would be.
- **Structured fields**: ``services.structured.structured_agreement`` (the stats core's
  pairwise F1, objects matched one to one with the same label at IoU >= 0.5, the rule
  consensus and gold use), over at most ``STRUCTURED_ITEMS`` items (the newest), since the
  matching is done item by item in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelworks.domain.fields import BoxesField, SegmentsField, SpansField
from labelworks.services.acceptance import BOOTSTRAP_SEED, CONFIDENCE
from labelworks.services.structured import Answer, structured_agreement
from labelworks.stats.agreement import (
    bootstrap_ci,
    cohen_kappa,
    disagreement_matrix,
    item_agreement,
    percent_agreement,
)
from labelworks.stats.ratings import InvalidRatingsError, Ratings

CONTESTED = 25
ANNOTATOR_RESAMPLES = 200
STRUCTURED_ITEMS = 20_000
TOP_CONFUSIONS = 10

__all__ = [
    "ANNOTATOR_RESAMPLES",
    "CONTESTED",
    "STRUCTURED_ITEMS",
    "UNDEFINED",
    "AnnotatorAgreement",
    "Coefficient",
    "Confusion",
    "ContestedItem",
    "StructuredFigures",
    "annotators_with_rest",
    "confusion",
    "contested_items",
    "finite",
    "structured_figures",
]


def finite(x: float | None) -> float | None:
    """``x``, or ``None`` for NaN and infinities (JSON has no NaN)."""
    return x if x is not None and math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class Coefficient:
    """A coefficient and its 95% bootstrap interval; ``None`` where undefined."""

    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}


UNDEFINED = Coefficient(None, None, None)


@dataclass(frozen=True, slots=True)
class Confusion:
    """How often, on one item, one annotator gave ``labels[i]`` and another ``labels[j]``
    (``counts[i][j]``, symmetric, agreements on the diagonal); given one said ``labels[i]``,
    the share of the others who said ``labels[j]`` (``rates[i][j]``, rows summing to 1,
    ``None`` for a label nobody gave); and the most frequent pairs of different labels."""

    labels: list[Any]
    counts: list[list[int]]
    rates: list[list[float | None]]
    top: list[tuple[Any, Any, int]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "counts": [list(row) for row in self.counts],
            "rates": [list(row) for row in self.rates],
            "top": [{"a": a, "b": b, "count": n} for a, b, n in self.top],
        }


@dataclass(frozen=True, slots=True)
class ContestedItem:
    """An item the annotators split on: the share of its annotator pairs that agree, and
    each vote (annotator email, label)."""

    item_id: int
    external_id: str | None
    agreement: float
    votes: list[tuple[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "external_id": self.external_id,
            "agreement": self.agreement,
            "votes": [{"annotator": who, "label": label} for who, label in self.votes],
        }


@dataclass(frozen=True, slots=True)
class AnnotatorAgreement:
    """One annotator against the others on the items they share: ``items`` labelled with
    someone else, ``pairs`` labels compared, the share of them that agree (``percent``) and
    Cohen's kappa with its 95% bootstrap interval."""

    annotator: str
    items: int
    pairs: int
    percent: float | None
    kappa: Coefficient

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotator": self.annotator,
            "items": self.items,
            "pairs": self.pairs,
            "percent": self.percent,
            "cohen_kappa": self.kappa.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class StructuredFigures:
    """Pairwise F1 of a spans, boxes or segments field: overall (micro-averaged over every
    pair of annotators), each pair's (``None`` on the diagonal and where undefined) with
    the items it shares, and each annotator's pooled over their pairs; over ``items`` items
    (``sampled``: the newest ``STRUCTURED_ITEMS`` of more)."""

    match: str
    f1: float | None
    items: int
    sampled: bool
    annotators: list[str]
    pair_f1: list[list[float | None]]
    shared: list[list[int]]
    annotator_f1: list[float | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "f1": self.f1,
            "items": self.items,
            "sampled": self.sampled,
            "annotators": list(self.annotators),
            "pair_f1": [list(row) for row in self.pair_f1],
            "shared": [list(row) for row in self.shared],
            "annotator_f1": list(self.annotator_f1),
        }


# ---- categorical fields -------------------------------------------------------------------


def confusion(r: Ratings) -> Confusion | None:
    try:
        d = disagreement_matrix(r)
    except InvalidRatingsError:
        return None
    return Confusion(
        labels=list(d.categories),
        counts=d.counts.tolist(),
        rates=[[finite(float(x)) for x in row] for row in d.rates],
        top=[(a, b, int(n)) for a, b, n in d.top_confusions(TOP_CONFUSIONS)],
    )


def contested_items(
    r: Ratings,
    emails: Mapping[int, str],
    external_ids: Callable[[list[int]], Mapping[int, str]],
    limit: int = CONTESTED,
) -> list[ContestedItem]:
    """The ``limit`` items with the lowest pairwise agreement below 1, lowest first (ties
    in item order), each with its votes in the order given and its external id (from
    ``external_ids`` of the items chosen)."""
    try:
        ranked = item_agreement(r)
    except InvalidRatingsError:
        return []
    worst = [(item, share) for item, share in ranked.items() if share < 1][:limit]
    if not worst:
        return []
    external = external_ids([int(item) for item, _ in worst])
    code_of = {item: k for k, item in enumerate(r.items)}
    codes = np.array([code_of[item] for item, _ in worst], dtype=np.int64)
    rows = np.flatnonzero(np.isin(r.item, codes))
    votes: dict[int, list[tuple[str, Any]]] = {int(c): [] for c in codes}
    for row in rows.tolist():
        who = r.annotators[int(r.annotator[row])]
        votes[int(r.item[row])].append((emails.get(who, str(who)), r.categories[int(r.label[row])]))
    return [
        ContestedItem(int(item), external.get(int(item)), float(share), votes[int(code)])
        for (item, share), code in zip(worst, codes.tolist(), strict=True)
    ]


def _pairs_by_annotator(r: Ratings) -> tuple[Any, Any, Any]:
    """Every ordered pair of rows of one item by different annotators, as ``(first rows,
    second rows, where each annotator's pairs start)``, ordered by the first row's
    annotator, the item and the second row's annotator."""
    order = np.argsort(r.item, kind="stable")
    item = r.item[order]
    firsts: list[Any] = []
    seconds: list[Any] = []
    for gap in range(1, len(item)):
        same = np.flatnonzero(item[:-gap] == item[gap:])
        if not same.size:
            break
        firsts.append(order[same])
        seconds.append(order[same + gap])
    first = np.concatenate([*firsts, *seconds]) if firsts else np.zeros(0, np.int64)
    second = np.concatenate([*seconds, *firsts]) if firsts else np.zeros(0, np.int64)
    # by annotator, then item, then the other annotator: one order, whatever the rows'
    grouped = np.lexsort((r.annotator[second], r.item[first], r.annotator[first]))
    first, second = first[grouped], second[grouped]
    starts = np.searchsorted(r.annotator[first], np.arange(r.n_annotators + 1))
    return first, second, starts


def annotators_with_rest(r: Ratings, emails: Mapping[int, str]) -> list[AnnotatorAgreement]:
    """Each annotator against the others (see the module's docstring), lowest kappa first,
    undefined last."""
    first, second, starts = _pairs_by_annotator(r)
    categories = list(range(r.n_categories))
    found = []
    for a, who in enumerate(r.annotators):
        mine = slice(int(starts[a]), int(starts[a + 1]))
        n = int(starts[a + 1] - starts[a])
        items = len(np.unique(r.item[first[mine]]))
        kappa, percent = UNDEFINED, None
        if n:
            labels = np.empty(2 * n, dtype=np.int64)
            labels[0::2] = r.label[first[mine]]
            labels[1::2] = r.label[second[mine]]
            units = np.repeat(np.arange(n), 2)
            sides = np.tile(np.array([0, 1]), n)
            pairs = Ratings.from_columns(units, sides, labels, categories=categories)
            percent = finite(float(percent_agreement(pairs)))
            kappa = _interval(pairs) if n >= 2 else UNDEFINED
        found.append(AnnotatorAgreement(emails.get(who, str(who)), items, n, percent, kappa))
    return sorted(found, key=lambda x: (x.kappa.value is None, x.kappa.value or 0.0))


def _interval(pairs: Ratings) -> Coefficient:
    try:
        measured = bootstrap_ci(
            cohen_kappa,
            pairs,
            n_resamples=ANNOTATOR_RESAMPLES,
            confidence=CONFIDENCE,
            seed=BOOTSTRAP_SEED,
        )
    except InvalidRatingsError:
        return UNDEFINED
    value, low, high = (finite(float(x)) for x in measured)
    return Coefficient(value, low, high) if value is not None else UNDEFINED


# ---- spans, boxes and segments --------------------------------------------------------------


def structured_figures(
    spec_field: SpansField | SegmentsField | BoxesField,
    answers: Sequence[Answer],
    emails: Mapping[int, str],
) -> StructuredFigures | None:
    """The field's pairwise F1 over ``answers`` (``(item, annotator, objects)`` of items
    with two or more answers, in item order); ``None`` when it cannot be measured."""
    items = sorted({item for item, _, _ in answers})
    sampled = len(items) > STRUCTURED_ITEMS
    if sampled:
        newest = set(items[-STRUCTURED_ITEMS:])
        answers = [a for a in answers if a[0] in newest]
    try:
        s = structured_agreement(spec_field, answers)
    except (InvalidRatingsError, KeyError, TypeError, ValueError):
        # fewer than two annotators, or answers given under an earlier spec whose objects
        # this field's kind cannot read
        return None
    rows = [finite(float(x)) for x in _pooled(s.matched, s.marked)]
    return StructuredFigures(
        match="same label, IoU >= 0.5",
        f1=finite(s.overall()),
        items=min(len(items), STRUCTURED_ITEMS),
        sampled=sampled,
        annotators=[emails.get(a, str(a)) for a in s.annotators],
        pair_f1=[[finite(float(v)) for v in row] for row in s.f1],
        shared=[[int(n) for n in row] for row in s.shared_items],
        annotator_f1=rows,
    )


def _pooled(matched: Any, marked: Any) -> Any:
    """Each annotator's F1 with all the others at once: 2 Σ matched / Σ marked over their
    pairs (the stats core's ``overall`` restricted to one row)."""
    total = marked.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2.0 * matched.sum(axis=1) / np.maximum(total, 1), np.nan)
