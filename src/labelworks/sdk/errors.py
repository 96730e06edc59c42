"""Turning an API error response back into the labelworks error it was mapped from.

The server sends ``{"code", "message", "location"?, "details"?}``; codes are a stable public
contract, so the SDK raises the very class of ``labelworks.domain.errors`` whose ``code`` it
is. The code table is built by walking the error tree, so a new error class is picked up
without touching the SDK.
"""

from __future__ import annotations

from typing import Any

import httpx

from labelworks.domain.errors import (
    Conflict,
    InvalidInput,
    LabelworksError,
    Location,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    error_classes,
)

# For an unknown code (a newer server) or a body that is not a labelworks error, the status
# still says which branch of the tree it belongs to.
_BY_STATUS: dict[int, type[LabelworksError]] = {
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidInput,
    429: RateLimited,
}


def _location(raw: Any) -> Location | None:
    if not isinstance(raw, dict):
        return None
    line = raw.get("line")
    return Location(
        file=raw.get("file") if isinstance(raw.get("file"), str) else None,
        line=line if isinstance(line, int) else None,
        field=raw.get("field") if isinstance(raw.get("field"), str) else None,
    )


def error_from_response(response: httpx.Response) -> LabelworksError:
    """The labelworks error an error response stands for (the response must be read)."""
    classes = error_classes()
    try:
        body = response.json()
    except ValueError:
        body = None
    fallback = _BY_STATUS.get(response.status_code, LabelworksError)
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        text = response.text.strip()[:500] or response.reason_phrase
        return fallback(
            f"HTTP {response.status_code}: {text}", details={"status": response.status_code}
        )
    cls = classes.get(body["code"], fallback)
    message = str(body.get("message", ""))
    location = _location(body.get("location"))
    if location is not None:
        # The server's message already starts with the place; keep it once.
        prefix = location.describe() + ": "
        if prefix != ": " and message.startswith(prefix):
            message = message[len(prefix) :]
    details = body.get("details")
    error = cls(message, location=location, details=details if isinstance(details, dict) else None)
    if cls.code != body["code"]:
        error.details.setdefault("code", body["code"])
    return error
