"""Model predictions: what a model answered for an item, kept apart from people's
annotations and from the suggestions annotators see.

A prediction is ``{"model", "version"?, "value", "score"?, "probabilities"?}``:

- ``value`` answers any of the project's fields (``{"sentiment": "positive"}``), each checked
  as an annotation's field is; fields it leaves out are not predicted;
- ``score`` is the model's confidence in the whole answer;
- ``probabilities`` gives, per ``choice`` or ``multi_choice`` field of ``value``, a
  probability for labels of that field: for ``choice`` every label, summing to 1 (the
  calibration metrics need the whole distribution); for ``multi_choice`` each label's own
  probability of being selected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from labelworks.domain.annotation import validate_annotation
from labelworks.domain.errors import InvalidAnnotation
from labelworks.domain.fields import ChoiceField, FieldSpec, MultiChoiceField
from labelworks.domain.json_value import json_kind

__all__ = [
    "MAX_NAME",
    "InvalidPrediction",
    "Prediction",
    "PredictionsSpec",
    "model_key",
    "parse_prediction",
    "split_model",
]

MAX_NAME = 200
MAX_VERSION = 100
PREDICTION_KEYS = ("model", "version", "value", "score", "probabilities")
# A choice field's probabilities may miss 1 by rounding in the model's output, not more.
SUM_TOLERANCE = 1e-3


class PredictionsSpec(BaseModel):
    """``predictions``: whether annotators see models' predictions as suggestions
    (``suggest``), and whose (``models``: names, or every model when left out)."""

    model_config = ConfigDict(extra="forbid")

    suggest: StrictBool = False
    models: list[str] | None = Field(default=None, max_length=100)

    def shows(self, model: str) -> bool:
        """Whether predictions of ``model`` are shown to annotators."""
        return self.suggest and (self.models is None or model in self.models)


class InvalidPrediction(ValueError):
    """A prediction that does not fit; ``where`` is the path inside it (``value.sentiment``)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where


@dataclass(frozen=True, slots=True)
class Prediction:
    model: str
    version: str
    value: dict[str, Any]
    score: float | None = None
    probabilities: dict[str, dict[str, float]] | None = None


def model_key(model: str, version: str) -> str:
    """How a model version is written: ``name@version`` (just ``name`` without a version)."""
    return f"{model}@{version}" if version else model


def split_model(key: str) -> tuple[str, str | None]:
    """``name@version`` → (name, version); a bare name → (name, None): the newest version."""
    name, at, version = key.rpartition("@")
    if not at or not name:
        return key, None
    return name, version


def parse_prediction(
    obj: Any, fields: Sequence[FieldSpec], payload: Mapping[str, Any]
) -> Prediction:
    """Check one prediction object against the project's ``fields`` and its item's
    ``payload``; raise ``InvalidPrediction`` naming the part that is wrong."""
    if type(obj) is not dict:
        raise InvalidPrediction(
            f"a prediction must be an object with model and value, not {json_kind(obj)}"
        )
    for key in obj:
        if key not in PREDICTION_KEYS:
            raise InvalidPrediction(
                f"unknown key '{key}' in a prediction (allowed: {', '.join(PREDICTION_KEYS)})",
                str(key),
            )
    model = _name(obj.get("model"), "model", MAX_NAME, required=True)
    version = _name(obj.get("version"), "version", MAX_VERSION, required=False)
    value = obj.get("value")
    if type(value) is not dict or not value:
        raise InvalidPrediction(
            f"value must be an object answering at least one field, got {_kind(value)}", "value"
        )
    by_name = {f.name: f for f in fields}
    unknown = [k for k in value if k not in by_name]
    if unknown:
        raise InvalidPrediction(
            f"unknown field '{unknown[0]}' (fields: {', '.join(by_name)})", f"value.{unknown[0]}"
        )
    # Each predicted field is checked on its own: a condition on another field's answer
    # (``when``) does not apply to a model that answers only some fields.
    answered = [by_name[k].model_copy(update={"when": None}) for k in value]
    try:
        validate_annotation(answered, value, payload)
    except InvalidAnnotation as exc:
        inner = exc.location.field if exc.location is not None else None
        raise InvalidPrediction(exc.message, f"value.{inner}" if inner else "value") from None
    return Prediction(
        model=model,
        version=version,
        value=value,
        score=_score(obj.get("score")),
        probabilities=_probabilities(obj.get("probabilities"), value, by_name),
    )


def _name(given: Any, key: str, limit: int, *, required: bool) -> str:
    if given is None and not required:
        return ""
    if type(given) is not str or not given.strip():
        raise InvalidPrediction(f"{key} must be a non-empty string, got {_kind(given)}", key)
    if len(given) > limit or "@" in given or any(ord(c) < 32 for c in given):
        raise InvalidPrediction(
            f"{key} must be at most {limit} characters without '@' or control characters", key
        )
    return given.strip()


def _score(given: Any) -> float | None:
    if given is None:
        return None
    if type(given) not in (int, float) or not math.isfinite(given):
        raise InvalidPrediction(
            f"score must be a finite number or null, got {_kind(given)}", "score"
        )
    return float(given)


def _probabilities(
    given: Any, value: Mapping[str, Any], fields: Mapping[str, FieldSpec]
) -> dict[str, dict[str, float]] | None:
    if given is None:
        return None
    if type(given) is not dict:
        raise InvalidPrediction(
            f"probabilities must be an object of fields, got {_kind(given)}", "probabilities"
        )
    out: dict[str, dict[str, float]] = {}
    for name, per_label in given.items():
        where = f"probabilities.{name}"
        field = fields.get(name)
        if not isinstance(field, ChoiceField | MultiChoiceField) or name not in value:
            raise InvalidPrediction(
                f"probabilities are for the choice or multi_choice fields the value answers; "
                f"'{name}' is not one",
                where,
            )
        if type(per_label) is not dict:
            raise InvalidPrediction(f"must be an object of labels, got {_kind(per_label)}", where)
        for label, p in per_label.items():
            if label not in field.labels:
                raise InvalidPrediction(f"'{label}' is not a label of '{name}'", f"{where}.{label}")
            if type(p) not in (int, float) or not math.isfinite(p) or not 0 <= p <= 1:
                raise InvalidPrediction(
                    f"a probability must be a number from 0 to 1, got {_kind(p)}",
                    f"{where}.{label}",
                )
        if isinstance(field, ChoiceField):
            missing = [label for label in field.labels if label not in per_label]
            if missing:
                raise InvalidPrediction(
                    f"a choice field needs a probability for every label; '{missing[0]}' has none",
                    where,
                )
            total = math.fsum(per_label.values())
            if abs(total - 1.0) > SUM_TOLERANCE:
                raise InvalidPrediction(f"the probabilities sum to {total:.6g}, not 1", where)
        out[name] = {str(k): float(v) for k, v in per_label.items()}
    return out


def _kind(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str) and not value.strip():
        return "an empty string"
    return json_kind(value)
