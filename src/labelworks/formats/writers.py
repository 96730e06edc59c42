"""Choosing an export writer by format name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO, Literal, Protocol

from labelworks.formats.csvfile import CsvFormulas, CsvWriter
from labelworks.formats.jsonl import JsonlWriter

ExportFormat = Literal["jsonl", "csv", "parquet"]


class Writer(Protocol):
    """A streaming export writer: ``write`` records one by one, then ``close`` once."""

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record."""

    def close(self) -> None:
        """Finish the file; the stream stays open for its owner."""


def open_writer(
    format: ExportFormat,
    stream: BinaryIO,
    columns: Sequence[str],
    *,
    csv_formulas: CsvFormulas = "escape",
) -> Writer:
    """A writer for ``format`` over ``stream``; CSV and Parquet use ``columns`` as the header.

    JSONL writes each record's own keys, so ``columns`` does not apply to it.
    ``csv_formulas`` is the CSV writer's ``formulas``; JSONL and Parquet always hold the
    exact values, so it does not apply to them.
    """
    if format == "jsonl":
        return JsonlWriter(stream)
    if format == "csv":
        return CsvWriter(stream, columns, formulas=csv_formulas)
    if format == "parquet":
        # Imported here so that loading labelworks (e.g. for the CLI) does not load pyarrow.
        from labelworks.formats.parquet import ParquetWriter

        return ParquetWriter(stream, columns)
    raise ValueError(f"unknown export format '{format}' (use jsonl, csv or parquet)")
