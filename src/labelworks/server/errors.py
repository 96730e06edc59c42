"""The one mapping from the error tree to HTTP: status codes, a ``{code, message}`` body for
the API, an error page (or a login redirect) for the pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from labelworks.domain.errors import (
    AlreadyExists,
    Conflict,
    InvalidInput,
    LabelworksError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from labelworks.server.bodies import invalid_input
from labelworks.server.security import csrf_token

STATUS: tuple[tuple[type[LabelworksError], int], ...] = (
    (PayloadTooLarge, 413),
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
    413: "Too large",
    422: "Invalid input",
    429: "Slow down",
}


def status_for(error: LabelworksError) -> int:
    return next((status for cls, status in STATUS if isinstance(error, cls)), 500)


def _wants_page(request: Request) -> bool:
    path = request.url.path
    # Media (files, and objects through their item) are loaded by img/audio tags, not read:
    # their errors are the API's JSON, and anonymous callers get 401, not the login page.
    return not path.startswith(("/api/", "/media/", "/media-objects/")) and request.method == "GET"


# Starlette's own HTTP errors (no such route, wrong method, a body it could not parse) get
# stable codes too, so every error any interface sees has the same ``{code, message}`` shape.
HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def _answer(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    """A JSON error for the API and media, an error page (or the login page) for pages."""
    if _wants_page(request) and "session" in request.scope:
        if status == 401:
            # The query too: a filtered table or a comparison comes back as it was asked for.
            query = request.url.query
            target = request.url.path + (f"?{query}" if query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        templates = request.app.state.templates
        return templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            "error.html",
            {
                "user": None,
                "csrf_token": csrf_token(request),
                "status": status,
                "title": TITLES.get(status, "Error"),
                "message": body["message"],
            },
            status_code=status,
            headers=headers,
        )
    return JSONResponse(body, status_code=status, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's;
    ``create_app`` keeps the table)."""
    path = request.url.path
    methods: set[str] = set()
    for pattern, serves in request.app.state.allowed_methods:
        if pattern.match(path):
            methods |= serves
    return sorted(methods | {"OPTIONS"}) if methods else []


def _by_session(request: Request) -> bool:
    return "session" in request.scope and "authorization" not in request.headers


def install(app: FastAPI) -> None:
    @app.exception_handler(LabelworksError)
    def _handle(request: Request, exc: LabelworksError) -> Response:
        if isinstance(exc, Unauthenticated) and _by_session(request):
            request.session.clear()  # the session ended: the browser may forget its cookie
        return _answer(request, status_for(exc), exc.to_dict())

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        error = invalid_input(list(exc.errors()))
        return _answer(request, 422, error.to_dict())

    @app.exception_handler(ClientDisconnect)
    def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client left while sending its body: nothing was used, nobody will read an
        # answer, and it is not the server's error to log.
        return Response(status_code=400)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.__cause__, LabelworksError):  # e.g. a form body over its limit
            return _handle(request, exc.__cause__)
        headers = dict(exc.headers or {})
        message = str(exc.detail)
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
            message = f"{request.method} is not allowed here; use {headers['Allow']}"
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return _answer(request, exc.status_code, {"code": code, "message": message}, headers)
