"""Naming the JSON type of a value in error messages (JSON's words, not Python's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def json_kind(value: Any) -> str:
    """``null``, ``boolean``, ``number``, ``string``, ``array``, ``object`` (else the type)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def decode_failure(exc: BaseException) -> str:
    """What went wrong decoding untrusted JSON or YAML text, in the user's terms.

    Python refuses to turn more than 4,300 digits into an int (a denial-of-service guard),
    with a message about ``sys``; users get the fact instead. Nesting past the recursion
    limit is named as such.
    """
    if isinstance(exc, RecursionError):
        return "arrays or objects are nested too deeply"
    text = str(exc)
    if "integer string conversion" in text:
        return "a number has more than 4,300 digits"
    return text
