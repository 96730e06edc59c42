"""Session cookie names, CSRF, and security headers."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "lw_session"
# The signed cookie holds only this random session id (and the CSRF token); the session
# itself lives in the database (services.auth), so it can be ended at once.
SESSION_KEY = "sid"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"

# Scripts and styles only from our own files, nothing inline: item content can never run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob: https:; media-src 'self' blob: https:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def content_security_policy(media_origins: Sequence[str] = ()) -> str:
    """The policy, with ``media_origins`` (e.g. a plain-HTTP S3 endpoint whose presigned
    URLs the pages load) added to img-src and media-src."""
    if not media_origins:
        return CONTENT_SECURITY_POLICY
    extra = " ".join(media_origins)
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data: blob: https:;", f"img-src 'self' data: blob: https: {extra};"
    ).replace("media-src 'self' blob: https:;", f"media-src 'self' blob: https: {extra};")


# Served media are untrusted files: a sandbox keeps an SVG or HTML file from running script
# in our origin even when opened directly.
MEDIA_SECURITY_POLICY = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_matches(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(given and isinstance(expected, str) and hmac.compare_digest(expected, given))


_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """Headers every response carries (media responses set their own stricter policy).

    Plain ASGI rather than ``BaseHTTPMiddleware``, which costs a task and a queue per request.
    """

    def __init__(self, app: ASGIApp, media_origins: Sequence[str] = ()) -> None:
        self.app = app
        policy = content_security_policy(media_origins).encode()
        self._headers = [(n, policy if n == b"content-security-policy" else v) for n, v in _HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self._headers if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
