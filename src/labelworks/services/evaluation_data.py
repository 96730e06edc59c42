"""How stored answers become the stats core's inputs for model metrics: a field's answers
as labels, label sets or objects; class probabilities as a matrix; slices by a payload or
metadata key; and reports back as plain JSON."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelworks.domain.fields import (
    BoxesField,
    ChoiceField,
    FieldSpec,
    MultiChoiceField,
    PairwiseField,
    RatingField,
)
from labelworks.storage.predictions import Scored

NO_VALUE = "(none)"
MAX_SLICE_CHARS = 200


class Pairs:
    """One field's answers in the form its metrics take."""

    def __init__(self, field: FieldSpec) -> None:
        self.field = field

    def answer(self, value: Any) -> Any:
        """A label (choice, rating, pairwise), a label set (multi_choice) or a list of
        ``(coordinates, label)`` objects (spans, segments, boxes)."""
        field = self.field
        if isinstance(field, ChoiceField):
            return str(value)
        if isinstance(field, RatingField):
            return _number(value)
        if isinstance(field, PairwiseField):
            return str(value.get("choice")) if isinstance(value, dict) else str(value)
        if isinstance(field, MultiChoiceField):
            return frozenset(str(v) for v in value)
        if isinstance(field, BoxesField):
            return [
                (
                    (
                        float(o["x"]),
                        float(o["y"]),
                        float(o["x"]) + float(o["width"]),
                        float(o["y"]) + float(o["height"]),
                    ),
                    str(o.get("label")),
                )
                for o in value
            ]
        return [((float(o["start"]), float(o["end"])), str(o.get("label"))) for o in value]

    def labels(self, reference: Sequence[str], predicted: Sequence[str]) -> list[str]:
        """The classes, in the spec's order where it has one."""
        field = self.field
        if isinstance(field, ChoiceField):
            return list(field.labels)
        if isinstance(field, PairwiseField):
            return ["a", "b", "tie"] if field.allow_tie else ["a", "b"]
        seen = {*reference, *predicted}
        return sorted(seen, key=lambda s: (float(s), s))

    def probabilities(self, rows: Sequence[Scored], labels: Sequence[str]) -> Any:
        """The n × k matrix of class probabilities when every row gives them for a choice
        field, else None (calibration needs the whole distribution of every item)."""
        if not isinstance(self.field, ChoiceField) or not rows:
            return None
        name = self.field.name
        matrix = np.zeros((len(rows), len(labels)))
        for i, r in enumerate(rows):
            given = (r.probabilities or {}).get(name)
            if given is None:
                return None
            matrix[i] = [given.get(label, 0.0) for label in labels]
        # Stored probabilities may miss 1 by the model's rounding (domain.predictions).
        matrix /= matrix.sum(axis=1, keepdims=True)
        return matrix


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def slice_value(row: Scored, key: str) -> str:
    """The item's value of ``key``: from its metadata, else its payload, as text."""
    value = row.metadata.get(key, row.payload.get(key))
    if value is None:
        return NO_VALUE
    text = value if isinstance(value, str) else str(value)
    return text[:MAX_SLICE_CHARS]


def plain(found: Any) -> Any:
    """A report dataclass as JSON-ready values: NaN becomes None."""
    if dataclasses.is_dataclass(found) and not isinstance(found, type):
        return {f.name: plain(getattr(found, f.name)) for f in dataclasses.fields(found)}
    if isinstance(found, dict):
        return {str(k): plain(v) for k, v in found.items()}
    if isinstance(found, list | tuple):
        return [plain(v) for v in found]
    if isinstance(found, float | np.floating):
        number = float(found)
        return None if math.isnan(number) else number
    if isinstance(found, np.integer):
        return int(found)
    return found
