"""Untrusted JSON documents (request bodies, JSON specs): one strict decoder.

Refused, each with a clear ``InvalidInput`` instead of a crash: bytes that are not UTF-8,
``NaN``/``Infinity`` (not JSON), numbers too long to convert, nesting beyond ``max_depth``
(checked before decoding, so no recursion limit is ever reached), and strings holding an
unpaired UTF-16 surrogate such as ``"\\ud800"`` (valid JSON text, but not Unicode: no
database or UTF-8 file can store it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.json_value import decode_failure

MAX_DEPTH = 64


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)
# Strings (with escapes) and the brackets outside them: enough to measure nesting without
# decoding. Strings are matched whole so brackets inside them never count.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")


def _nesting_exceeds(data: bytes, max_depth: int) -> bool:
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _unpaired_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            try:
                current.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False


def load_json(data: bytes, *, source: str, max_depth: int = MAX_DEPTH) -> Any:
    """Decode one JSON document strictly (see the module docstring for what is refused)."""
    where = Location(file=source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source} is not UTF-8 (byte {exc.start})", location=where) from exc
    if _nesting_exceeds(data, max_depth):
        raise InvalidInput(
            f"{source} nests arrays or objects more than {max_depth} deep", location=where
        )
    try:
        value = _decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"invalid JSON: {exc.msg} (column {exc.colno})",
            location=Location(file=source, line=exc.lineno),
        ) from exc
    except (ValueError, RecursionError) as exc:  # NaN, 5,000-digit numbers
        raise InvalidInput(f"invalid JSON: {decode_failure(exc)}", location=where) from exc
    if _ESCAPED_SURROGATE.search(text) and _unpaired_surrogate(value):
        raise InvalidInput(
            f"{source} holds an unpaired UTF-16 surrogate (such as \\ud800), "
            "which is not valid Unicode",
            location=where,
        )
    return value
