"""URL paths of the API, built from names the caller gives."""

from __future__ import annotations

from urllib.parse import quote


def segment(name: str) -> str:
    """``name`` as one path segment: a ``/`` or ``?`` in a project or email stays inside it."""
    return quote(name, safe="")
