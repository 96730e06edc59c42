"""CSV files: a streaming record reader that checks the header and cell counts, and a writer.

The reader works on the binary stream through ``formats.lines`` (not a ``TextIOWrapper``), so
invalid UTF-8 is reported on the physical line of the bad byte, and a record is refused once
it passes ``max_row_bytes`` instead of tripping the csv module's field limit.

The writer escapes cells a spreadsheet would run as a formula (see ``escape_formula``)
unless it is told the file is for a program (``formulas="raw"``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, BinaryIO, Literal, NoReturn

from labelworks.domain.errors import InvalidImport, Location
from labelworks.formats.json_text import JSON_COLUMNS, json_text, utc_text
from labelworks.formats.lines import iter_line_batches, too_big

CsvRecords = Iterator[tuple[int, list[str]]]
CsvFormulas = Literal["escape", "raw"]
_FLUSH_CHARS = 1 << 18

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection"):
# "=", "+", "-" and "@" start formulas, and Excel drops a leading tab or carriage return
# before looking at what follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# First characters worth a closer look: the formula starts, and the quote itself, so that a
# cell such as "'=x" keeps its quote (see ``escape_formula``).
_CHECK_FIRST = frozenset((*FORMULA_STARTS, "'"))
# A plain decimal number, as spreadsheets read one: ASCII digits, an optional sign, fraction
# and exponent. No spaces, "_", "inf", "nan", hex or thousands separators.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_first_char = itemgetter(slice(None, 1))  # "" for an empty cell


class _LineFeed:
    """Feeds text lines to ``csv.reader`` while counting lines and bytes of the current record."""

    def __init__(self, stream: BinaryIO, source: str, max_row_bytes: int) -> None:
        self._batches = iter_line_batches(stream, source=source, max_row_bytes=max_row_bytes)
        self._lines: Iterator[str] = iter(())
        self._source = source
        self._limit = max_row_bytes
        self.consumed = 0  # physical lines handed to the csv reader so far
        self.record_bytes = 0  # bytes of the record being parsed
        self.record_start = 1  # its first physical line

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = next(self._lines, None)
        if line is None:
            _, batch = next(self._batches)  # StopIteration ends the csv reader
            self._lines = iter(batch)
            line = next(self._lines)
        self.consumed += 1
        # The newline counts: it is part of the record (and of a multi-line field).
        self.record_bytes += 1 + (len(line) if line.isascii() else len(line.encode("utf-8")))
        if self.record_bytes > self._limit:
            # A quoted field can span lines, so a record can outgrow the limit line by line;
            # it is refused as soon as it does, without reading the rest.
            message = too_big(self.record_bytes, self._limit, at_least=True)
            _fail(self._source, self.record_start, message)
        return line + "\n"


def read_csv(stream: BinaryIO, *, source: str, max_row_bytes: int) -> tuple[list[str], CsvRecords]:
    """Read and check the header; return it with an iterator of ``(line, cells)`` records.

    ``line`` is the physical line where the record starts. The header is the first line;
    its names are stripped of surrounding spaces. Blank lines after it are skipped. Raises
    ``InvalidImport`` for an empty file, an empty header, blank or repeated column names, a
    record whose cell count differs from the header's, and malformed quoting.
    """
    # The csv module's field limit is process-wide; raising it (never lowering) only stops it
    # from refusing fields we already bound by max_row_bytes.
    if csv.field_size_limit() < max_row_bytes + 1:
        csv.field_size_limit(max_row_bytes + 1)
    feed = _LineFeed(stream, source, max_row_bytes)
    reader = csv.reader(feed, strict=True)
    header_row = _next_record(reader, feed, source, skip_blank=False)
    if header_row is None:
        _fail(source, None, f"{source} has no rows")
    header = [name.strip() for name in header_row[1]]
    _check_header(header, source)
    return header, _records(reader, feed, source, len(header))


def _check_header(header: list[str], source: str) -> None:
    if not any(header):
        _fail(source, 1, "CSV header is empty; the first line must name the columns")
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        if not name:
            _fail(source, 1, f"CSV header column {index} has no name")
        if name in seen:
            _fail(
                source,
                1,
                f"CSV header repeats column '{name}' (columns {seen[name]} and {index})",
                name,
            )
        seen[name] = index


def _records(reader: Any, feed: _LineFeed, source: str, width: int) -> CsvRecords:
    while (record := _next_record(reader, feed, source)) is not None:
        line, cells = record
        if len(cells) != width:
            cells_word = "cell" if len(cells) == 1 else "cells"
            _fail(
                source,
                line,
                f"row has {len(cells)} {cells_word} but the header has {width} columns",
            )
        yield line, cells


def _next_record(
    reader: Any, feed: _LineFeed, source: str, *, skip_blank: bool = True
) -> tuple[int, list[str]] | None:
    """The next (non-blank) record and the line it starts on, or None at the end."""
    while True:
        start = feed.consumed + 1
        feed.record_bytes = 0
        feed.record_start = start
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            _fail(source, start, f"malformed CSV: {exc}")
        if cells or not skip_blank:
            return start, cells


def _fail(source: str, line: int | None, message: str, field: str | None = None) -> NoReturn:
    raise InvalidImport(message, location=Location(file=source, line=line, field=field))


def escape_formula(text: str) -> str:
    """``text`` as a spreadsheet shows it rather than runs it: the CSV cell to write.

    A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (OWASP's advice; spreadsheets show the rest as text), unless it is a plain
    decimal number such as ``-1.5``, ``+3`` or ``-2e5``: a number cannot run anything, and
    quoting it would turn a numeric column into text. A cell that starts with quotes followed
    by one of those characters gets one more quote, so that the escaping can always be
    undone: drop one leading ``'`` where what follows it, past any further quotes, starts
    with one of them. Everything else is written as it is.
    """
    if text[:1] not in _CHECK_FIRST:
        return text
    if not text.lstrip("'").startswith(FORMULA_STARTS) or _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


class CsvWriter:
    """Streams records as CSV rows under a fixed header; ``close()`` leaves the stream open.

    Columns named in ``JSON_COLUMNS`` (and any dict or list value) are written as compact
    JSON text; ``None`` is an empty cell; booleans are ``true``/``false``; datetimes are
    ``utc_text``. A record key that is not a column is an error (``ValueError``), so nothing
    is dropped silently. Every cell, the header's included, goes through ``escape_formula``
    unless ``formulas`` is ``"raw"`` (for programs that read the file and want the exact text).
    """

    def __init__(
        self, stream: BinaryIO, columns: Sequence[str], *, formulas: CsvFormulas = "escape"
    ) -> None:
        if formulas not in ("escape", "raw"):
            raise ValueError(f"formulas must be 'escape' or 'raw', not {formulas!r}")
        self._stream = stream
        self._columns = tuple(columns)
        self._known = frozenset(self._columns)
        self._escape = formulas == "escape"
        # Rows are formatted into a text buffer and written to the stream in blocks; a
        # TextIOWrapper would close the caller's stream when it is garbage-collected.
        self._text = io.StringIO()
        self._writer = csv.writer(self._text)
        self._writer.writerow(
            [escape_formula(c) for c in self._columns] if self._escape else self._columns
        )

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record as a row."""
        extra = record.keys() - self._known
        if extra:
            raise ValueError(f"record keys not in the CSV columns: {sorted(extra)}")
        row = [_cell(name, record.get(name)) for name in self._columns]
        # Most rows have nothing to escape: looking at their first characters in one C-level
        # pass costs half as much as calling escape_formula on every cell.
        if self._escape and not _CHECK_FIRST.isdisjoint(map(_first_char, row)):
            row = [escape_formula(cell) for cell in row]
        self._writer.writerow(row)
        if self._text.tell() >= _FLUSH_CHARS:
            self._flush()

    def close(self) -> None:
        """Write what is pending and flush the stream; the caller still owns (and closes) it."""
        self._flush()
        self._stream.flush()

    def _flush(self) -> None:
        text = self._text.getvalue()
        if text:
            self._stream.write(text.encode("utf-8"))
            self._text.seek(0)
            self._text.truncate()

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cell(column: str, value: Any) -> str:
    if column in JSON_COLUMNS or isinstance(value, dict | list):
        return "" if value is None else json_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc_text(value)
    return str(value)
