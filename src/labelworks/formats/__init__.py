"""Streaming readers and writers over file-like objects handed in by the caller.

``ParquetWriter`` is loaded on first use, so importing this package does not import pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labelworks.formats.csvfile import CsvFormulas, CsvWriter, escape_formula
from labelworks.formats.json_text import JSON_COLUMNS
from labelworks.formats.jsonl import JsonlWriter
from labelworks.formats.writers import ExportFormat, Writer, open_writer

if TYPE_CHECKING:
    from labelworks.formats.parquet import ParquetWriter

__all__ = [
    "JSON_COLUMNS",
    "CsvFormulas",
    "CsvWriter",
    "ExportFormat",
    "JsonlWriter",
    "ParquetWriter",
    "Writer",
    "escape_formula",
    "open_writer",
]


def __getattr__(name: str) -> Any:
    if name == "ParquetWriter":
        from labelworks.formats.parquet import ParquetWriter

        return ParquetWriter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
