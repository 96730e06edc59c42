"""complete_all against a real local chat-completions server (tests.chat_server): every
request ends as exactly one reply, retries and the rate-limit brake, refusals at the
boundary. Short client timeouts and backoffs keep it quick; nothing asserts wall time."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from tests.chat_server import ChatServer, faults_first

from labelworks.domain.errors import InvalidInput
from labelworks.services.chat_endpoint import (
    ChatReply,
    ChatRequest,
    Endpoint,
    RunSummary,
    complete_all,
)
from labelworks.services.chat_retry import backoff_delay, retry_after_seconds
from labelworks.services.chat_transport import POOL_SIZE


def echo(body: dict[str, Any]) -> str:
    """The server's rule: 'seen: ' and the last message, so each text names its request."""
    return f"seen: {body['messages'][-1]['content']}"


def ask(key: int, text: str | None = None, **params: Any) -> ChatRequest:
    content = f"item {key}" if text is None else text
    return ChatRequest(key, ({"role": "user", "content": content},), **params)


def run(endpoint: Endpoint, requests: Any, **options: Any) -> tuple[list[ChatReply], RunSummary]:
    """complete_all with quick backoff, collecting the replies in delivery order."""
    replies: list[ChatReply] = []
    options.setdefault("backoff", 0.01)
    summary = complete_all(endpoint, requests, on_reply=replies.append, **options)
    return replies, summary


def outline(replies: list[ChatReply]) -> list[tuple[Any, ...]]:
    """Everything of each reply but its wall time, sorted by key."""
    return sorted(
        (r.key, r.status, r.text, r.parsed, r.error, r.attempts, r.prompt_tokens,
         r.completion_tokens, r.finish_reason)
        for r in replies
    )  # fmt: skip


def figures(summary: RunSummary) -> tuple[Any, ...]:
    """The summary but its wall time."""
    s = summary
    return (s.sent, s.ok, s.malformed, s.failed, s.retries, s.rate_limited, s.prompt_tokens,
            s.completion_tokens, s.cancelled)  # fmt: skip


def answered(key: int, attempts: int = 1) -> tuple[Any, ...]:
    return (key, "ok", f"seen: item {key}", None, None, attempts, 2, 3, "stop")


def test_fifty_requests_all_answered_with_at_most_concurrency_in_flight() -> None:
    """Fifty requests at concurrency 8 each get their own reply, in the calling thread, with
    between 2 and 8 of them at the server at once."""
    threads: set[int] = set()
    replies: list[ChatReply] = []

    def on_reply(reply: ChatReply) -> None:
        threads.add(threading.get_ident())
        replies.append(reply)

    with ChatServer(echo, latency=0.05) as server:
        summary = complete_all(
            Endpoint(server.url, "judge-1"),
            (ask(k) for k in range(50)),
            on_reply=on_reply,
            concurrency=8,
        )
    assert outline(replies) == [answered(k) for k in range(50)]
    assert figures(summary) == (50, 50, 0, 0, 0, 0, 100, 150, False)
    # One thread delivers every reply: the caller's, or one of complete_all's own where the
    # caller's runs an event loop already (Playwright's, when browser tests shared this
    # process).
    assert len(threads) == 1
    assert server.requests == 50
    assert 1 < server.max_in_flight <= 8


def test_workers_beyond_one_connection_pool_run_at_once() -> None:
    """At concurrency 16 the workers' several connection pools (POOL_SIZE each) are all
    used together: the server serves more than one pool's worth at once."""
    with ChatServer(echo, latency=0.3) as server:
        replies, _ = run(Endpoint(server.url, "m"), [ask(k) for k in range(32)], concurrency=16)
    assert outline(replies) == [answered(k) for k in range(32)]
    assert POOL_SIZE < server.max_in_flight <= 16


