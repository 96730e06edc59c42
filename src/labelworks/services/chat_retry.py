"""How one chat-completions attempt is judged, and how long to wait before the next.

``chat_endpoint.complete_all`` sends the requests; this module holds its policy:

- ``read_reply`` sorts an HTTP answer into a final answer (ok, or a failure not worth
  repeating: a 4xx other than 408/409/429) or one worth retrying (408, 409, 429, 5xx, a body
  that is not a chat completion, a text ``parse`` refuses);
- ``backoff_delay`` is exponential backoff with full jitter (a uniform draw below
  ``base · 2^(attempt-1)``, capped), which spreads a burst of failed requests out instead
  of sending them back together;
- ``retry_after_seconds`` reads a ``Retry-After`` header (seconds or an HTTP date);
- ``RateGate`` is the shared brake: while any 429's wait runs, no attempt starts anywhere.

Error texts are written for people and never carry the API key (``redact``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import orjson

__all__ = [
    "Outcome",
    "RateGate",
    "backoff_delay",
    "read_reply",
    "redact",
    "retry_after_seconds",
    "server_message",
]

Sleep = Callable[[float], Awaitable[None]]

# 408 timeout, 409 a conflict (OpenAI's "another request is being processed"), 429 rate limit;
# every 5xx is the server's own trouble and may pass.
RETRIED_4XX = frozenset({408, 409, 429})
SNIPPET = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt's result: final (``retry`` False) or worth another attempt."""

    error: str | None = None
    retry: bool = False
    text: str | None = None
    parsed: Any = None
    # The text arrived but ``parse`` refused it (status "malformed" if it is the last word).
    malformed: bool = False
    # Seconds the server asked us to wait (Retry-After), already capped.
    wait: float | None = None
    rate_limited: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): full jitter,
    uniform in [0, min(cap, base · 2^(attempt-1))]."""
    # The exponent is bounded so that a large attempt number cannot overflow a float.
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 60))
    return rng.uniform(0.0, ceiling)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (0 for a date in the past),
    or None when it is absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced: servers and proxies sometimes
    echo the key they were given, and our errors end up in logs and on pages."""
    if secret:
        return text.replace(secret, "[redacted]")
    return text


def _snippet(content: bytes) -> str:
    return content[:SNIPPET].decode("utf-8", "replace").strip()


def server_message(content: bytes) -> str:
    """The server's own explanation: the body's ``error.message`` (OpenAI's error shape)
    when there is one, else its first 200 characters."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return _snippet(content) or "(empty body)"
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return _snippet(content) or "(empty body)"


def _count(usage: Any, name: str) -> int | None:
    value = usage.get(name) if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_reply(
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    parse: Callable[[str], Any] | None,
    max_backoff: float,
) -> Outcome:
    """Judge one HTTP answer. ``parse`` runs on the reply's text; a ValueError from it means
    "malformed, try again", any other exception is the caller's bug and propagates."""
    if not 200 <= status < 300:
        error = f"HTTP {status}: {server_message(content)}"
        retry = status in RETRIED_4XX or status >= 500
        wait = retry_after_seconds(headers.get("retry-after")) if retry else None
        return Outcome(
            error=error,
            retry=retry,
            wait=None if wait is None else min(wait, max_backoff),
            rate_limited=status == 429,
        )
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return Outcome(error=f"reply is not JSON: {_snippet(content)!r}", retry=True)
    if not isinstance(body, dict):
        return Outcome(error="reply is not a JSON object", retry=True)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        return Outcome(error="reply has no choices", retry=True)
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    text = message.get("content") if isinstance(message, dict) else None
    if not isinstance(text, str):
        return Outcome(error="reply's first choice has no message content", retry=True)
    usage = body.get("usage")
    reason = choice.get("finish_reason")
    read = Outcome(
        text=text,
        prompt_tokens=_count(usage, "prompt_tokens"),
        completion_tokens=_count(usage, "completion_tokens"),
        finish_reason=reason if isinstance(reason, str) else None,
    )
    if parse is None:
        return read
    try:
        parsed = parse(text)
    except ValueError as exc:
        error = f"could not read the verdict: {exc}"
        return replace(read, error=error, retry=True, malformed=True)
    return replace(read, parsed=parsed)


class RateGate:
    """The shared "not before": every 429's wait holds the gate shut, and no attempt starts
    until every hold has ended. A per-request wait would let the other workers keep
    hitting a server that has just told us to slow down."""

    def __init__(self, sleep: Sleep) -> None:
        self._sleep = sleep
        self._holds = 0
        self._open = asyncio.Event()
        self._open.set()

    async def hold(self, seconds: float) -> None:
        """Keep the gate shut for ``seconds`` (overlapping holds: until the last ends)."""
        self._holds += 1
        self._open.clear()
        try:
            await self._sleep(seconds)
        finally:
            self._holds -= 1
            if self._holds == 0:
                self._open.set()

    async def passage(self) -> None:
        """Return once no hold is running."""
        await self._open.wait()
