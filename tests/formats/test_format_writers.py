"""Export writers: JSONL, CSV and Parquet over caller-owned streams."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelworks.formats import (
    CsvWriter,
    ExportFormat,
    JsonlWriter,
    ParquetWriter,
    escape_formula,
    open_writer,
)
from labelworks.formats.csvfile import FORMULA_STARTS
from labelworks.formats.json_text import RawJson, json_array_text, json_object_text

COLUMNS = (
    "id",
    "external_id",
    "status",
    "created_at",
    "payload",
    "metadata",
    "pre_annotations",
    "annotations",
)

RECORD: dict[str, Any] = {
    "id": 7,
    "external_id": "r-7",
    "status": "complete",
    "created_at": datetime(2026, 1, 2, 3, 4, 5),  # naive: UTC, as storage keeps it
    "payload": {"text": "Très bien", "n": 2},
    "metadata": {"batch": "b1"},
    "pre_annotations": [{"model": "m1", "score": 0.9, "value": {"sentiment": "positive"}}],
    "annotations": [
        {
            "annotator": "ann@example.com",
            "created_at": datetime(2026, 1, 2, 6, 0, tzinfo=timezone(timedelta(hours=2))),
            "value": {"sentiment": "positive"},
            "seconds": 3.5,
            "guideline_version": 1,
        }
    ],
}

BARE: dict[str, Any] = {
    "id": 8,
    "external_id": None,
    "status": "new",
    "created_at": datetime(2026, 1, 2, 3, 4, 6, 500000),
    "payload": {"text": "x"},
    "metadata": {},
    "pre_annotations": [],
    "annotations": [],
}


def test_jsonl_writer_writes_compact_utf8_lines_and_leaves_the_stream_open() -> None:
    """Each record is one compact UTF-8 JSON line in key order; close() does not close."""
    out = io.BytesIO()
    writer = JsonlWriter(out)
    writer.write({"id": 1, "payload": {"text": "é"}, "external_id": None})
    writer.write({"id": 2, "payload": {"b": 1, "a": [1.5, True]}})
    writer.close()
    assert not out.closed
    assert (
        out.getvalue()
        == (
            '{"id":1,"payload":{"text":"é"},"external_id":null}\n'
            '{"id":2,"payload":{"b":1,"a":[1.5,true]}}\n'
        ).encode()
    )


def test_jsonl_writer_escapes_unpaired_surrogates() -> None:
    """A string with no UTF-8 form is written with escapes that read back to the same value."""
    out = io.BytesIO()
    with JsonlWriter(out) as writer:
        writer.write({"payload": {"text": "a\ud800b"}})
    assert out.getvalue() == b'{"payload":{"text":"a\\ud800b"}}\n'
    assert json.loads(out.getvalue()) == {"payload": {"text": "a\ud800b"}}


def test_csv_writer_flattens_json_columns() -> None:
    """JSON columns become JSON text cells, None an empty cell, under the fixed header."""
    out = io.BytesIO()
    writer = CsvWriter(out, COLUMNS)
    writer.write(RECORD)
    writer.write(BARE)
    writer.close()
    assert not out.closed
    assert out.getvalue().decode() == (
        "id,external_id,status,created_at,payload,metadata,pre_annotations,annotations\r\n"
        '7,r-7,complete,2026-01-02T03:04:05Z,"{""text"":""Très bien"",""n"":2}",'
        '"{""batch"":""b1""}",'
        '"[{""model"":""m1"",""score"":0.9,""value"":{""sentiment"":""positive""}}]",'
        '"[{""annotator"":""ann@example.com"",""created_at"":""2026-01-02T04:00:00Z"",'
        '""value"":{""sentiment"":""positive""},""seconds"":3.5,""guideline_version"":1}]"\r\n'
        '8,,new,2026-01-02T03:04:06.500000Z,"{""text"":""x""}",{},[],[]\r\n'
    )


def test_csv_writer_refuses_keys_outside_its_columns() -> None:
    """A record key that is not a column raises rather than being dropped."""
    writer = CsvWriter(io.BytesIO(), ("id", "payload"))
    with pytest.raises(ValueError) as err:
        writer.write({"id": 1, "payload": {}, "extra": 1, "more": True})
    assert str(err.value) == "record keys not in the CSV columns: ['extra', 'more']"


def test_parquet_writer_stores_json_columns_as_text_in_row_groups() -> None:
    """Records land in row groups of the batch size; JSON columns hold JSON text (their
    times as ``…Z`` text) and ``created_at`` is a UTC timestamp column."""
    out = io.BytesIO()
    writer = ParquetWriter(out, COLUMNS, batch_size=2)
    for record in (RECORD, BARE, RECORD):
        writer.write(record)
    writer.close()
    assert not out.closed
    out.seek(0)
    parquet = pq.ParquetFile(out)
    assert parquet.metadata.num_row_groups == 2
    table = parquet.read()
    assert table.schema == pa.schema(
        [("id", pa.int64())]
        + [
            (name, pa.timestamp("us", tz="UTC") if name == "created_at" else pa.string())
            for name in COLUMNS[1:]
        ]
    )
    expected = {
        "id": 7,
        "external_id": "r-7",
        "status": "complete",
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "payload": '{"text":"Très bien","n":2}',
        "metadata": '{"batch":"b1"}',
        "pre_annotations": '[{"model":"m1","score":0.9,"value":{"sentiment":"positive"}}]',
        "annotations": '[{"annotator":"ann@example.com","created_at":"2026-01-02T04:00:00Z",'
        '"value":{"sentiment":"positive"},"seconds":3.5,"guideline_version":1}]',
    }
    bare = {
        "id": 8,
        "external_id": None,
        "status": "new",
        "created_at": datetime(2026, 1, 2, 3, 4, 6, 500000, tzinfo=UTC),
        "payload": '{"text":"x"}',
        "metadata": "{}",
        "pre_annotations": "[]",
        "annotations": "[]",
    }
    assert table.to_pylist() == [expected, bare, expected]


def test_writers_give_every_time_in_utc_with_a_z() -> None:
    """Naive (UTC), offset and ``…Z`` text times read the same in JSONL, CSV and Parquet:
    ``…Z`` text in the first two (microseconds only when not zero), UTC in Parquet."""
    moments = [
        datetime(2026, 12, 2, 0, 33, 24, 184345),
        datetime(2026, 12, 2, 2, 33, 24, tzinfo=timezone(timedelta(hours=2))),
        "2026-12-02T00:33:24Z",
    ]
    texts = ["2026-12-02T00:33:24.184345Z", "2026-12-02T00:33:24Z", "2026-12-02T00:33:24Z"]
    outs: dict[ExportFormat, io.BytesIO] = {f: io.BytesIO() for f in ("jsonl", "csv", "parquet")}
    for fmt, out in outs.items():
        writer = open_writer(fmt, out, ("id", "created_at"))
        for n, moment in enumerate(moments):
            writer.write({"id": n, "created_at": moment})
        writer.close()
    jsonl = [json.loads(line)["created_at"] for line in outs["jsonl"].getvalue().splitlines()]
    cells = [r["created_at"] for r in csv.DictReader(io.StringIO(outs["csv"].getvalue().decode()))]
    parquet = pq.read_table(io.BytesIO(outs["parquet"].getvalue()))["created_at"].to_pylist()
    assert (jsonl, cells, parquet) == (
        texts,
        texts,
        [datetime.fromisoformat(t) for t in texts],
    )


def test_empty_parquet_export_is_a_valid_file_with_the_schema() -> None:
    """Closing a writer that got no records still writes a readable, empty file."""
    out = io.BytesIO()
    ParquetWriter(out, ("id", "payload")).close()
    out.seek(0)
    table = pq.read_table(out)
    assert (table.num_rows, table.schema) == (
        0,
        pa.schema([("id", pa.int64()), ("payload", pa.string())]),
    )


def test_open_writer_picks_the_class_by_format() -> None:
    """Each format name gives its writer; an unknown one is a ValueError."""
    kinds = [
        type(open_writer(f, io.BytesIO(), COLUMNS)).__name__ for f in ("jsonl", "csv", "parquet")
    ]
    assert kinds == ["JsonlWriter", "CsvWriter", "ParquetWriter"]
    with pytest.raises(ValueError) as err:
        open_writer("xml", io.BytesIO(), COLUMNS)  # type: ignore[arg-type]
    assert str(err.value) == "unknown export format 'xml' (use jsonl, csv or parquet)"


def test_jsonl_writer_embeds_raw_json_verbatim() -> None:
    """RawJson values go into the line as they are (spacing kept), other values are encoded."""
    out = io.BytesIO()
    with JsonlWriter(out) as writer:
        writer.write({"id": 1, "payload": RawJson('{"a": [1, 2], "é": "ü"}'), "s": 'x"y'})
        writer.write({"metadata": RawJson("{}"), "n": None, "ok": True, "f": 0.5, "l": [1]})
    assert (
        out.getvalue()
        == (
            '{"id":1,"payload":{"a": [1, 2], "é": "ü"},"s":"x\\"y"}\n'
            '{"metadata":{},"n":null,"ok":true,"f":0.5,"l":[1]}\n'
        ).encode()
    )


def test_jsonl_writer_keeps_one_record_per_line_for_raw_json_with_line_breaks() -> None:
    """Raw JSON text holding line breaks (white space in JSON) is re-encoded compactly."""
    out = io.BytesIO()
    with JsonlWriter(out) as writer:
        writer.write({"id": 1, "payload": RawJson('{\n  "a": 1,\r\n  "b": "é"\n}')})
    assert out.getvalue() == '{"id":1,"payload":{"a":1,"b":"é"}}\n'.encode()


def test_jsonl_writer_escapes_unpaired_surrogates_next_to_raw_json() -> None:
    """A value with no UTF-8 form beside RawJson falls back to ASCII escapes, same values."""
    out = io.BytesIO()
    with JsonlWriter(out) as writer:
        writer.write({"payload": RawJson('{"t":"é"}'), "external_id": "a\ud800"})
    assert out.getvalue() == b'{"payload":{"t":"\\u00e9"},"external_id":"a\\ud800"}\n'
    assert json.loads(out.getvalue()) == {"payload": {"t": "é"}, "external_id": "a\ud800"}


def test_csv_and_parquet_writers_write_raw_json_as_the_cell_text() -> None:
    """RawJson becomes the cell text as it is, in JSON columns and others alike."""
    record = {"id": 3, "status": RawJson('"x"'), "payload": RawJson('{"a": "é"}')}
    csv_out = io.BytesIO()
    with CsvWriter(csv_out, ("id", "status", "payload")) as writer:
        writer.write(record)
    assert csv_out.getvalue().decode() == 'id,status,payload\r\n3,"""x""","{""a"": ""é""}"\r\n'
    parquet_out = io.BytesIO()
    with ParquetWriter(parquet_out, ("id", "status", "payload")) as writer:
        writer.write(record)
    parquet_out.seek(0)
    assert pq.read_table(parquet_out).to_pylist() == [
        {"id": 3, "status": '"x"', "payload": '{"a": "é"}'}
    ]


def test_json_object_text_refuses_nan_like_the_encoder() -> None:
    """NaN and infinities are not JSON, so composing them raises ValueError."""
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError):
            json_object_text({"score": bad})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), st.tuples(json_values, st.booleans()), max_size=5))
def test_composed_object_text_is_the_compact_encoding(fields: dict[str, Any]) -> None:
    """Composing plain and RawJson members gives exactly the compact encoding of the values."""
    plain = {key: value for key, (value, _) in fields.items()}
    mixed = {
        key: RawJson(json.dumps(value, ensure_ascii=False, separators=(",", ":"))) if raw else value
        for key, (value, raw) in fields.items()
    }
    expected = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    assert json_object_text(mixed) == expected
    assert json_array_text([json_object_text(mixed)] * 2) == f"[{expected},{expected}]"


# What each cell becomes: formula starts get a quote, plain numbers and other text do not.
ESCAPED = {
    '=HYPERLINK("http://evil")': '\'=HYPERLINK("http://evil")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\tx": "'\tx",
    "\r=1": "'\r=1",
    "=": "'=",
    "-": "'-",
    "=日本語": "'=日本語",
    "=A1\n=B2": "'=A1\n=B2",
    "-1\n": "'-1\n",
    "-1,5": "'-1,5",
    "-1 ": "'-1 ",
    "-1_000": "'-1_000",
    "-inf": "'-inf",
    "-NaN": "'-NaN",
    "-0x1F": "'-0x1F",
    "-١٢": "'-١٢",
    "'=x": "''=x",
    "''@x": "'''@x",
    "-1.5": "-1.5",
    "+3": "+3",
    "-2e5": "-2e5",
    "+1E-3": "+1E-3",
    "-.5": "-.5",
    "-5.": "-5.",
    "-0": "-0",
    "'x": "'x",
    "'": "'",
    "x=1": "x=1",
    " =1": " =1",
    "日本=": "日本=",
    '{"a":"=1"}': '{"a":"=1"}',
    "[-1]": "[-1]",
    "": "",
}


def test_escape_formula_quotes_formula_starts_but_not_numbers() -> None:
    """Each formula start gets one quote, a quoted formula start one more; numbers stay."""
    assert {text: escape_formula(text) for text in ESCAPED} == ESCAPED


def test_csv_writer_escapes_formula_cells_by_default_and_not_when_raw() -> None:
    """Escaping reaches every kind of cell and the header; ``raw`` writes the exact text."""
    columns = ("id", "=note", "score", "payload", "flag")
    record = {
        "id": -3,
        "=note": "@SUM(A1)\nsecond line",
        "score": -1.5,
        "payload": RawJson("-7"),
        "flag": None,
    }
    escaped, raw = io.BytesIO(), io.BytesIO()
    with CsvWriter(escaped, columns) as writer:
        writer.write(record)
        writer.write({"id": 4, "=note": "", "score": "-2+3", "payload": {"t": "=1"}})
    with CsvWriter(raw, columns, formulas="raw") as writer:
        writer.write(record)
    assert (escaped.getvalue().decode(), raw.getvalue().decode()) == (
        "id,'=note,score,payload,flag\r\n"
        '-3,"\'@SUM(A1)\nsecond line",-1.5,-7,\r\n'
        '4,,\'-2+3,"{""t"":""=1""}",\r\n',
        'id,=note,score,payload,flag\r\n-3,"@SUM(A1)\nsecond line",-1.5,-7,\r\n',
    )


def test_csv_writer_refuses_an_unknown_formulas_mode() -> None:
    """A misspelt mode is an error rather than silently writing formulas unescaped."""
    with pytest.raises(ValueError) as err:
        CsvWriter(io.BytesIO(), ("id",), formulas="Raw")  # type: ignore[arg-type]
    assert str(err.value) == "formulas must be 'escape' or 'raw', not 'Raw'"


def test_open_writer_passes_csv_formulas_to_the_csv_writer_only() -> None:
    """``csv_formulas`` decides the CSV cells; the JSONL line is the same either way."""
    record = {"id": 1, "external_id": "=1+1"}
    written = {}
    for fmt in ("csv", "jsonl"):
        for mode in ("escape", "raw"):
            out = io.BytesIO()
            writer = open_writer(fmt, out, ("id", "external_id"), csv_formulas=mode)
            writer.write(record)
            writer.close()
            written[fmt, mode] = out.getvalue()
    assert written == {
        ("csv", "escape"): b"id,external_id\r\n1,'=1+1\r\n",
        ("csv", "raw"): b"id,external_id\r\n1,=1+1\r\n",
        ("jsonl", "escape"): b'{"id":1,"external_id":"=1+1"}\n',
        ("jsonl", "raw"): b'{"id":1,"external_id":"=1+1"}\n',
    }


def _unescaped(cell: str) -> str:
    """Undo ``escape_formula``: drop one quote before (quotes and) a formula start."""
    if cell.startswith("'") and cell[1:].lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _is_number(cell: str) -> bool:
    """A plain decimal number, judged by ``Decimal`` rather than the writer's own pattern."""
    try:
        number = Decimal(cell)
    except InvalidOperation:
        return False
    return number.is_finite() and cell.isascii() and "_" not in cell and cell == cell.strip()


cell_texts = st.one_of(
    st.text(),
    st.builds(str.__add__, st.sampled_from([*FORMULA_STARTS, "'", "''", "'-", "'\t"]), st.text()),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)


@given(st.lists(cell_texts, min_size=1, max_size=4))
def test_escaped_csv_cells_read_back_to_the_text_and_never_start_a_formula(
    texts: list[str],
) -> None:
    """Read back by ``csv``, escaped cells undo to the text and start no formula unless they
    are numbers; raw cells are the text itself."""
    columns = [f"c{i}" for i in range(len(texts))]
    record = dict(zip(columns, texts, strict=True))
    read = {}
    for mode in ("escape", "raw"):
        out = io.BytesIO()
        with CsvWriter(out, columns, formulas=mode) as writer:
            writer.write(record)
        read[mode] = list(csv.reader(io.StringIO(out.getvalue().decode(), newline="")))
    escaped = read["escape"][1]
    assert ([_unescaped(c) for c in escaped], read["raw"]) == (texts, [columns, texts])
    assert [c for c in escaped if c.startswith(FORMULA_STARTS) and not _is_number(c)] == []
