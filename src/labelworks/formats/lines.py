"""Splitting a binary stream into UTF-8 text lines, in batches, with a per-line size limit.

Both JSONL and CSV readers stand on this: it owns the byte-level concerns (invalid UTF-8
reported on the physical line of the bad byte, oversized lines refused before they are held
in memory, a leading byte-order mark) so the format readers only see text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, NoReturn

from labelworks.domain.errors import InvalidImport, Location

# Reading big chunks and splitting them in one call is several times faster than
# ``readline`` per row; memory stays bounded by the chunk plus one partial line.
CHUNK_BYTES = 1 << 20
_BOM = "\ufeff"


def too_big(size: int, limit: int, *, at_least: bool = False) -> str:
    """The message for a row over the size limit (shared by every format)."""
    bound = "at least " if at_least else ""
    return f"row is {bound}{size:,} bytes, over the limit of {limit:,} bytes per row"


def iter_line_batches(
    stream: BinaryIO, *, source: str, max_row_bytes: int, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(number of the first line, lines)`` batches, lines without their ``\\n``.

    Lines are decoded as strict UTF-8 and keep any ``\\r``. The batches cover every physical
    line in order, so a consumer numbers them by counting from the first. Raises
    ``InvalidImport`` for invalid UTF-8 (after yielding the lines before the bad one) and for
    a line longer than ``max_row_bytes`` bytes (measured without holding it in memory).
    """
    read: Callable[[int], bytes] = getattr(stream, "read1", None) or stream.read
    carry = b""
    next_line = 1
    first = True
    while True:
        chunk = read(chunk_bytes)
        if not chunk:
            break
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            if len(carry) > max_row_bytes:
                size = len(carry) + _drain_line(read, chunk_bytes)
                _raise(source, next_line, too_big(size, max_row_bytes))
            continue
        carry = data[cut + 1 :]
        lines = _decode(data[: cut + 1], source, next_line, max_row_bytes, first)
        for batch in lines:
            yield next_line, batch
            next_line += len(batch)
        first = False
        if len(carry) > max_row_bytes:
            size = len(carry) + _drain_line(read, chunk_bytes)
            _raise(source, next_line, too_big(size, max_row_bytes))
    if carry:
        for batch in _decode(carry + b"\n", source, next_line, max_row_bytes, first):
            yield next_line, batch
            next_line += len(batch)


def _decode(
    block: bytes, source: str, first_line: int, max_row_bytes: int, strip_bom: bool
) -> Iterator[list[str]]:
    """Decode a block of whole lines (ending in ``\\n``); yield good lines before any error."""
    error: InvalidImport | None = None
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = block.rfind(b"\n", 0, exc.start) + 1
        bad_line = first_line + block.count(b"\n", 0, line_start)
        error = InvalidImport(
            f"invalid UTF-8 at byte {exc.start - line_start + 1} of the line "
            f"(0x{block[exc.start]:02x}); save the file as UTF-8",
            location=Location(file=source, line=bad_line),
        )
        text = block[:line_start].decode("utf-8")
    lines = text.split("\n")
    lines.pop()  # the block ends in "\n", so the last piece is empty
    if strip_bom and lines and lines[0].startswith(_BOM):
        lines[0] = lines[0][1:]
    # A line can only be too long when the whole block is; check lazily to keep it cheap.
    if len(block) > max_row_bytes:
        for index, line in enumerate(lines):
            if len(line) * 4 > max_row_bytes:
                size = len(line.encode("utf-8"))
                if size > max_row_bytes:
                    if index:
                        yield lines[:index]
                    _raise(source, first_line + index, too_big(size, max_row_bytes))
    if lines:
        yield lines
    if error is not None:
        raise error


def _drain_line(read: Callable[[int], bytes], chunk_bytes: int) -> int:
    """Count (and drop) the bytes up to the end of the current line."""
    size = 0
    while True:
        chunk = read(chunk_bytes)
        if not chunk:
            return size
        end = chunk.find(b"\n")
        if end >= 0:
            return size + end
        size += len(chunk)


def _raise(source: str, line: int, message: str) -> NoReturn:
    raise InvalidImport(message, location=Location(file=source, line=line))
