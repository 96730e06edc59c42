"""Webhooks: the events a project announces, what a webhook is, how a delivery is signed
and when a failed one is tried again. Pure functions; the outbox, the dispatcher and the
HTTP client live in ``services.webhooks``.

A delivery is a JSON ``POST`` whose body is the envelope ``{"id", "event", "project",
"created_at", "data"}`` and whose headers say who sent it and prove it:

- ``X-Labelworks-Event``: the event's name;
- ``X-Labelworks-Delivery``: the delivery's id (the same on every attempt and on a
  redelivery, so a receiver can drop repeats: delivery is at least once);
- ``X-Labelworks-Timestamp``: Unix seconds when this attempt was signed;
- ``X-Labelworks-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the webhook's
  secret, of the timestamp, a ``.`` and the raw body. Signing the timestamp with the body
  lets a receiver refuse a replayed old request (``verify``'s ``tolerance``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from labelworks.domain.errors import InvalidInput, Location

ITEM_FINALISED: Final = "item.finalised"
LOT_ACCEPTED: Final = "lot.accepted"
LOT_REJECTED: Final = "lot.rejected"
SLA_BREACHED: Final = "sla.breached"
ANNOTATOR_PAUSED: Final = "annotator.paused"
FORECAST_SLIPPED: Final = "forecast.slipped"
# What a webhook may subscribe to, in the order pages and listings show them.
EVENTS: tuple[str, ...] = (
    ITEM_FINALISED,
    LOT_ACCEPTED,
    LOT_REJECTED,
    SLA_BREACHED,
    ANNOTATOR_PAUSED,
    FORECAST_SLIPPED,
)
# Sent to one webhook on request, whatever it subscribes to, to check the receiver.
PING: Final = "ping"

EVENT_HEADER: Final = "X-Labelworks-Event"
DELIVERY_HEADER: Final = "X-Labelworks-Delivery"
TIMESTAMP_HEADER: Final = "X-Labelworks-Timestamp"
SIGNATURE_HEADER: Final = "X-Labelworks-Signature"

MAX_URL = 2000
MAX_WEBHOOKS = 20  # per project: each event is one row per webhook in the outbox
SECRET_BYTES = 32  # token_urlsafe(32): 43 characters, 256 bits
# Seconds to wait after the 1st, 2nd, … failed attempt; after the last one the delivery
# fails for good (7 attempts over about 8.6 hours).
RETRY_DELAYS: tuple[float, ...] = (10.0, 60.0, 300.0, 1800.0, 7200.0, 21600.0)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Each wait is its delay times a factor drawn uniformly from [1 - JITTER, 1 + JITTER], so
# deliveries that failed together (a receiver down) do not all come back at once.
JITTER = 0.2
# How old a signed timestamp a receiver should accept, in seconds (the docs' example).
TOLERANCE = 300
MAX_ERROR = 500  # characters of an attempt's error kept in the log
MAX_MARK_KEY = 200  # event_marks.key


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    """A checked webhook: its URL (trimmed) and its events, each once, in ``EVENTS``
    order."""

    url: str
    events: tuple[str, ...]


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks (an http or https URL with a host, no
    credentials, no fragment), or None."""
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if not parts.hostname.isascii():
        return "must have an ASCII host: write an international name in its xn-- form"
    if parts.username or parts.password:
        return "must not hold credentials: receivers check the signature instead"
    if parts.fragment:
        return "must not have a #fragment (it is never sent)"
    return None


def check_webhook(url: str, events: Sequence[str]) -> WebhookSpec:
    """The webhook ``url`` and ``events`` describe, or ``InvalidInput`` naming the field."""
    url = url.strip()
    problem = url_problem(url)
    if problem is not None:
        raise InvalidInput(problem, location=Location(field="url"))
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidInput(
            f"unknown event {unknown[0]!r} (there are: {', '.join(EVENTS)})",
            location=Location(field="events"),
        )
    if not events:
        raise InvalidInput(
            f"choose at least one event ({', '.join(EVENTS)})", location=Location(field="events")
        )
    return WebhookSpec(url, tuple(e for e in EVENTS if e in events))


def mark_key(key: str) -> str:
    """``key`` as the once-only marks store it: as given up to 200 characters, else its
    first 135 and a SHA-256 of the whole (distinct keys stay distinct)."""
    if len(key) <= MAX_MARK_KEY:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[: MAX_MARK_KEY - len(digest) - 1]}#{digest}"


def new_secret() -> str:
    """A fresh signing secret (URL-safe text, 256 bits from the system's CSPRNG)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def _wire_default(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON")


def data_text(data: Mapping[str, Any]) -> str:
    """An event's data as stored in the outbox: compact JSON, UTC moments with a ``Z``
    (naive date-times are UTC, as storage keeps them)."""
    return json.dumps(
        dict(data), ensure_ascii=False, separators=(",", ":"), default=_wire_default,
        allow_nan=False,
    )  # fmt: skip


def body(
    delivery_id: int, event: str, project: str, created_at: datetime, data: Mapping[str, Any]
) -> bytes:
    """The bytes POSTed for a delivery: the same on every attempt of it."""
    envelope = {
        "id": delivery_id,
        "event": event,
        "project": project,
        "created_at": created_at,
        "data": dict(data),
    }
    return data_text(envelope).encode("utf-8")


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>``."""
    message = str(timestamp).encode("ascii") + b"." + payload
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(
    secret: str, *, event: str, delivery_id: int, timestamp: int, payload: bytes
) -> dict[str, str]:
    """The headers of one attempt, signed at ``timestamp`` (Unix seconds)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "labelworks-webhooks",
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, payload),
    }


def verify(
    secret: str,
    timestamp: str,
    payload: bytes,
    given: str,
    *,
    now: float,
    tolerance: float = TOLERANCE,
) -> bool:
    """What a receiver checks: the signature matches (compared in constant time) and the
    timestamp is within ``tolerance`` seconds of ``now``. The reference for the docs'
    snippet, which receivers copy."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, payload), given)


def retry_delay(attempts: int, rng: random.Random) -> float | None:
    """Seconds to wait before trying again after ``attempts`` failed attempts, jittered by
    ``rng``; None when that was the last attempt (the delivery has failed)."""
    if attempts < 1:
        raise ValueError("attempts counts the attempts made: at least 1")
    if attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[attempts - 1] * rng.uniform(1 - JITTER, 1 + JITTER)


def succeeded(status: int) -> bool:
    """Whether a receiver's answer counts as delivered: any 2xx (a redirect is not
    followed: it is a failed attempt)."""
    return 200 <= status < 300


def short_error(text: str) -> str:
    """An attempt's error as the log keeps it: one line, at most ``MAX_ERROR`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"
