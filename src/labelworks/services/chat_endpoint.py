"""OpenAI-compatible chat completions at volume, for LLM judges and prompt generation.

``complete_all(endpoint, requests, on_reply=...)`` posts every request to
``{base_url}/chat/completions`` (OpenAI, vLLM, llama.cpp, Ollama, LiteLLM … all speak it),
at most ``concurrency`` at once, and hands each reply to ``on_reply`` in the calling thread
as it finishes. ``requests`` is read lazily, so a generator over a million items costs
memory for about twice ``concurrency`` of them.

Policy (its rules live in ``chat_retry``, the connection pools in ``chat_transport``):

- Every request ends as exactly one ``ChatReply``: "ok", "malformed" (the model answered but
  ``parse`` refused the text on every attempt; the text is kept) or "failed". A single
  request's trouble never raises (one that cannot even be written as JSON fails unsent,
  with 0 attempts).
- Up to ``max_attempts`` attempts in all. Retried: connection errors, timeouts (``timeout``
  per attempt), HTTP 408, 409, 429 and 5xx, a 2xx body that is not a chat completion, and a
  text ``parse`` rejects with ValueError. Any other 4xx fails at once: asking again would get
  the same answer.
- Between attempts: exponential backoff with full jitter (uniform below
  ``backoff · 2^(attempt-1)``, at most ``max_backoff``), or the server's ``Retry-After``
  (capped at ``max_backoff``) when it sends one.
- A 429 brakes the whole run: while its wait runs no attempt starts, in any worker, since the
  server has said the account is over its rate.
- The API key is sent only in the Authorization header and is never written into an error.

Only the caller's own code makes ``complete_all`` raise: ``on_reply`` (a failed database
write must not be swallowed), the ``requests`` iterable, or a ``parse`` raising something
other than ValueError. In-flight requests are cancelled first; their replies are lost to
the caller by choice, exactly as when ``on_reply`` returns True to stop the run.

``on_reply`` and ``parse`` run on the event loop: nothing else moves while they do, so they
should be quick (a small database write); a slow one eats into the in-flight attempts'
timeouts.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import orjson

from labelworks.domain.errors import InvalidInput
from labelworks.services.chat_retry import Outcome, RateGate, backoff_delay, redact
from labelworks.services.chat_transport import attempt, client_pools

__all__ = ["ChatReply", "ChatRequest", "Endpoint", "RunSummary", "complete_all"]

MAX_CONCURRENCY = 256
MAX_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to send chat completions: ``base_url`` is the API root (".../v1"), requests go to
    ``{base_url}/chat/completions``; ``timeout`` is seconds per attempt."""

    base_url: str
    model: str
    # Kept out of repr: an Endpoint printed in a log or traceback must not show the key.
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion to ask for; ``key`` is the caller's id, returned with the reply.
    Parameters left None are left out of the request body (the server's defaults apply)."""

    key: Hashable
    messages: tuple[dict[str, str], ...]
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class ChatReply:
    """How one request ended. ``text`` is the reply's message content ("ok", and "malformed"
    when ``parse`` refused it); ``parsed`` is what ``parse`` returned ("ok" only); ``error``
    says why for people ("malformed", "failed"); ``seconds`` runs from the first attempt to
    the final answer; ``finish_reason`` is the server's ("stop", "length", …) when given."""

    key: Hashable
    status: Literal["ok", "malformed", "failed"]
    text: str | None
    parsed: Any
    error: str | None
    attempts: int
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float
    finish_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run in figures. ``sent`` counts the requests taken from the iterable; with
    ``cancelled`` some of them ended undelivered, so ``ok + malformed + failed`` (the
    replies ``on_reply`` saw) may be less. ``retries`` counts attempts after each first,
    ``rate_limited`` the 429 answers; tokens are summed over the delivered replies."""

    sent: int
    ok: int
    malformed: int
    failed: int
    retries: int
    rate_limited: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cancelled: bool


def complete_all(
    endpoint: Endpoint,
    requests: Iterable[ChatRequest],
    *,
    on_reply: Callable[[ChatReply], bool | None],
    concurrency: int = 8,
    max_attempts: int = 5,
    parse: Callable[[str], Any] | None = None,
    backoff: float = 0.5,
    max_backoff: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> RunSummary:
    """Send every request to ``endpoint`` and hand each reply to ``on_reply`` as it finishes
    (completion order, in the calling thread); return the run's figures.

    ``on_reply`` returning True stops the run: in-flight requests are cancelled and not
    delivered, no more are taken, and the summary says ``cancelled``. ``parse`` turns a
    reply's text into ``ChatReply.parsed``; its ValueError means "malformed, ask again".
    ``transport`` and ``sleep`` (awaited for every wait between attempts) are for tests.
    Runs its own event loop, in the calling thread; where that thread already runs one
    (a caller inside a coroutine, or a process driving Playwright's sync API), in a thread
    of its own while the caller waits (``on_reply`` is then called there, one at a time).
    Raises ``InvalidInput`` for an endpoint or setting out of range, before sending anything.
    """
    _check(endpoint, concurrency, max_attempts, backoff, max_backoff)
    run = _Run(
        endpoint,
        on_reply=on_reply,
        concurrency=concurrency,
        max_attempts=max_attempts,
        parse=parse,
        backoff=backoff,
        max_backoff=max_backoff,
        sleep=sleep or asyncio.sleep,
    )
    work = run.main(iter(requests), transport)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)  # no loop in this thread: the usual case (jobs, the CLI)
    # A second loop cannot run in a thread that runs one; blocking the caller's loop is
    # the caller's choice (it called a blocking function).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="complete_all") as pool:
        return pool.submit(asyncio.run, work).result()


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seconds(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check(
    endpoint: Endpoint, concurrency: int, max_attempts: int, backoff: float, max_backoff: float
) -> None:
    if not _whole(concurrency) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidInput(f"concurrency must be from 1 to {MAX_CONCURRENCY}, not {concurrency!r}")
    if not _whole(max_attempts) or not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise InvalidInput(f"max_attempts must be from 1 to {MAX_ATTEMPTS}, not {max_attempts!r}")
    for name, value in (("backoff", backoff), ("max_backoff", max_backoff)):
        if not _seconds(value) or value < 0:
            raise InvalidInput(f"{name} must be a number of seconds, 0 or more, not {value!r}")
    if not _seconds(endpoint.timeout) or endpoint.timeout <= 0:
        raise InvalidInput(
            f"the endpoint's timeout must be seconds above 0, not {endpoint.timeout!r}"
        )
    if not isinstance(endpoint.model, str) or not endpoint.model.strip():
        raise InvalidInput("the endpoint needs a model name")
    url = endpoint.base_url
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        usable = bool(parts and parts.scheme in ("http", "https") and parts.hostname)
        if parts is not None:
            parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        usable = False
    if not usable:
        # The URL is not repeated when it carries credentials ("https://user:pass@host").
        shown = "" if isinstance(url, str) and "@" in url else f" {url!r}"
        raise InvalidInput(
            f"the endpoint's base URL{shown} must start with http:// or https:// and name a "
            "host, e.g. http://127.0.0.1:8080/v1"
        )
    key = endpoint.api_key
    if key is not None and not (
        isinstance(key, str) and key and key.isascii() and key.isprintable() and " " not in key
    ):
        # The key is not echoed (errors end up in logs); a header cannot carry such a key and
        # the HTTP library's own error would quote it.
        raise InvalidInput("the API key must be printable ASCII without spaces, and not empty")


def _body(model: str, request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": list(request.messages)}
    optional = {
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "top_p": request.top_p,
        "stop": None if request.stop is None else list(request.stop),
        "seed": request.seed,
    }
    body.update((name, value) for name, value in optional.items() if value is not None)
    return body


@dataclass(frozen=True, slots=True)
class _Finished:
    """A worker's last word: the iterable ran out (``error`` None) or the caller's code
    raised, which ends the run."""

    error: Exception | None


class _Run:
    """One ``complete_all`` call: ``concurrency`` workers pull from the shared iterator,
    the main coroutine delivers their replies one by one."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        on_reply: Callable[[ChatReply], bool | None],
        concurrency: int,
        max_attempts: int,
        parse: Callable[[str], Any] | None,
        backoff: float,
        max_backoff: float,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.endpoint = endpoint
        self.url = f"{endpoint.base_url.rstrip('/')}/chat/completions"
        self.on_reply = on_reply
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.parse = parse
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.rng = random.Random()
        # Replies by status, as delivered to on_reply.
        self.delivered = {"ok": 0, "malformed": 0, "failed": 0}
        self.sent = self.retries = self.rate_limited = 0
        self.prompt_tokens = self.completion_tokens = 0

    async def main(
        self, source: Iterator[ChatRequest], transport: httpx.AsyncBaseTransport | None
    ) -> RunSummary:
        started = time.perf_counter()
        gate = RateGate(self.sleep)
        # Bounded so that a slow on_reply holds workers back rather than piling up replies.
        queue: asyncio.Queue[ChatReply | _Finished] = asyncio.Queue(self.concurrency)
        headers = {"Content-Type": "application/json"}
        if self.endpoint.api_key:
            headers["Authorization"] = f"Bearer {self.endpoint.api_key}"
        cancelled = False
        pools = client_pools(self.concurrency, headers, self.endpoint.timeout, transport)
        async with pools as clients:
            workers = [
                asyncio.create_task(self._worker(client, source, gate, queue)) for client in clients
            ]
            try:
                running = len(workers)
                while running:
                    item = await queue.get()
                    if isinstance(item, _Finished):
                        running -= 1
                        if item.error is not None:
                            raise item.error
                        continue
                    self._tally(item)
                    if self.on_reply(item):
                        cancelled = True
                        break
            finally:
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
        return RunSummary(
            sent=self.sent,
            ok=self.delivered["ok"],
            malformed=self.delivered["malformed"],
            failed=self.delivered["failed"],
            retries=self.retries,
            rate_limited=self.rate_limited,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            seconds=time.perf_counter() - started,
            cancelled=cancelled,
        )

    def _tally(self, reply: ChatReply) -> None:
        self.delivered[reply.status] += 1
        self.prompt_tokens += reply.prompt_tokens or 0
        self.completion_tokens += reply.completion_tokens or 0

    async def _worker(
        self,
        client: httpx.AsyncClient,
        source: Iterator[ChatRequest],
        gate: RateGate,
        queue: asyncio.Queue[ChatReply | _Finished],
    ) -> None:
        try:
            # One shared iterator: next() runs without an await, so workers never race it.
            for request in source:
                self.sent += 1
                await queue.put(await self._complete(client, request, gate))
        except Exception as exc:  # the caller's iterable or parse: the run ends with it
            await queue.put(_Finished(exc))
            return
        await queue.put(_Finished(None))

    async def _complete(
        self, client: httpx.AsyncClient, request: ChatRequest, gate: RateGate
    ) -> ChatReply:
        started = time.perf_counter()
        try:
            content = orjson.dumps(_body(self.endpoint.model, request))
        except TypeError as exc:  # orjson.JSONEncodeError is one
            outcome = Outcome(error=f"the request could not be written as JSON: {exc}")
            return self._reply(request.key, outcome, 0, started)
        attempts = 0
        while True:
            attempts += 1
            await gate.passage()
            outcome = await attempt(
                client, self.url, content, self.endpoint.timeout, self.parse, self.max_backoff
            )
            if outcome.rate_limited:
                self.rate_limited += 1
            if not outcome.retry or attempts >= self.max_attempts:
                return self._reply(request.key, outcome, attempts, started)
            self.retries += 1
            wait = outcome.wait
            if wait is None:
                wait = backoff_delay(attempts, self.backoff, self.max_backoff, self.rng)
            if outcome.rate_limited:
                await gate.hold(wait)
            else:
                await self.sleep(wait)

    def _reply(self, key: Hashable, outcome: Outcome, attempts: int, started: float) -> ChatReply:
        status: Literal["ok", "malformed", "failed"]
        if outcome.error is None:
            status = "ok"
        elif outcome.malformed:
            status = "malformed"
        else:
            status = "failed"
        error = outcome.error
        if error is not None:
            error = redact(error, self.endpoint.api_key)
            if attempts > 1:
                error = f"{error} ({attempts} attempts)"
        return ChatReply(
            key=key,
            status=status,
            text=outcome.text,
            parsed=outcome.parsed if status == "ok" else None,
            error=error,
            attempts=attempts,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            seconds=time.perf_counter() - started,
            finish_reason=outcome.finish_reason,
        )
