"""A Hugging Face ``datasets`` folder, as ``Dataset.save_to_disk`` writes it, written with
pyarrow alone (users need not install ``datasets``; ``datasets.load_from_disk`` reads it).

The folder holds ``data-00000-of-00001.arrow`` (an Arrow stream with the features in its
``huggingface`` schema metadata), ``dataset_info.json`` and ``state.json``, in the shapes
``datasets`` writes. Columns, in order:

- ``id`` (int64), ``external_id`` (string);
- one column per payload key, typed by its values: string, bool, int64 or float64 when
  every value is one of those (int64 and float64 together: float64), otherwise each value
  as JSON text; a key named like another column is prefixed ``payload_``; a project whose
  items have more than ``MAX_PAYLOAD_COLUMNS`` distinct keys gets one ``payload`` column of
  JSON text instead;
- ``metadata`` (JSON text);
- with ``labels="all"``: ``annotator`` (email), ``annotated_at`` (ISO 8601 text) and
  ``seconds`` (float64);
- one column per field: ``ClassLabel`` for a choice, a list of ``ClassLabel`` for
  multi-choice, lists of ``{start, end, label, text}`` for spans, ``{x, y, width, height,
  label}`` for boxes and ``{start, end, label}`` for segments (labels as ``ClassLabel``),
  int64 for a rating, string for free text and JSON text for a pairwise choice. The label
  names are the field's labels in spec order, then any label an answer holds that the spec
  no longer lists. A field the answer does not hold (or holds in a shape its kind no longer
  takes) is null.

With ``labels="final"`` there is one row per item (fields null where it has no final label);
with ``labels="all"`` one row per annotation, and one row with null fields for an item
without annotations, so every item is in the dataset.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from labelworks.domain.fields import FieldSpec
from labelworks.formats.labelled_records import Labelling, Progress, RecordSource, labellings

DATA_FILE = "data-00000-of-00001.arrow"
MAX_PAYLOAD_COLUMNS = 256
BATCH_ROWS = 1000
INT64 = (-(2**63), 2**63 - 1)
LABELLED = ("choice", "multi_choice", "spans", "boxes", "segments")

Feature = dict[str, Any] | list[Any]
Convert = Callable[[Any, dict[str, Any]], Any]


def _value(dtype: str) -> dict[str, str]:
    return {"dtype": dtype, "_type": "Value"}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64" if INT64[0] <= value <= INT64[1] else "json"
    if isinstance(value, float):
        return "float64"
    return "string" if isinstance(value, str) else "json"


def _column_type(kinds: set[str]) -> str:
    """One type for a payload key's values: theirs if they share one (ints among floats:
    float64; only nulls: string), else JSON text."""
    if kinds == {"int64", "float64"}:
        return "float64"
    if len(kinds) == 1:
        return next(iter(kinds))
    return "string" if not kinds else "json"


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


class _Plan:
    """The columns, found by one pass over the records: payload keys with their types and
    the label names each labelled field needs."""

    def __init__(self, source: RecordSource) -> None:
        self.all = source.labels == "all"
        self.fields: list[FieldSpec] = list(source.spec.fields)
        self.names: dict[str, list[str]] = {
            f.name: list(f.labels) for f in self.fields if f.kind in LABELLED
        }
        kinds: dict[str, set[str]] = {}
        for record in source.records():
            payload = record.get("payload")
            for key, value in (payload if isinstance(payload, dict) else {}).items():
                seen = kinds.setdefault(key, set())
                if value is not None:
                    seen.add(_kind(value))
            for labelling in labellings(record, source.labels):
                self._note_labels(labelling.value)
        self.whole_payload = len(kinds) > MAX_PAYLOAD_COLUMNS
        taken = {"id", "external_id", "metadata", *(f.name for f in self.fields)}
        if self.all:
            taken |= {"annotator", "annotated_at", "seconds"}
        self.payload: list[tuple[str, str, str]] = []  # key, column, dtype
        if self.whole_payload:
            taken.add("payload")
        for key, seen in kinds.items():
            column = key
            while column in taken or not column:
                column = f"payload_{column}"
            taken.add(column)
            self.payload.append((key, column, _column_type(seen)))

    def _note_labels(self, value: dict[str, Any]) -> None:
        for name, names in self.names.items():
            given = value.get(name)
            items = given if isinstance(given, list) else [given]
            for item in items:
                label = item.get("label") if isinstance(item, dict) else item
                if isinstance(label, str) and label not in names:
                    names.append(label)

    def columns(self) -> list[tuple[str, Feature, pa.DataType]]:
        """Each column's name, ``datasets`` feature and Arrow type."""
        out: list[tuple[str, Feature, pa.DataType]] = [
            ("id", _value("int64"), pa.int64()),
            ("external_id", _value("string"), pa.string()),
        ]
        if self.whole_payload:
            out.append(("payload", _value("string"), pa.string()))
        else:
            for _, column, dtype in self.payload:
                arrow = pa.string() if dtype in ("json", "string") else pa.type_for_alias(dtype)
                out.append((column, _value("string" if dtype == "json" else dtype), arrow))
        out.append(("metadata", _value("string"), pa.string()))
        if self.all:
            out += [
                ("annotator", _value("string"), pa.string()),
                ("annotated_at", _value("string"), pa.string()),
                ("seconds", _value("float64"), pa.float64()),
            ]
        for field in self.fields:
            feature, arrow = _field_feature(field, self.names.get(field.name, []))
            out.append((field.name, feature, arrow))
        return out

    def rows(self, record: dict[str, Any], chosen: list[Labelling]) -> Iterator[list[Any]]:
        """The record's rows, one per labelling (one without labels if it has none)."""
        payload = record.get("payload")
        payload = payload if isinstance(payload, dict) else {}
        base: list[Any] = [record.get("id"), record.get("external_id")]
        if self.whole_payload:
            base.append(_json(payload))
        else:
            for key, _, dtype in self.payload:
                value = payload.get(key)
                base.append(_json(value) if dtype == "json" else value)
        base.append(_json(record.get("metadata") or {}))
        each: list[Labelling | None] = list(chosen) or [None]
        for labelling in each:
            row = list(base)
            if self.all:
                row += (
                    [None, None, None]
                    if labelling is None
                    else [labelling.annotator, labelling.created_at, labelling.seconds]
                )
            value = {} if labelling is None else labelling.value
            for field in self.fields:
                row.append(_field_value(field, value.get(field.name), self.names, payload))
            yield row


