"""read_rows on JSONL: accepted row shapes and every refused input, with the whole error."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.domain.errors import InvalidAnnotation, InvalidImport, Location
from labelworks.pipelines.content_hash import compact_json, content_hash
from labelworks.pipelines.history_rows import HistoryAnnotation
from labelworks.pipelines.jsonl_rows import _stdlib_row
from labelworks.pipelines.rows import ImportRow, PreAnnotation, RowChecker, read_rows


def _rows(data: bytes, **options: Any) -> list[ImportRow]:
    return list(read_rows(io.BytesIO(data), format="jsonl", source="in.jsonl", **options))


def _error(data: bytes, **options: Any) -> dict[str, Any]:
    with pytest.raises(InvalidImport) as err:
        _rows(data, **options)
    return err.value.to_dict()


def _at(line: int | None, message: str, field: str | None = None) -> dict[str, Any]:
    """The expected error dict for in.jsonl."""
    where = "in.jsonl" + (f", line {line}" if line is not None else "")
    where += f", field '{field}'" if field else ""
    return {
        "code": "invalid_import",
        "message": f"{where}: {message}",
        "location": {"file": "in.jsonl", "line": line, "field": field},
    }


def _sentiment_only(value: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
    """A stand-in for the schema check: one choice field with two labels."""
    if value.get("sentiment") not in ("positive", "negative"):
        raise InvalidAnnotation(
            f"'{value.get('sentiment')}' is not one of the labels positive, negative",
            location=Location(field="sentiment"),
        )


def test_flat_rows_lift_reserved_keys_out_of_the_payload() -> None:
    """A flat object is the payload; external_id, metadata and pre_annotations are lifted out."""
    data = (
        b'{"text": "a", "external_id": "x1"}\n'
        b"\n"
        b'{"text": "b", "external_id": 42, "metadata": {"k": 1},'
        b' "pre_annotations": [{"model": "m", "score": 1, "value": {"sentiment": "positive"}}]}\n'
        b'  {"text": "c", "payload": "not an object", "status": "kept"}\r\n'
    )
    assert _rows(data, required_keys={"text"}, validate_pre_annotation=_sentiment_only) == [
        ImportRow(1, "x1", {"text": "a"}, {}, (), content_hash({"text": "a"})),
        ImportRow(
            3,
            "42",
            {"text": "b"},
            {"k": 1},
            (PreAnnotation("m", 1.0, {"sentiment": "positive"}),),
            content_hash({"text": "b"}),
        ),
        ImportRow(
            4,
            None,
            {"text": "c", "payload": "not an object", "status": "kept"},
            {},
            (),
            content_hash({"text": "c", "payload": "not an object", "status": "kept"}),
        ),
    ]


def test_structured_rows_ignore_export_only_keys() -> None:
    """A row with a payload object takes its parts from the keys; export keys other than
    its annotations (the item's history) are ignored."""
    data = (
        b'{"id": 3, "external_id": null, "status": "complete", "created_at": "2026-01-01",'
        b' "payload": {"text": "hi", "image": "a.png"}, "metadata": null,'
        b' "pre_annotations": [{"model": "m", "score": null, "value": {}}],'
        b' "annotations": [{"annotator": "a@b.c", "value": {}}], "guideline_versions": [1]}\n'
    )
    payload = {"text": "hi", "image": "a.png"}
    assert _rows(data) == [
        ImportRow(
            1,
            None,
            payload,
            {},
            (PreAnnotation("m", None, {}),),
            content_hash(payload),
            annotations=(HistoryAnnotation("a@b.c", {}, None, None, None),),
        )
    ]


def test_content_hash_ignores_key_order_and_whitespace() -> None:
    """The same payload written differently hashes the same."""
    rows = _rows(b'{"b": 1, "a": "\\u00e9"}\n{"a":"\xc3\xa9","b":1}\n')
    assert [row.content_hash for row in rows] == [content_hash({"a": "é", "b": 1})] * 2


@pytest.mark.parametrize(
    ("data", "options", "expected"),
    [
        (b"", {}, _at(None, "in.jsonl has no rows")),
        (b"\n \n\r\n", {}, _at(None, "in.jsonl has no rows")),
        (
            b'{"text": "a"}\n{"text": "b",}\n',
            {},
            _at(2, "invalid JSON: Expecting property name enclosed in double quotes at column 14"),
        ),
        (b'{"text": "a"} x\n', {}, _at(1, "invalid JSON: Extra data at column 15")),
        (b'{"score": NaN}\n', {}, _at(1, "invalid JSON: NaN is not valid JSON")),
        (
            b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
            {},
            _at(1, "invalid JSON: arrays or objects are nested too deeply"),
        ),
        (
            b'{"text": "open\n',
            {},
            _at(1, "invalid JSON: Unterminated string starting at column 10"),
        ),
        (b'{"a": 1}\n["text"]\n', {}, _at(2, "row is a JSON array, not an object")),
        (b'"just text"\n', {}, _at(1, "row is a JSON string, not an object")),
        (b"null\n", {}, _at(1, "row is a JSON null, not an object")),
        (
            b'{"a": 1}\n{"a": "caf\xe9"}\n',
            {},
            _at(2, "invalid UTF-8 at byte 11 of the line (0xe9); save the file as UTF-8"),
        ),
        (
            b'{"title": "a"}\n',
            {"required_keys": ["text"]},
            _at(1, "payload has no key 'text', which the project's fields need", "payload.text"),
        ),
        (
            b'{"payload": {"title": "a"}}\n',
            {"required_keys": ["text"]},
            _at(1, "payload has no key 'text', which the project's fields need", "payload.text"),
        ),
        (
            b'{"text": "a", "external_id": 1.5}\n',
            {},
            _at(1, "external_id must be a string or an integer, not number", "external_id"),
        ),
        (
            b'{"text": "a", "external_id": true}\n',
            {},
            _at(1, "external_id must be a string or an integer, not boolean", "external_id"),
        ),
        (
            b'{"text": "a", "external_id": ""}\n',
            {},
            _at(1, "external_id is an empty string", "external_id"),
        ),
        (
            b'{"text": "a", "metadata": [1]}\n',
            {},
            _at(1, "metadata must be a JSON object, not array", "metadata"),
        ),
        (
            b'{"text": "a", "pre_annotations": {"model": "m"}}\n',
            {},
            _at(1, "pre_annotations must be a list of objects, not object", "pre_annotations"),
        ),
        (
            b'{"text": "a", "pre_annotations": ["positive"]}\n',
            {},
            _at(
                1,
                "a pre-annotation must be an object with model, score and value, not string",
                "pre_annotations[0]",
            ),
        ),
        (
            b'{"text": "a", "pre_annotations": [{"score": 1, "value": {}}]}\n',
            {},
            _at(
                1, "model must be a non-empty string, but it is missing", "pre_annotations[0].model"
            ),
        ),
        (
            b'{"text": "a", "pre_annotations": [{"model": " ", "value": {}}]}\n',
            {},
            _at(
                1,
                "model must be a non-empty string, got an empty string",
                "pre_annotations[0].model",
            ),
        ),
        (
            b'{"text": "a", "pre_annotations": [{"model": "m", "score": "0.9", "value": {}}]}\n',
            {},
            _at(1, "score must be a finite number or null, got string", "pre_annotations[0].score"),
        ),
        (
            b'{"text": "a", "pre_annotations": [{"model": "m", "value": "positive"}]}\n',
            {},
            _at(1, "value must be a JSON object, got string", "pre_annotations[0].value"),
        ),
        (
            b'{"text": "a", "pre_annotations": [{"model": "m", "value": {}, "label": 1}]}\n',
            {},
            _at(
                1,
                "unknown key 'label' in a pre-annotation (allowed: model, score, value)",
                "pre_annotations[0].label",
            ),
        ),
        (
            b'{"text": "a", "pre_annotations": [{"model": "m", "value": {"sentiment": "positive"}},'
            b' {"model": "m2", "score": 0.2, "value": {"sentiment": "meh"}}]}\n',
            {"validate_pre_annotation": _sentiment_only},
            _at(
                1,
                "pre-annotation from model 'm2' does not fit the project's fields: "
                "'meh' is not one of the labels positive, negative",
                "pre_annotations[1].value.sentiment",
            ),
        ),
        (
            b'{"payload": {"text": "a"}, "metdata": {}}\n',
            {},
            _at(
                1,
                "unknown key 'metdata' next to 'payload'"
                " (allowed: external_id, gold, gold_explanation,"
                " metadata, payload,"
                " pre_annotations, predictions; ignored from exports: annotations, content_hash,"
                " created_at, final, guideline_versions, id, status, updated_at); put item data"
                " inside 'payload'",
                "metdata",
            ),
        ),
        (
            b'{"text": "a\\ud800"}\n',
            {},
            _at(
                1,
                "payload holds an unpaired UTF-16 surrogate (such as \\ud800), which is not"
                " valid Unicode",
                "payload",
            ),
        ),
        (
            b'{"text": "a", "external_id": "\\udfff"}\n',
            {},
            _at(
                1,
                "external_id holds an unpaired UTF-16 surrogate (such as \\ud800), which is not"
                " valid Unicode",
                "external_id",
            ),
        ),
    ],
)
def test_bad_jsonl_input_is_refused_with_file_line_and_field(
    data: bytes, options: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Each malformed input raises InvalidImport naming the file, line and field."""
    assert _error(data, **options) == expected


def test_a_50_mb_field_gives_the_size_error_not_memory_trouble() -> None:
    """A 50 MB line is refused with its size and the limit, after the good line before it."""
    big = b'{"text": "' + b"x" * (50 * 1024 * 1024) + b'"}\n'
    rows = read_rows(io.BytesIO(b'{"text": "ok"}\n' + big), format="jsonl", source="in.jsonl")
    assert next(rows).payload == {"text": "ok"}
    with pytest.raises(InvalidImport) as err:
        next(rows)
    assert err.value.to_dict() == _at(
        2, f"row is {len(big) - 1:,} bytes, over the limit of 10,485,760 bytes per row"
    )


def test_unknown_format_is_a_programming_error() -> None:
    """An unsupported format name raises ValueError at call time."""
    with pytest.raises(ValueError) as err:
        read_rows(io.BytesIO(b""), format="xml", source="in.xml")  # type: ignore[arg-type]
    assert str(err.value) == "unknown import format 'xml' (use jsonl, json, csv or parquet)"


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**64 + 2)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["\ud800", "a\udfff", '\x00\x1f\x7f\u2028"\\/', "😀"])
)


@settings(max_examples=300, deadline=None)
@given(
    row=st.dictionaries(
        st.sampled_from(["text", "n", "é", "external_id", "b"]) | st.text(max_size=3),
        JSON_SCALARS,
        max_size=4,
    ),
    ascii_only=st.booleans(),
)
def test_orjson_rows_equal_the_stdlib_rows(row: dict[str, Any], ascii_only: bool) -> None:
    """Every flat line gives the stdlib path's row (and stored text) or its exact error."""
    line = json.dumps(row, ensure_ascii=ascii_only)  # NaN/Infinity and lone surrogates too
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate can only be written as an escape
        line = json.dumps(row)
    checker = RowChecker("in.jsonl", ("text",), None)
    try:
        expected: Any = _stdlib_row(line, 1, checker)
    except InvalidImport as exc:
        expected = exc.to_dict()
    try:
        (got,) = _rows(line.encode("utf-8") + b"\n", required_keys=["text"])
    except InvalidImport as exc:
        assert exc.to_dict() == expected
        return
    assert got == expected
    assert got.payload_json in (None, compact_json(got.payload))


def test_big_integers_keep_their_exact_value() -> None:
    """An integer beyond 64 bits stays an exact integer (orjson alone would make it a float)."""
    fast, row = _rows(b'{"text": "b"}\n{"text": "a", "n": 123456789012345678901234567890}\n')
    assert (fast.payload_json, row.payload_json) == ('{"text":"b"}', None)
    assert row == ImportRow(
        2,
        None,
        {"text": "a", "n": 123456789012345678901234567890},
        {},
        (),
        content_hash({"text": "a", "n": 123456789012345678901234567890}),
    )
