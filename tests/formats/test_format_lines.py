"""Splitting binary streams into numbered UTF-8 lines with a size limit."""

from __future__ import annotations

import io

import pytest

from labelworks.domain.errors import InvalidImport
from labelworks.formats.lines import iter_line_batches


def _lines(data: bytes, *, limit: int = 1000, chunk: int = 7) -> list[tuple[int, str]]:
    """Every line with its number, read in small chunks to cross chunk boundaries."""
    numbered = []
    batches = iter_line_batches(
        io.BytesIO(data), source="in.txt", max_row_bytes=limit, chunk_bytes=chunk
    )
    for first, batch in batches:
        numbered.extend(enumerate(batch, start=first))
    return numbered


def _collect(data: bytes, *, limit: int, chunk: int) -> tuple[list[tuple[int, str]], dict]:
    """The lines yielded before the error, and the error as a dict."""
    numbered: list[tuple[int, str]] = []
    batches = iter_line_batches(
        io.BytesIO(data), source="in.txt", max_row_bytes=limit, chunk_bytes=chunk
    )
    with pytest.raises(InvalidImport) as err:
        for first, batch in batches:
            numbered.extend(enumerate(batch, start=first))
    return numbered, err.value.to_dict()


def test_lines_are_numbered_across_chunks() -> None:
    """Lines keep their physical numbers whatever the chunking, with CR and a last partial line."""
    data = "alpha\r\nbeta\n\nγάμμα\ndelta".encode()
    assert _lines(data) == [(1, "alpha\r"), (2, "beta"), (3, ""), (4, "γάμμα"), (5, "delta")]
    assert _lines(data, chunk=1 << 20) == _lines(data)


def test_byte_order_mark_is_dropped() -> None:
    """A UTF-8 byte-order mark at the start of the file is not part of the first line."""
    assert _lines(b"\xef\xbb\xbfa\nb\n") == [(1, "a"), (2, "b")]


def test_invalid_utf8_names_the_line_of_the_bad_byte() -> None:
    """The lines before a bad byte are yielded, then the error names its line and position."""
    numbered, error = _collect(b"ok\nfine\nbad \xc3\x28 here\nnext\n", limit=1000, chunk=5)
    assert numbered == [(1, "ok"), (2, "fine")]
    assert error == {
        "code": "invalid_import",
        "message": "in.txt, line 3: invalid UTF-8 at byte 5 of the line (0xc3); "
        "save the file as UTF-8",
        "location": {"file": "in.txt", "line": 3, "field": None},
    }


def test_long_line_inside_a_chunk_is_refused_with_its_size() -> None:
    """A line over the limit within one chunk is refused after the lines before it."""
    numbered, error = _collect(b"short\n" + b"x" * 40 + b"\nlater\n", limit=30, chunk=1000)
    assert numbered == [(1, "short")]
    assert error == {
        "code": "invalid_import",
        "message": "in.txt, line 2: row is 40 bytes, over the limit of 30 bytes per row",
        "location": {"file": "in.txt", "line": 2, "field": None},
    }


def test_long_line_across_chunks_is_measured_without_keeping_it() -> None:
    """A line longer than the limit that spans many chunks is measured to its end."""
    numbered, error = _collect(b"a\n" + b"y" * 5000 + b"\nb\n", limit=100, chunk=64)
    assert numbered == [(1, "a")]
    assert error == {
        "code": "invalid_import",
        "message": "in.txt, line 2: row is 5,000 bytes, over the limit of 100 bytes per row",
        "location": {"file": "in.txt", "line": 2, "field": None},
    }


def test_multibyte_characters_count_as_bytes() -> None:
    """The limit is in bytes: ten two-byte characters are a 20-byte line."""
    assert _lines(("é" * 10 + "\n").encode(), limit=20) == [(1, "é" * 10)]
    _, error = _collect(("é" * 10 + "\n").encode(), limit=19, chunk=1000)
    assert error == {
        "code": "invalid_import",
        "message": "in.txt, line 1: row is 20 bytes, over the limit of 19 bytes per row",
        "location": {"file": "in.txt", "line": 1, "field": None},
    }