def test_the_body_has_the_model_messages_and_only_the_parameters_given() -> None:
    """A request's body is the model, its messages and exactly its non-None parameters."""
    system = {"role": "system", "content": "Answer yes or no."}
    full = ChatRequest(
        "full",
        (system, {"role": "user", "content": "Is it?"}),
        temperature=0.0,
        max_tokens=5,
        top_p=0.9,
        stop=("\n",),
        seed=7,
    )
    with ChatServer(echo) as server:
        replies, _ = run(Endpoint(f"{server.url}/", "m"), [full, ask(1)], concurrency=1)
    assert server.bodies == [
        {
            "model": "m",
            "messages": [system, {"role": "user", "content": "Is it?"}],
            "temperature": 0.0,
            "max_tokens": 5,
            "top_p": 0.9,
            "stop": ["\n"],
            "seed": 7,
        },
        {"model": "m", "messages": [{"role": "user", "content": "item 1"}]},
    ]
    assert [r.text for r in replies] == ["seen: Is it?", "seen: item 1"]


def test_requests_are_read_lazily_and_true_from_on_reply_stops_the_run() -> None:
    """A generator of 10,000 requests stopped after 20 replies is read only a little past
    them, and the run reports itself cancelled with exactly those 20 delivered."""
    taken = 0

    def generate() -> Iterator[ChatRequest]:
        nonlocal taken
        for key in range(10_000):
            taken += 1
            yield ask(key)

    replies: list[ChatReply] = []

    def on_reply(reply: ChatReply) -> bool:
        replies.append(reply)
        return len(replies) == 20

    with ChatServer(echo, latency=0.01) as server:
        summary = complete_all(
            Endpoint(server.url, "m"), generate(), on_reply=on_reply, concurrency=8
        )
    assert len(replies) == 20
    assert summary.cancelled is True
    assert (summary.ok, summary.malformed, summary.failed) == (20, 0, 0)
    assert summary.sent == taken
    assert 20 <= taken <= 20 + 2 * 8
    assert server.requests <= taken


@pytest.mark.parametrize("kind", ["429", "500", "not-json", "no-choices", "close"])
def test_each_passing_fault_is_retried_until_the_reply_comes(kind: str) -> None:
    """Twelve requests whose first two attempts each meet the fault all end "ok" on the
    third attempt; 429s are counted as rate limited."""
    with ChatServer(echo, faults=faults_first(kind, 2)) as server:
        replies, summary = run(Endpoint(server.url, "m"), [ask(k) for k in range(12)])
    assert outline(replies) == [answered(k, attempts=3) for k in range(12)]
    limited = 24 if kind == "429" else 0
    assert figures(summary) == (12, 12, 0, 0, 24, limited, 24, 36, False)
    assert server.requests == 36


def test_an_attempt_that_hangs_is_abandoned_at_the_timeout_and_retried() -> None:
    """A server that does not answer the first attempt within the client's timeout gets a
    second attempt, which is answered."""
    with ChatServer(echo, faults=faults_first("hang", 1)) as server:
        endpoint = Endpoint(server.url, "m", timeout=1.5)
        replies, summary = run(endpoint, [ask(k) for k in range(4)], concurrency=4)
    assert outline(replies) == [answered(k, attempts=2) for k in range(4)]
    assert figures(summary) == (4, 4, 0, 0, 4, 0, 8, 12, False)


def test_a_fault_that_persists_fails_after_max_attempts_with_the_last_reason() -> None:
    """A server answering 500 every time gives "failed" after exactly max_attempts, with
    the server's message and the number of attempts."""
    with ChatServer(echo, faults=faults_first("500", 99)) as server:
        replies, summary = run(Endpoint(server.url, "m"), [ask(1), ask(2)], max_attempts=3)
    error = "HTTP 500: The server had an error. (3 attempts)"
    assert outline(replies) == [
        (1, "failed", None, None, error, 3, None, None, None),
        (2, "failed", None, None, error, 3, None, None, None),
    ]
    assert figures(summary) == (2, 0, 0, 2, 4, 0, 0, 0, False)


def test_a_server_that_never_answers_times_out_on_every_attempt() -> None:
    """An attempt that hangs each time ends "failed" with the timeout in the error."""
    with ChatServer(echo, faults=faults_first("hang", 99)) as server:
        replies, _ = run(Endpoint(server.url, "m", timeout=0.3), [ask(1)], max_attempts=2)
    assert outline(replies) == [
        (1, "failed", None, None, "timed out after 0.3 s (2 attempts)", 2, None, None, None)
    ]


