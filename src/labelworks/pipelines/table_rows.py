"""Import rows from tables (CSV and Parquet): what each column means.

Column rules, shared by both formats:

- a ``payload`` column (JSON text, or a struct in Parquet) means the structured form: the
  other columns may only be ``external_id``, ``metadata``, ``pre_annotations``,
  ``predictions``, ``gold``, ``gold_explanation`` and the export-only columns, which are
  ignored;
- otherwise every column except those reserved ones is a payload key (in CSV, always a
  string);
- ``metadata``, ``pre_annotations``, ``predictions`` and ``gold`` hold JSON text (or native
  structs/lists in Parquet); an empty cell or a null means "none".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from labelworks.formats.csvfile import read_csv
from labelworks.pipelines.jsonl_rows import decode_json, json_error
from labelworks.pipelines.rows import (
    EXPORT_ONLY_KEYS,
    RESERVED_KEYS,
    STRUCTURED_KEYS,
    ImportRow,
    RowChecker,
    kind_of,
    unknown_key_message,
)

_JSON_CELLS = ("payload", "metadata", "pre_annotations", "predictions", "gold")


def csv_rows(stream: BinaryIO, checker: RowChecker, max_row_bytes: int) -> Iterator[ImportRow]:
    """Rows of a CSV stream (see the module docstring for the column rules)."""
    header, records = read_csv(stream, source=checker.source, max_row_bytes=max_row_bytes)
    structured = "payload" in header
    _check_columns(checker, header, structured, "CSV header", 1)
    position = {name: index for index, name in enumerate(header)}
    payload_columns = [
        (index, name) for index, name in enumerate(header) if name not in RESERVED_KEYS
    ]
    ext_at = position.get("external_id")
    rows = 0
    for line, cells in records:
        rows += 1
        parsed = {
            name: _json_cell(checker, cells[position[name]], line, name)
            for name in _JSON_CELLS
            if name in position
        }
        if structured:
            payload = _payload_object(checker, parsed["payload"], line)
        else:
            payload = {name: cells[index] for index, name in payload_columns}
        external_id = cells[ext_at] if ext_at is not None else None
        yield checker.build(
            line,
            external_id or None,  # an empty cell is "no external id"
            payload,
            parsed.get("metadata"),
            parsed.get("pre_annotations"),
            gold=parsed.get("gold"),
            gold_explanation=cells[position["gold_explanation"]] or None
            if "gold_explanation" in position
            else None,
            predictions=parsed.get("predictions"),
        )
    if not rows:
        checker.fail(None, f"{checker.source} has no rows")


def parquet_rows(stream: BinaryIO, checker: RowChecker, max_row_bytes: int) -> Iterator[ImportRow]:
    """Rows of a Parquet stream, row group by row group; rows are numbered from 1."""
    from labelworks.formats.parquet import read_parquet  # loads pyarrow: only when needed

    kinds, records = read_parquet(stream, source=checker.source, max_row_bytes=max_row_bytes)
    structured = kinds.get("payload") in ("struct", "text")
    _check_columns(checker, list(kinds), structured, "Parquet file", None)
    text_cells = [name for name in _JSON_CELLS if kinds.get(name) == "text"]
    for number, record in records:
        for name in text_cells:
            record[name] = _json_cell(checker, record[name] or "", number, name)
        if structured:
            payload = _payload_object(checker, record["payload"], number)
        else:
            payload = {key: value for key, value in record.items() if key not in RESERVED_KEYS}
        yield checker.build(
            number,
            record.get("external_id"),
            payload,
            record.get("metadata"),
            record.get("pre_annotations"),
            gold=record.get("gold"),
            gold_explanation=record.get("gold_explanation"),
            predictions=record.get("predictions"),
        )


def _check_columns(
    checker: RowChecker, columns: Sequence[str], structured: bool, what: str, line: int | None
) -> None:
    if structured:
        for name in columns:
            if name not in STRUCTURED_KEYS and name not in EXPORT_ONLY_KEYS:
                checker.fail(line, unknown_key_message(name, "column"), name)
        return
    for key in checker.required:
        if key not in columns or key in RESERVED_KEYS:
            checker.fail(
                line,
                f"{what} has no column '{key}', which the project's fields need "
                f"(columns: {', '.join(columns)})",
                key,
            )


def _json_cell(checker: RowChecker, text: str, line: int, field: str) -> Any:
    """Parse a cell holding JSON text; an empty cell is ``None``."""
    if not text.strip():
        return None
    try:
        return decode_json(text)
    except (ValueError, RecursionError) as exc:
        checker.fail(line, f"{field} is not valid JSON: {json_error(exc)}", field)


def _payload_object(checker: RowChecker, value: Any, line: int) -> dict[str, Any]:
    if value is None:
        checker.fail(line, "payload is empty", "payload")
    if type(value) is not dict:
        checker.fail(line, f"payload must be a JSON object, not {kind_of(value)}", "payload")
    return value
