"""Request bodies: size limits enforced while they stream, and one way to read and decode them.

Every route's body is capped (``BodyLimits``, an ASGI middleware): a declared
``Content-Length`` over the limit is refused before a byte is read, and a body that streams
past it is cut off at the limit; either way the answer is 413. Routes name their limit in
their OpenAPI extension ``x-body-limit`` (``request`` unless they say otherwise).

Bodies are read by dependencies declared *after* the caller's identity and permission,
so nobody can make the server read a body they may not send; and they are decoded by the
route itself, in the thread pool, never on the event loop.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any, BinaryIO, Literal, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelworks.domain.errors import InvalidInput, Location, PayloadTooLarge
from labelworks.formats.json_input import load_json

LimitKind = Literal["request", "spec", "import"]
LIMIT_KEY = "x-body-limit"
BODY = "request body"
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # larger uploads go to a temporary file, not to RAM

M = TypeVar("M", bound=BaseModel)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is over this route's limit of {limit:,} bytes")


class BodyLimits:
    """ASGI middleware capping each request body at its route's limit."""

    def __init__(self, app: ASGIApp, limits: Mapping[str, int]) -> None:
        self.app = app
        self.limits = dict(limits)

    def _limit(self, scope: Scope) -> int:
        # Bodies are only read after routing, when the route is in the scope.
        extra = getattr(scope.get("route"), "openapi_extra", None) or {}
        return self.limits[extra.get(LIMIT_KEY, "request")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        checked = False

        async def limited() -> Message:
            nonlocal received, checked
            limit = self._limit(scope)
            if not checked:
                checked = True
                declared = _content_length(scope)
                if declared is not None and declared > limit:
                    raise _too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                raise InvalidInput("the Content-Length header is not a number") from None
    return None


async def _body(request: Request) -> bytes:
    return await request.body()


async def _spooled(request: Request) -> AsyncIterator[BinaryIO]:
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        yield spool  # type: ignore[misc]
    finally:
        spool.close()


RawBody = Annotated[bytes, Depends(_body)]
SpooledBody = Annotated[BinaryIO, Depends(_spooled)]


def invalid_input(error: ValidationError | list[Any], *, file: str | None = None) -> InvalidInput:
    """The first validation problem as ``InvalidInput`` naming its field (``query.status``,
    ``path.item_id``, or a body field)."""
    errors = error.errors() if isinstance(error, ValidationError) else error
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = tuple(first.get("loc", ()))
    # FastAPI prefixes a request body's locations with "body"; a field may be named "body".
    field = ".".join(str(p) for p in (loc[1:] if loc[:1] == ("body",) else loc))
    return InvalidInput(str(first.get("msg")), location=Location(file=file, field=field or None))


def parse_body(model: type[M], raw: bytes) -> M:
    """Decode a JSON body strictly and validate it as ``model``."""
    data = load_json(raw, source=BODY)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc, file=BODY) from None


def json_body_doc(model: type[BaseModel], limit: LimitKind = "request") -> dict[str, Any]:
    """OpenAPI for a route that reads ``model`` as its JSON body through ``RawBody``
    (nested models written out in place: the document has no room for their ``$defs``)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    return raw_body_doc({"application/json": {"schema": _inlined(schema, defs)}}, limit)


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with each ``{"$ref": "#/$defs/Name"}`` replaced by that definition."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inlined(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inlined(value, defs) for value in node]
    return node


def raw_body_doc(content: dict[str, Any], limit: LimitKind) -> dict[str, Any]:
    """OpenAPI for a route that reads its body itself, in the media types given."""
    return {LIMIT_KEY: limit, "requestBody": {"required": True, "content": content}}


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """A response model serialised once, by pydantic's compiled serializer.

    A route that returns a ``Response`` skips FastAPI's re-validation of the model it
    declares for the docs, which for a plain ``def`` route costs another trip to the
    thread pool.
    """
    return Response(
        model.__pydantic_serializer__.to_json(model),
        status_code=status_code,
        media_type="application/json",
    )
