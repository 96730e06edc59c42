"""How alike an item's structured answers are: the stats core's pairwise F1 between the
spans, boxes or segments each annotation gives a field, for consensus to pick the answer
closest to the others (``domain.consensus.decide``'s ``similarity``).

Objects are matched one to one, same label, at IoU >= ``MATCH_IOU`` (the rule gold answers
are scored by, and the PASCAL VOC criterion), so a consensus and a gold score of the same
answers never disagree on what matches; two answers that mark nothing agree fully.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from labelworks.domain.fields import BoxesField, FieldSpec, SegmentsField, SpansField
from labelworks.domain.gold import MATCH_IOU
from labelworks.stats.structured import StructuredAgreement, box_agreement, segment_agreement

Matrix = list[list[float]]
# (item, annotator, the objects that annotation marked)
Answer = tuple[Any, Any, Sequence[Any]]


def _intervals(answers: Iterable[Answer]) -> list[tuple[Any, ...]]:
    return [
        (item, who, float(o["start"]), float(o["end"]), o.get("label"))
        for item, who, objects in answers
        for o in objects
    ]


def _boxes(answers: Iterable[Answer]) -> list[tuple[Any, ...]]:
    return [
        (
            item,
            who,
            float(o["x"]),
            float(o["y"]),
            float(o["x"]) + float(o["width"]),
            float(o["y"]) + float(o["height"]),
            o.get("label"),
        )
        for item, who, objects in answers
        for o in objects
    ]


def structured_agreement(
    spec_field: SpansField | SegmentsField | BoxesField, answers: Sequence[Answer]
) -> StructuredAgreement:
    """The stats core's pairwise F1 between annotators over the items both annotated, each
    answer ``(item, annotator, objects)`` (an empty list: annotated, nothing marked),
    matched by this module's rule. Raises ``InvalidRatingsError`` with fewer than two
    annotators or an object without extent."""
    who = [(item, annotator) for item, annotator, _ in answers]
    if isinstance(spec_field, BoxesField):
        return box_agreement(_boxes(answers), iou=MATCH_IOU, annotated=who)
    return segment_agreement(_intervals(answers), iou=MATCH_IOU, annotated=who)


def field_similarity(spec_field: FieldSpec, answers: Sequence[Any]) -> Matrix | None:
    """Pairwise F1 between the answers (lists of objects) to one spans, boxes or segments
    field; ``None`` for other kinds, or when an answer is not a list."""
    if not isinstance(spec_field, SpansField | SegmentsField | BoxesField):
        return None
    if not all(isinstance(a, list) for a in answers):
        return None
    found = structured_agreement(spec_field, [(0, k, a) for k, a in enumerate(answers)])
    # NaN: neither marked anything (or the diagonal): full agreement.
    return [[1.0 if math.isnan(x) else float(x) for x in row] for row in found.f1.tolist()]


def similarities(
    fields: Sequence[FieldSpec], values: Sequence[Mapping[str, Any]]
) -> dict[str, Matrix]:
    """``field_similarity`` for each structured field over the votes that give it, in
    order (the matrices ``decide`` reads)."""
    out: dict[str, Matrix] = {}
    for spec_field in fields:
        given = [v[spec_field.name] for v in values if spec_field.name in v]
        if len(given) < 2:
            continue
        matrix = field_similarity(spec_field, given)
        if matrix is not None:
            out[spec_field.name] = matrix
    return out