def test_nothing_listening_is_a_connection_error_after_the_retries() -> None:
    """With no server on the port every attempt fails to connect, and the reply says so."""
    # A bound socket that never listens: its port refuses connections and no one else gets it.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{taken.getsockname()[1]}/v1"
        replies, summary = run(Endpoint(url, "m"), [ask(1)], max_attempts=2)
    [reply] = replies
    assert (reply.status, reply.attempts, reply.text) == ("failed", 2, None)
    assert reply.error is not None
    assert reply.error.startswith("connection error: ")
    assert reply.error.endswith(" (2 attempts)")
    assert figures(summary) == (1, 0, 0, 1, 1, 0, 0, 0, False)


def test_a_refused_request_fails_at_once_with_the_servers_message() -> None:
    """A 400 (no messages) and a 404 (a wrong path) are not retried; each reply carries the
    status and the server's own explanation."""
    with ChatServer(echo) as server:
        bad, _ = run(Endpoint(server.url, "m"), [ChatRequest("empty", ())])
        lost, _ = run(Endpoint(server.url.replace("/v1", "/v2"), "m"), [ask(1)])
        assert server.requests == 2
    assert outline(bad) + outline(lost) == [
        ("empty", "failed", None, None, "HTTP 400: 'messages' must be a non-empty array.", 1,
         None, None, None),
        (1, "failed", None, None, "HTTP 404: Unknown path /v2/chat/completions", 1, None,
         None, None),
    ]  # fmt: skip


def verdict(text: str) -> bool:
    """A judge's parser: 'seen: yes…' is True, 'seen: no…' False, anything else refused."""
    answer = text.removeprefix("seen: ").split()[0]
    if answer not in {"yes", "no"}:
        raise ValueError(f"expected yes or no, got {answer!r}")
    return answer == "yes"


def test_a_text_the_parser_refuses_is_retried_then_kept_as_malformed() -> None:
    """Replies parse() accepts are "ok" with the parsed value; one it refuses on every
    attempt ends "malformed" with its text and the parser's reason."""
    requests = [ask(1, "yes"), ask(2, "no"), ask(3, "perhaps")]
    with ChatServer(echo) as server:
        replies, summary = run(Endpoint(server.url, "m"), requests, parse=verdict, max_attempts=3)
    error = "could not read the verdict: expected yes or no, got 'perhaps' (3 attempts)"
    assert outline(replies) == [
        (1, "ok", "seen: yes", True, None, 1, 1, 2, "stop"),
        (2, "ok", "seen: no", False, None, 1, 1, 2, "stop"),
        (3, "malformed", "seen: perhaps", None, error, 3, 1, 2, "stop"),
    ]
    assert figures(summary) == (3, 2, 1, 0, 2, 0, 3, 6, False)


def test_the_api_key_is_sent_as_a_bearer_token_and_never_shown() -> None:
    """The right key is accepted; a wrong one fails at once with a 401, and neither the
    error (whose server echoes the key) nor the endpoint's repr contains it."""
    with ChatServer(echo, api_key="sk-right") as server:
        good, _ = run(Endpoint(server.url, "m", api_key="sk-right"), [ask(1)])
        wrong = Endpoint(server.url, "m", api_key="sk-wrong-secret")
        bad, _ = run(wrong, [ask(2)])
    assert outline(good + bad) == [
        answered(1),
        (2, "failed", None, None, "HTTP 401: Incorrect API key provided: [redacted].", 1,
         None, None, None),
    ]  # fmt: skip
    assert "sk-wrong-secret" not in repr(wrong)


