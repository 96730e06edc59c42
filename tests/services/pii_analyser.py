"""A small real PII analyser for the tests: capitalised words, as a stand-in for names."""

from __future__ import annotations

import re
from collections.abc import Iterator

_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
NOT_CALLABLE = 42


def names(text: str) -> Iterator[tuple[str, int, int]]:
    """Each capitalised word as ``("capitalised", start, end)``."""
    for match in _CAPITALISED.finditer(text):
        yield "capitalised", match.start(), match.end()
