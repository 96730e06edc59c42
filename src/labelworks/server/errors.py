"""The one mapping from the error tree to HTTP: status codes, a ``{code, message}`` body for
the API, an error page (or a login redirect) for the pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

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
from labelworks.server.security import csrf_token

STATUS: tuple[tuple[type[LabelworksError], int], ...] = (
    (InvalidInput, 422),
    (NotFound, 404),
    (AlreadyExists, 409),
    (Conflict, 409),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (RateLimited, 429),
)
TITLES = {
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Invalid input",
    429: "Slow down",
}


def status_for(error: LabelworksError) -> int:
    return next((status for cls, status in STATUS if isinstance(error, cls)), 500)


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(("/api/", "/media/")) and request.method == "GET"


def install(app: FastAPI) -> None:
    @app.exception_handler(LabelworksError)
    def _handle(request: Request, exc: LabelworksError) -> Response:
        status = status_for(exc)
        if _wants_page(request) and "session" in request.scope:
            if status == 401:
                return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
            templates = request.app.state.templates
            return templates.TemplateResponse(  # type: ignore[no-any-return]
                request,
                "error.html",
                {
                    "user": None,
                    "csrf_token": csrf_token(request),
                    "status": status,
                    "title": TITLES.get(status, "Error"),
                    "message": str(exc),
                },
                status_code=status,
            )
        return JSONResponse(exc.to_dict(), status_code=status)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        body = {
            "code": "invalid_input",
            "message": message,
            "location": {"file": "request", "line": None, "field": field or None},
        }
        return JSONResponse(body, status_code=422)