def test_every_request_ends_as_exactly_one_reply_whatever_happens_to_it() -> None:
    """Forty requests meeting assorted passing and lasting faults give forty replies, one
    per key, each as its fault decides."""
    kinds = ["500", "close", "not-json", None]

    def faults(body: dict[str, Any], seen: int) -> str | None:
        key = int(body["messages"][0]["content"].split()[1])
        if key % 4 == 0:
            return "500"  # every time
        return kinds[key % 4] if seen == 0 else None

    with ChatServer(echo, faults=faults) as server:
        replies, summary = run(Endpoint(server.url, "m"), [ask(k) for k in range(40)],
                               max_attempts=2)  # fmt: skip
    failed = "HTTP 500: The server had an error. (2 attempts)"
    assert outline(replies) == [
        (k, "failed", None, None, failed, 2, None, None, None) if k % 4 == 0
        else answered(k, attempts=1 if k % 4 == 3 else 2)
        for k in range(40)
    ]  # fmt: skip
    assert figures(summary) == (40, 30, 0, 10, 30, 0, 60, 90, False)


class Recording(httpx.AsyncBaseTransport):
    """A real transport that notes in ``events`` each request it sends."""

    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.events = events
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.events.append(("send", request.content))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def hour_from_now() -> str:
    return format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)


