"""Import rows: reading JSONL, CSV or Parquet streams into checked, hashed ``ImportRow``s.

``read_rows`` is lazy and streams: memory stays constant whatever the file size. It checks
each row on its own; rules across rows (an external id used twice in a file, or already
taken in the project) are the importer's, which asks the database (``services.ingestion``).

Row shapes (see docs/import-export.md):

- structured: ``{"payload": {...}, "external_id"?, "metadata"?, "pre_annotations"?,
  "predictions"?, "gold"?, "gold_explanation"?}``, plus
  export-only keys (``EXPORT_ONLY_KEYS``) that are ignored so an export re-imports;
- flat: any object without a ``"payload"`` object is the payload itself, with the reserved
  keys (``RESERVED_KEYS``) lifted out.

``gold`` makes the new item a gold question with that expert answer (checked like an
annotation), ``gold_explanation`` says why, for trainees and reviewers of mistakes.
``annotations`` (structured or flat) is the item's history: finished annotations in the
shape the export writes them (``pipelines.history_rows``); ``[]`` is no history.
``predictions`` are models' answers kept for evaluation (``domain.predictions``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, NoReturn

from labelworks.domain.errors import InvalidAnnotation, InvalidImport, Location
from labelworks.domain.json_value import json_kind
from labelworks.domain.predictions import InvalidPrediction, Prediction
from labelworks.pipelines.content_hash import canonical_json, content_hash
from labelworks.pipelines.history_rows import HistoryAnnotation, history_of

ImportFormat = Literal["jsonl", "json", "csv", "parquet"]
PreAnnotationCheck = Callable[[Mapping[str, Any], Mapping[str, Any]], None]
PredictionParser = Callable[[Any, Mapping[str, Any]], Prediction]

RESERVED_KEYS = (
    "external_id",
    "metadata",
    "pre_annotations",
    "predictions",
    "gold",
    "gold_explanation",
)
# A flat row's keys that are not its payload: the reserved ones and its history.
FLAT_LIFTED = frozenset({*RESERVED_KEYS, "annotations"})
MAX_GOLD_EXPLANATION = 10_000
# Keys an export record carries that describe the item's life in labelworks, not its input.
EXPORT_ONLY_KEYS = frozenset(
    {
        "id",
        "status",
        "created_at",
        "updated_at",
        "annotations",
        "final",
        "guideline_versions",
        "content_hash",
    }
)
STRUCTURED_KEYS = frozenset({"payload", *RESERVED_KEYS})
PRE_ANNOTATION_KEYS = ("model", "score", "value")
DEFAULT_MAX_ROW_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PreAnnotation:
    """A model's prediction for an item, shown to annotators as a starting point."""

    model: str
    score: float | None
    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One checked input row: the item to create (or skip as a duplicate of ``content_hash``)."""

    line: int
    external_id: str | None
    payload: dict[str, Any]
    metadata: dict[str, Any]
    pre_annotations: tuple[PreAnnotation, ...]
    content_hash: str
    # ``compact_json(payload)`` when the reader already made it (the JSONL fast path).
    payload_json: str | None = field(default=None, compare=False, repr=False)
    gold: dict[str, Any] | None = None
    gold_explanation: str = ""
    # Finished annotations to restore with the item (an export's ``annotations``).
    annotations: tuple[HistoryAnnotation, ...] = ()
    predictions: tuple[Prediction, ...] = ()


def read_rows(
    stream: BinaryIO,
    *,
    format: ImportFormat,
    source: str,
    required_keys: Collection[str] = (),
    validate_pre_annotation: PreAnnotationCheck | None = None,
    parse_prediction: PredictionParser | None = None,
    max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
) -> Iterator[ImportRow]:
    """Lazily read ``stream`` as ``format`` and yield one checked ``ImportRow`` per row.

    ``source`` names the file in errors. Raises ``InvalidImport`` (file, line, field) at the
    first bad row; rows before it have been yielded, so callers must treat the import as
    all-or-nothing. ``validate_pre_annotation(value, payload)`` may raise
    ``InvalidAnnotation``; it is reported as an ``InvalidImport`` on the field
    ``pre_annotations[i].value.<field>``; the same check applies to a ``gold`` answer,
    reported on ``gold.<field>``. ``parse_prediction(obj, payload)`` checks each of a row's
    ``predictions`` (rows with predictions are refused without it).
    """
    # Imported here: the readers build on this module's row types and checks (and the
    # Parquet one loads pyarrow, which a JSONL import does not need).
    from labelworks.pipelines import json_array_rows, jsonl_rows, table_rows

    checker = RowChecker(source, required_keys, validate_pre_annotation, parse_prediction)
    if format == "jsonl":
        return jsonl_rows.jsonl_rows(stream, checker, max_row_bytes)
    if format == "json":
        return json_array_rows.json_array_rows(stream, checker, max_row_bytes)
    if format == "csv":
        return table_rows.csv_rows(stream, checker, max_row_bytes)
    if format == "parquet":
        return table_rows.parquet_rows(stream, checker, max_row_bytes)
    raise ValueError(f"unknown import format '{format}' (use jsonl, json, csv or parquet)")


kind_of = json_kind  # the name the row readers use


class RowChecker:
    """Checks the parts of a row (shared by every format) and builds the ``ImportRow``."""

    def __init__(
        self,
        source: str,
        required_keys: Collection[str],
        validate_pre_annotation: PreAnnotationCheck | None,
        parse_prediction: PredictionParser | None = None,
    ) -> None:
        self.source = source
        self.required = tuple(sorted(required_keys))
        self.validate = validate_pre_annotation
        self.parse_prediction = parse_prediction

    def fail(self, line: int | None, message: str, field: str | None = None) -> NoReturn:
        """Raise ``InvalidImport`` at ``line`` (and ``field``) of this file."""
        raise InvalidImport(message, location=Location(file=self.source, line=line, field=field))

    def from_object(self, obj: dict[str, Any], line: int) -> ImportRow:
        """Build a row from a JSON object in structured or flat form."""
        payload = obj.get("payload")
        if type(payload) is dict:
            for key in obj:
                if key not in STRUCTURED_KEYS and key not in EXPORT_ONLY_KEYS:
                    self.fail(line, unknown_key_message(key, "key"), key)
        else:
            payload = {key: value for key, value in obj.items() if key not in FLAT_LIFTED}
        return self.build(
            line,
            obj.get("external_id"),
            payload,
            obj.get("metadata"),
            obj.get("pre_annotations"),
            gold=obj.get("gold"),
            gold_explanation=obj.get("gold_explanation"),
            history=obj.get("annotations"),
            predictions=obj.get("predictions"),
        )

    def build(
        self,
        line: int,
        external_id: Any,
        payload: dict[str, Any],
        metadata: Any,
        pre: Any,
        *,
        gold: Any = None,
        gold_explanation: Any = None,
        history: Any = None,
        predictions: Any = None,
    ) -> ImportRow:
        """Check every part of a row and build it; ``None`` means a part is absent."""
        if external_id is not None:
            external_id = self.external_id(external_id, line)
        for key in self.required:
            if key not in payload:
                self.missing(key, line)
        try:
            hashed = content_hash(payload)
        except ValueError as exc:
            self.unportable(exc, line, "payload")
        if metadata is None:
            metadata = {}
        elif type(metadata) is not dict:
            self.fail(line, f"metadata must be a JSON object, not {kind_of(metadata)}", "metadata")
        else:
            self.portable(metadata, line, "metadata")
        pre_annotations = () if pre is None else self.pre_annotations(pre, payload, line)
        done = () if history is None else history_of(self, history, payload, line)
        predicted = () if predictions is None else self.predictions(predictions, payload, line)
        if gold is None and gold_explanation is None:
            return ImportRow(
                line,
                external_id,
                payload,
                metadata,
                pre_annotations,
                hashed,
                annotations=done,
                predictions=predicted,
            )
        answer, why = self.gold(gold, gold_explanation, payload, line)
        return ImportRow(
            line,
            external_id,
            payload,
            metadata,
            pre_annotations,
            hashed,
            gold=answer,
            gold_explanation=why,
            annotations=done,
            predictions=predicted,
        )

    def gold(
        self, value: Any, explanation: Any, payload: dict[str, Any], line: int
    ) -> tuple[dict[str, Any], str]:
        """Check a gold answer (an annotation of the item) and its explanation."""
        if value is None:
            self.fail(line, "gold_explanation is given but there is no gold answer", "gold")
        if type(value) is not dict or not value:
            self.fail(line, f"gold must be a non-empty JSON object, not {kind_of(value)}", "gold")
        self.portable(value, line, "gold")
        if explanation is None:
            explanation = ""
        if type(explanation) is not str:
            self.fail(
                line,
                f"gold_explanation must be a string, not {kind_of(explanation)}",
                "gold_explanation",
            )
        if len(explanation) > MAX_GOLD_EXPLANATION:
            self.fail(
                line,
                f"gold_explanation is longer than {MAX_GOLD_EXPLANATION} characters",
                "gold_explanation",
            )
        self.portable(explanation, line, "gold_explanation")
        if self.validate is not None:
            try:
                self.validate(value, payload)
            except InvalidAnnotation as exc:
                inner = exc.location.field if exc.location is not None else None
                self.fail(
                    line,
                    f"the gold answer does not fit the project's fields: {exc.message}",
                    f"gold.{inner}" if inner else "gold",
                )
        return value, explanation

    def external_id(self, value: Any, line: int) -> str:
        """The external id as a string: integers are converted, other types refused."""
        if type(value) is int:
            return str(value)
        if type(value) is not str:
            self.fail(
                line,
                f"external_id must be a string or an integer, not {kind_of(value)}",
                "external_id",
            )
        if not value:
            self.fail(line, "external_id is an empty string", "external_id")
        self.portable(value, line, "external_id")
        return value

    def missing(self, key: str, line: int) -> NoReturn:
        """Refuse a payload without a key the project's fields need."""
        self.fail(
            line, f"payload has no key '{key}', which the project's fields need", f"payload.{key}"
        )

    def unportable(self, exc: ValueError, line: int, field: str) -> NoReturn:
        """Refuse a value with NaN/Infinity or an unpaired surrogate (no portable JSON form)."""
        if isinstance(exc, UnicodeError):
            reason = "an unpaired UTF-16 surrogate (such as \\ud800), which is not valid Unicode"
        else:
            reason = "NaN or Infinity, which JSON cannot represent"
        self.fail(line, f"{field} holds {reason}", field)

    def portable(self, value: Any, line: int, field: str) -> None:
        """Check that ``value`` has a portable JSON form (storable on every database)."""
        try:
            canonical_json(value).encode("utf-8")
        except ValueError as exc:
            self.unportable(exc, line, field)

    def pre_annotations(
        self, value: Any, payload: dict[str, Any], line: int
    ) -> tuple[PreAnnotation, ...]:
        """Check a list of ``{"model", "score", "value"}`` objects against the schema."""
        if type(value) is not list:
            self.fail(
                line,
                f"pre_annotations must be a list of objects, not {kind_of(value)}",
                "pre_annotations",
            )
        return tuple(self._pre_annotation(i, item, payload, line) for i, item in enumerate(value))

    def predictions(self, value: Any, payload: dict[str, Any], line: int) -> tuple[Prediction, ...]:
        """Check a list of predictions (``domain.predictions``) against the schema."""
        if type(value) is not list:
            self.fail(
                line, f"predictions must be a list of objects, not {kind_of(value)}", "predictions"
            )
        parse = self.parse_prediction
        if parse is None:
            self.fail(line, "predictions cannot be imported here", "predictions")
        found: list[Prediction] = []
        seen: set[tuple[str, str]] = set()
        for index, obj in enumerate(value):
            where = f"predictions[{index}]"
            try:
                prediction = parse(obj, payload)
            except InvalidPrediction as exc:
                self.fail(line, exc.message, f"{where}.{exc.where}" if exc.where else where)
            self.portable(prediction.value, line, f"{where}.value")
            key = (prediction.model, prediction.version)
            if key in seen:
                self.fail(
                    line,
                    f"model '{prediction.model}' version '{prediction.version}' predicts this "
                    "item twice",
                    where,
                )
            seen.add(key)
            found.append(prediction)
        return tuple(found)

    def _pre_annotation(
        self, index: int, item: Any, payload: dict[str, Any], line: int
    ) -> PreAnnotation:
        where = f"pre_annotations[{index}]"
        if type(item) is not dict:
            self.fail(
                line,
                "a pre-annotation must be an object with model, score and value, "
                f"not {kind_of(item)}",
                where,
            )
        for key in item:
            if key not in PRE_ANNOTATION_KEYS:
                self.fail(
                    line,
                    f"unknown key '{key}' in a pre-annotation (allowed: model, score, value)",
                    f"{where}.{key}",
                )
        model = item.get("model")
        if type(model) is not str or not model.strip():
            self.fail(
                line, f"model must be a non-empty string, {_got(item, 'model')}", f"{where}.model"
            )
        score = item.get("score")
        if score is not None:
            if type(score) not in (int, float) or not math.isfinite(score):
                self.fail(
                    line,
                    f"score must be a finite number or null, {_got(item, 'score')}",
                    f"{where}.score",
                )
            score = float(score)
        value = item.get("value")
        if type(value) is not dict:
            self.fail(line, f"value must be a JSON object, {_got(item, 'value')}", f"{where}.value")
        self.portable(value, line, f"{where}.value")
        if self.validate is not None:
            try:
                self.validate(value, payload)
            except InvalidAnnotation as exc:
                inner = exc.location.field if exc.location is not None else None
                self.fail(
                    line,
                    f"pre-annotation from model '{model}' does not fit the project's fields: "
                    f"{exc.message}",
                    f"{where}.value.{inner}" if inner else f"{where}.value",
                )
        return PreAnnotation(model, score, value)


def _got(item: dict[str, Any], key: str) -> str:
    if key not in item:
        return "but it is missing"
    value = item[key]
    if isinstance(value, str) and not value.strip():
        return "got an empty string"
    if isinstance(value, float) and not math.isfinite(value):
        return f"got {value}"
    return f"got {kind_of(value)}"


def unknown_key_message(key: str, what: str) -> str:
    """The message for a top-level key/column that a structured row does not know."""
    allowed = ", ".join(sorted(STRUCTURED_KEYS))
    ignored = ", ".join(sorted(EXPORT_ONLY_KEYS))
    return (
        f"unknown {what} '{key}' next to 'payload' (allowed: {allowed}; ignored from exports: "
        f"{ignored}); put item data inside 'payload'"
    )
