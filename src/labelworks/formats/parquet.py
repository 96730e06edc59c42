"""Parquet files (pyarrow): a row-group streaming reader and a buffered writer.

Only column types with a JSON form are read (nulls, booleans, integers, floats, strings,
lists and structs of those, dictionary-encoded strings); anything else (timestamps,
decimals, binary, maps) is refused up front naming the column, since an item's payload is
JSON and a silent conversion would change what annotators see. The one exception is what
an export writes itself: next to a ``payload`` column (a structured file, whose other
columns are not payload), the timestamp columns of ``TIMESTAMP_COLUMNS`` are read as their
``utc_text``, so that an export re-imports as is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO, NoReturn

import pyarrow as pa
import pyarrow.parquet as pq

from labelworks.domain.errors import InvalidImport, Location
from labelworks.formats.json_text import JSON_COLUMNS, TIMESTAMP_COLUMNS, json_text, utc_text
from labelworks.formats.lines import too_big

ParquetRows = Iterator[tuple[int, dict[str, Any]]]
DEFAULT_READ_BATCH = 4096
DEFAULT_WRITE_BATCH = 10_000


def read_parquet(
    stream: BinaryIO, *, source: str, max_row_bytes: int, batch_size: int = DEFAULT_READ_BATCH
) -> tuple[dict[str, str], ParquetRows]:
    """Open a Parquet stream; return ``{column: kind}`` and an iterator of ``(row, record)``.

    ``kind`` is ``"text"`` for string columns, ``"struct"``, ``"list"`` or ``"scalar"``.
    Rows are numbered from 1 and read one batch at a time, so memory stays bounded by a
    batch. Raises ``InvalidImport`` for an empty or non-Parquet stream, a file with no rows,
    columns whose type has no JSON form, and a row whose JSON form is over ``max_row_bytes``
    (measured once its batch is read: Parquet cannot be measured before decoding).
    """
    if not stream.seekable():
        _fail(source, "a Parquet file must be read from a seekable file, not a pipe")
    start = stream.tell()
    if stream.seek(0, 2) == start:
        _fail(source, f"{source} has no rows")
    stream.seek(start)
    try:
        parquet = pq.ParquetFile(stream)
    except (pa.ArrowException, OSError) as exc:
        _fail(source, f"not a readable Parquet file: {exc}")
    schema = parquet.schema_arrow
    stamps = _export_timestamps(schema)
    kinds = {
        field.name: "text" if field.name in stamps else _kind(field, source) for field in schema
    }
    if parquet.metadata.num_rows == 0:
        _fail(source, f"{source} has no rows")
    return kinds, _rows(parquet, source, batch_size, max_row_bytes, stamps)


def _export_timestamps(schema: pa.Schema) -> list[str]:
    """The columns of ``TIMESTAMP_COLUMNS`` that hold timestamps in a structured file."""
    if "payload" not in schema.names:
        return []
    payload = schema.field("payload").type
    if not (pa.types.is_struct(payload) or pa.types.is_string(payload)):
        return []
    return [
        f.name
        for f in schema
        if f.name in TIMESTAMP_COLUMNS and pa.types.is_timestamp(f.type) and f.type.tz is not None
    ]


def _rows(
    parquet: pq.ParquetFile, source: str, batch_size: int, max_row_bytes: int, stamps: list[str]
) -> ParquetRows:
    number = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        # No row can be over the limit when the whole batch is under it: the common case
        # costs nothing; otherwise each row is measured as the JSON it will be stored as.
        measure = batch.nbytes > max_row_bytes
        for record in batch.to_pylist():
            number += 1
            for name in stamps:
                moment = record[name]
                record[name] = None if moment is None else utc_text(moment)
            if measure:
                size = len(_json_size_text(record).encode("utf-8", "surrogatepass"))
                if size > max_row_bytes:
                    raise InvalidImport(
                        too_big(size, max_row_bytes), location=Location(file=source, line=number)
                    )
            yield number, record


def _json_size_text(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


def _kind(field: pa.Field, source: str) -> str:
    kind = field.type
    _check_type(kind, field.name, source)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_struct(kind):
        return "struct"
    if _is_list(kind):
        return "list"
    return "scalar"


def _check_type(kind: pa.DataType, column: str, source: str) -> None:
    if _is_list(kind):
        _check_type(kind.value_type, column, source)
        return
    if pa.types.is_struct(kind):
        for index in range(kind.num_fields):
            _check_type(kind.field(index).type, column, source)
        return
    if pa.types.is_dictionary(kind):
        _check_type(kind.value_type, column, source)
        return
    plain = (
        pa.types.is_null(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or kind == pa.string_view()
    )
    if not plain:
        raise InvalidImport(
            f"column '{column}' has Parquet type {kind}, which has no JSON form; "
            "cast it to a string or a number before importing",
            location=Location(file=source, field=column),
        )


def _is_list(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    )


def _fail(source: str, message: str) -> NoReturn:
    raise InvalidImport(message, location=Location(file=source))


class ParquetWriter:
    """Buffers up to ``batch_size`` records, then writes them as one row group.

    Column ``id`` is int64; ``TIMESTAMP_COLUMNS`` (``created_at``) are timestamps in UTC
    (microseconds; a naive datetime is taken as UTC, text is read as ISO 8601); every other
    column is a string: JSON columns (``payload``, ``metadata``, ``pre_annotations``,
    ``annotations``, ``final``) and dict/list values hold JSON text, so heterogeneous
    payloads share one schema. ``close()`` writes the footer (an
    export of no records is still a valid file with the schema) and leaves the stream open.
    """

    def __init__(
        self, stream: BinaryIO, columns: Sequence[str], *, batch_size: int = DEFAULT_WRITE_BATCH
    ) -> None:
        self._columns = tuple(columns)
        self._known = frozenset(self._columns)
        self._schema = pa.schema([(name, _column_type(name)) for name in self._columns])
        self._writer = pq.ParquetWriter(stream, self._schema)
        self._batch_size = batch_size
        self._pending: dict[str, list[Any]] = {name: [] for name in self._columns}
        self._count = 0

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record; a full buffer becomes a row group."""
        extra = record.keys() - self._known
        if extra:
            raise ValueError(f"record keys not in the Parquet columns: {sorted(extra)}")
        for name, values in self._pending.items():
            values.append(_value(name, record.get(name)))
        self._count += 1
        if self._count >= self._batch_size:
            self._flush()

    def close(self) -> None:
        """Write the last row group and the footer."""
        self._flush()
        self._writer.close()

    def _flush(self) -> None:
        if self._count:
            batch = pa.RecordBatch.from_pydict(self._pending, schema=self._schema)
            self._writer.write_batch(batch)
            for values in self._pending.values():
                values.clear()
            self._count = 0

    def __enter__(self) -> ParquetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _column_type(name: str) -> pa.DataType:
    if name == "id":
        return pa.int64()
    if name in TIMESTAMP_COLUMNS:
        return pa.timestamp("us", tz="UTC")
    return pa.string()


def _value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column == "id":
        return value
    if column in TIMESTAMP_COLUMNS:
        # pyarrow reads a naive datetime as UTC and converts an aware one.
        return datetime.fromisoformat(value) if isinstance(value, str) else value
    if column in JSON_COLUMNS or not isinstance(value, str):
        return json_text(value)
    return value