@pytest.mark.parametrize(
    ("header", "waited"),
    [("7", 3.0), ("1.5", 1.5), ("0", 0.0), (None, 3.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
    ids=["seconds-capped", "seconds", "zero", "http-date-capped", "http-date-past"],
)
def test_a_429_waits_as_told_and_no_attempt_starts_meanwhile(
    header: str | None, waited: float
) -> None:
    """The wait after a 429 is its Retry-After (seconds or an HTTP date) capped at
    max_backoff, and while it runs no worker sends anything."""
    events: list[tuple[str, Any]] = []

    async def sleep(seconds: float) -> None:
        events.append(("wait", seconds))
        # Real time for the other workers to try to send (they must not).
        await asyncio.sleep(0.2)
        events.append(("waited", seconds))

    def first_body_limited(body: dict[str, Any], seen: int) -> str | None:
        return "429" if body["messages"][0]["content"] == "item 0" and seen == 0 else None

    retry_after = hour_from_now() if header is None else header
    with ChatServer(echo, faults=first_body_limited, retry_after=retry_after) as server:
        replies, summary = run(
            Endpoint(server.url, "m"),
            [ask(k) for k in range(30)],
            concurrency=4,
            max_backoff=3.0,
            sleep=sleep,
            transport=Recording(events),
        )
    assert outline(replies) == [answered(k, attempts=1 + (k == 0)) for k in range(30)]
    assert figures(summary) == (30, 30, 0, 0, 1, 1, 60, 90, False)
    kinds = [kind for kind, _ in events]
    start, end = kinds.index("wait"), kinds.index("waited")
    assert events[start] == ("wait", waited)
    assert kinds.count("wait") == 1
    assert "send" not in kinds[start:end]
    assert kinds.count("send") == 31


def test_an_exception_from_on_reply_stops_the_run_and_is_raised() -> None:
    """When the caller's on_reply fails, complete_all stops taking requests and raises
    that very exception."""

    class WriteFailed(Exception):
        pass

    def on_reply(reply: ChatReply) -> None:
        raise WriteFailed(f"could not store {reply.key}")

    taken: list[int] = []

    def generate() -> Iterator[ChatRequest]:
        for key in range(1000):
            taken.append(key)
            yield ask(key)

    with ChatServer(echo) as server, pytest.raises(WriteFailed, match="could not store"):
        complete_all(Endpoint(server.url, "m"), generate(), on_reply=on_reply, concurrency=4)
    assert len(taken) <= 1 + 2 * 4


def test_a_parser_bug_other_than_valueerror_is_raised_not_recorded() -> None:
    """A parse that raises something other than ValueError is the caller's bug: it ends the
    run and is raised."""

    def broken(text: str) -> Any:
        return {"answer": text}["verdict"]

    with ChatServer(echo) as server, pytest.raises(KeyError, match="verdict"):
        run(Endpoint(server.url, "m"), [ask(1)], parse=broken)


def test_a_request_that_cannot_be_written_as_json_fails_without_an_attempt() -> None:
    """A message holding something JSON cannot carry fails on its own, unsent."""
    odd = ChatRequest("odd", ({"role": "user", "content": object()},))  # type: ignore[dict-item]
    with ChatServer(echo) as server:
        replies, summary = run(Endpoint(server.url, "m"), [odd, ask(1)])
        assert server.requests == 1
    [failed] = [r for r in replies if r.key == "odd"]
    assert (failed.status, failed.attempts) == ("failed", 0)
    assert failed.error is not None
    assert failed.error.startswith("the request could not be written as JSON: ")
    assert figures(summary) == (2, 1, 0, 1, 0, 0, 2, 3, False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"concurrency": 0}, "concurrency must be from 1 to 256, not 0"),
        ({"concurrency": 257}, "concurrency must be from 1 to 256, not 257"),
        ({"max_attempts": 0}, "max_attempts must be from 1 to 20, not 0"),
        ({"max_attempts": 21}, "max_attempts must be from 1 to 20, not 21"),
        ({"backoff": -1.0}, "backoff must be a number of seconds, 0 or more, not -1.0"),
        ({"base_url": "ftp://127.0.0.1/v1"}, "base URL 'ftp://127.0.0.1/v1' must start with"),
        ({"base_url": "127.0.0.1:8080/v1"}, "base URL '127.0.0.1:8080/v1' must start with"),
        ({"base_url": "http:///v1"}, "base URL 'http:///v1' must start with"),
        ({"base_url": "http://u:hunter2@:80/v1"}, "base URL must start with"),
        ({"base_url": "http://127.0.0.1:port/v1"}, "must start with http:// or https://"),
        ({"timeout": 0}, "timeout must be seconds above 0, not 0"),
        ({"model": " "}, "the endpoint needs a model name"),
        ({"api_key": "sk-1\nX-Evil: 1"}, "the API key must be printable ASCII without spaces"),
        ({"api_key": ""}, "the API key must be printable ASCII without spaces, and not empty"),
    ],
)
def test_settings_out_of_range_are_refused_before_anything_is_sent(
    change: dict[str, Any], message: str
) -> None:
    """Each bad setting raises InvalidInput naming it, and the server sees nothing."""
    with ChatServer(echo) as server:
        fields: dict[str, Any] = {
            "base_url": server.url,
            "model": "m",
            "api_key": None,
            "timeout": 5.0,
        }
        endpoint_fields = {k: change.get(k, v) for k, v in fields.items()}
        options = {k: v for k, v in change.items() if k not in fields}
        with pytest.raises(InvalidInput) as raised:
            run(Endpoint(**endpoint_fields), [ask(1)], **options)
        assert server.requests == 0
    assert message in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_called_from_inside_a_running_event_loop_it_runs_in_a_thread_of_its_own() -> None:
    """complete_all inside a coroutine (as under Playwright's sync API) still answers every
    request, its loop running in another thread while the caller waits."""

    async def inside() -> list[tuple[Any, ...]]:
        with ChatServer(lambda body: "yes") as server:
            replies, _ = run(Endpoint(server.url, "m"), [ask(1), ask(2)])
        return [(r.key, r.status, r.text) for r in sorted(replies, key=lambda r: str(r.key))]

    # A thread of the test's own: this process may run an event loop already (Playwright's).
    with ThreadPoolExecutor(max_workers=1) as pool:
        got = pool.submit(asyncio.run, inside()).result()
    assert got == [(1, "ok", "yes"), (2, "ok", "yes")]


def test_backoff_is_full_jitter_under_a_doubling_ceiling_and_the_cap() -> None:
    """Each delay lies between 0 and min(cap, base·2^(attempt-1)), and the draws spread."""
    rng = random.Random(3)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 5.0), (200, 5.0)]:
        delays = [backoff_delay(attempt, 0.5, 5.0, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.9
        assert min(delays) < ceiling * 0.1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    """Retry-After is seconds or an HTTP date (0 once past); anything else is unread."""
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    read: Callable[[str | None], float | None] = lambda v: retry_after_seconds(v, now)  # noqa: E731
    assert [
        read(v)
        for v in ["2", " 0.5 ", "-3", "Thu, 01 Jan 2026 12:00:30 GMT",
                  "Thu, 01 Jan 2026 11:00:00 GMT", "soon", "nan", None]
    ] == [2.0, 0.5, 0.0, 30.0, 0.0, None, None, None]  # fmt: skip
