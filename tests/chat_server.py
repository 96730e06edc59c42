"""A deterministic local server that speaks the OpenAI chat-completions protocol.

It answers ``POST /v1/chat/completions`` with ``rule(body)`` as the assistant's text, so
tests and benchmarks can drive ``labelworks.services.chat_endpoint`` over a real socket
without a model. ``faults(body, n)`` makes it misbehave on purpose, by how many times that
exact body has been seen before, which is how retries are exercised deterministically.

    with ChatServer(lambda body: "yes", latency=0.05) as server:
        complete_all(Endpoint(server.url, "m"), requests, on_reply=print)
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Rule = Callable[[dict[str, Any]], str]
Faults = Callable[[dict[str, Any], int], str | None]

FAULT_KINDS = ("429", "500", "not-json", "no-choices", "hang", "close")
# Longer than any test's client timeout, short enough that a leftover thread ends soon.
HANG_SECONDS = 5.0


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections when a client opens more at once
    # (the SYN is retried a second later): a benchmark would measure that, a test time out.
    request_queue_size = 1024
    daemon_threads = True


def faults_first(kind: str, times: int) -> Faults:
    """A faults function that answers with ``kind`` the first ``times`` times it sees each
    body, then normally."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")

    def faults(body: dict[str, Any], seen: int) -> str | None:
        return kind if seen < times else None

    return faults


def _words(text: str) -> int:
    return len(text.split())


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _body_problem(body: Any) -> str | None:
    """Why a request body is not a chat-completions request, or None when it is one."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "You must provide a model parameter."
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array."
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            return f"Invalid value for 'messages[{i}]': expected an object with 'content'."
        if message.get("role") not in {"system", "user", "assistant"}:
            return f"Invalid value for 'messages[{i}].role': {message.get('role')!r}."
    return None


class ChatServer:
    """A chat-completions server on 127.0.0.1 (a free port) in a daemon thread; a context
    manager. ``url`` is the base URL a client is given (it ends in ``/v1``)."""

    def __init__(
        self,
        rule: Rule,
        *,
        latency: float = 0.0,
        faults: Faults | None = None,
        api_key: str | None = None,
        retry_after: str = "0",
    ) -> None:
        self.rule = rule
        self.latency = latency
        self.faults = faults
        self.api_key = api_key
        # The 429 fault's Retry-After header: seconds or an HTTP date.
        self.retry_after = retry_after
        self.requests = 0
        self.max_in_flight = 0
        self.bodies: list[dict[str, Any]] = []
        self._in_flight = 0
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and free the port; handlers still sleeping ("hang") are daemon
        threads and do not hold this up."""
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()

    def _arrived(self) -> None:
        with self._lock:
            self.requests += 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _left(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _fault_for(self, body: dict[str, Any]) -> str | None:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        with self._lock:
            seen = self._seen[canonical]
            self._seen[canonical] += 1
        return self.faults(body, seen) if self.faults else None

    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        """The chat.completion object answering ``body``."""
        text = self.rule(body)
        prompt = sum(_words(m["content"]) for m in body["messages"])
        with self._lock:
            number = self.requests
        return {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": _words(text),
                "total_tokens": prompt + _words(text),
            },
        }


def _handler_for(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps connections alive, as real endpoints do: a client's pool is then
        # measured, not a TCP handshake per request.
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: with Nagle's algorithm on, the body
        # would wait for the client's delayed ACK (40 ms on Linux) on every reply.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(body).encode(), headers)

        def do_GET(self) -> None:
            server._arrived()
            try:
                self._json(404, _error(f"Unknown path {self.path}", "invalid_request_error"))
            finally:
                server._left()

        def do_POST(self) -> None:
            server._arrived()
            try:
                self._answer()
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (its timeout) while we slept: nobody is listening.
                self.close_connection = True
            finally:
                server._left()

        def _answer(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._json(404, _error(f"Unknown path {self.path}", "invalid_request_error"))
                return
            if server.api_key is not None:
                given = self.headers.get("Authorization", "")
                if given != f"Bearer {server.api_key}":
                    # Echoes what it was given, as some proxies do, so that tests can check
                    # a client never repeats its key in its own errors.
                    shown = given.removeprefix("Bearer ")
                    message = f"Incorrect API key provided: {shown}."
                    self._json(401, _error(message, "invalid_request_error", "invalid_api_key"))
                    return
            try:
                body = json.loads(raw)
            except ValueError:
                self._json(400, _error("We could not parse the JSON body.", "invalid_request"))
                return
            with server._lock:
                server.bodies.append(body)
            problem = _body_problem(body)
            if problem is not None:
                self._json(400, _error(problem, "invalid_request_error"))
                return
            fault = server._fault_for(body)
            if server.latency:
                time.sleep(server.latency)
            if fault == "429":
                message = "Rate limit reached for requests. Please try again later."
                headers = {"Retry-After": server.retry_after}
                self._json(429, _error(message, "requests", "rate_limit_exceeded"), headers)
            elif fault == "500":
                self._json(500, _error("The server had an error.", "server_error"))
            elif fault == "not-json":
                self._send(200, b"<html>upstream busy</html>", {"X-Fault": "not-json"})
            elif fault == "no-choices":
                self._json(200, {"id": "chatcmpl-x", "object": "chat.completion", "choices": []})
            elif fault == "close":
                self.close_connection = True
            else:
                if fault == "hang":
                    time.sleep(HANG_SECONDS)
                self._json(HTTPStatus.OK, server.completion(body))

    return Handler
