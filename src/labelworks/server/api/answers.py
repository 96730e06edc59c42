"""The error answers every API route may give, declared once for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from labelworks.schemas.api import ErrorOut

_MEANING = {
    401: "no valid token or session",
    403: "the caller's role does not allow this",
    404: "no such thing, or the caller may not know it exists",
    409: "the request clashes with the current state",
    413: "the request body is over the route's size limit",
    422: "the request is malformed; the message names the field",
    429: "too many attempts; try again later",
}

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": meaning} for status, meaning in _MEANING.items()
}
