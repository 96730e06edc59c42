"""The one mapping from the error tree to HTTP: status codes and the ``{code, message}`` body."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from labelworks.domain.errors import (
    AlreadyExists,
    Conflict,
    InvalidInput,
    LabelworksError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)

STATUS: tuple[tuple[type[LabelworksError], int], ...] = (
    (InvalidInput, 422),
    (NotFound, 404),
    (AlreadyExists, 409),
    (Conflict, 409),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (RateLimited, 429),
)


def status_for(error: LabelworksError) -> int:
    return next((status for cls, status in STATUS if isinstance(error, cls)), 500)


def install(app: FastAPI) -> None:
    @app.exception_handler(LabelworksError)
    def _handle(_request: Request, exc: LabelworksError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=status_for(exc))