def _class_label(names: list[str]) -> dict[str, Any]:
    return {"names": names, "_type": "ClassLabel"}


def _marks(keys: dict[str, tuple[Feature, pa.DataType]]) -> tuple[Feature, pa.DataType]:
    """A list of objects: ``[{...}]`` is how every ``datasets`` version names one."""
    feature = {key: f for key, (f, _) in keys.items()}
    arrow = pa.list_(pa.struct([(key, t) for key, (_, t) in keys.items()]))
    return [feature], arrow


def _field_feature(field: FieldSpec, names: list[str]) -> tuple[Feature, pa.DataType]:
    label = (_class_label(names), pa.int64())
    number = (_value("float64"), pa.float64())
    if field.kind == "choice":
        return label
    if field.kind == "multi_choice":
        return [label[0]], pa.list_(pa.int64())
    if field.kind == "spans":
        offset = (_value("int64"), pa.int64())
        text = (_value("string"), pa.string())
        return _marks({"start": offset, "end": offset, "label": label, "text": text})
    if field.kind == "boxes":
        return _marks({k: number for k in ("x", "y", "width", "height")} | {"label": label})
    if field.kind == "segments":
        return _marks({"start": number, "end": number, "label": label})
    if field.kind == "rating":
        return _value("int64"), pa.int64()
    return _value("string"), pa.string()  # text, and pairwise as JSON text


def _index(names: list[str], label: Any) -> int | None:
    return names.index(label) if isinstance(label, str) and label in names else None


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def _field_value(
    field: FieldSpec, value: Any, names: dict[str, list[str]], payload: dict[str, Any]
) -> Any:
    labels = names.get(field.name, [])
    kind = field.kind
    if value is None:
        return None
    if kind == "choice":
        return _index(labels, value)
    if kind == "multi_choice":
        chosen = [_index(labels, v) for v in value] if isinstance(value, list) else [None]
        return None if None in chosen else chosen
    if kind in ("spans", "boxes", "segments"):
        return _mark_list(field, value, labels, payload)
    if kind == "rating":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == "text":
        return value if isinstance(value, str) else None
    return _json(value)


def _mark_list(
    field: FieldSpec, value: Any, labels: list[str], payload: dict[str, Any]
) -> list[dict[str, Any]] | None:
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        return None
    out: list[dict[str, Any]] = []
    text = payload.get(field.source or "") if field.kind == "spans" else None
    for mark in value:
        label = _index(labels, mark.get("label"))
        if field.kind == "spans":
            start, end = mark.get("start"), mark.get("end")
            if not (isinstance(start, int) and isinstance(end, int)):
                return None
            quote = text[start:end] if isinstance(text, str) else None
            out.append({"start": start, "end": end, "label": label, "text": quote})
        else:
            keys = ("x", "y", "width", "height") if field.kind == "boxes" else ("start", "end")
            numbers = {key: _number(mark.get(key)) for key in keys}
            if None in numbers.values():
                return None
            out.append({**numbers, "label": label})
    return out


def write_hf_dataset(source: RecordSource, target: Path, progress: Progress | None) -> int:
    """Write the project as a ``datasets`` folder at ``target`` (created); returns the
    number of items written."""
    plan = _Plan(source)
    columns = plan.columns()
    features = {name: feature for name, feature, _ in columns}
    meta = {"huggingface": json.dumps({"info": {"features": features}})}
    schema = pa.schema([(name, arrow) for name, _, arrow in columns], metadata=meta)
    target.mkdir()
    items = 0
    batch: list[list[Any]] = []
    with pa.OSFile(str(target / DATA_FILE), "wb") as sink, pa.ipc.new_stream(sink, schema) as out:
        for record in source.records():
            items += 1
            batch.extend(plan.rows(record, labellings(record, source.labels)))
            if len(batch) >= BATCH_ROWS:
                out.write_batch(_batch(batch, schema))
                batch = []
            if progress is not None:
                progress(items, source.total)
        out.write_batch(_batch(batch, schema))
    info = {
        "citation": "",
        "description": f"labelworks project {source.project} ({source.labels} labels)",
        "features": features,
        "homepage": "",
        "license": "",
    }
    state: dict[str, Any] = {
        "_data_files": [{"filename": DATA_FILE}],
        "_fingerprint": secrets.token_hex(8),
        "_format_columns": None,
        "_format_kwargs": {},
        "_format_type": None,
        "_output_all_columns": False,
        "_split": None,
    }
    (target / "dataset_info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    (target / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
    return items


def _batch(rows: list[list[Any]], schema: pa.Schema) -> pa.RecordBatch:
    arrays = [
        pa.array([row[i] for row in rows], type=schema.field(i).type)
        for i in range(len(schema.names))
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
