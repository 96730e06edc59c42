"""A webhook receiver on a real socket for tests: a threaded ``http.server`` on 127.0.0.1
that keeps every request it gets (headers and raw body) and answers each with the next
entry of its ``answers`` (an HTTP status, or ``"hang"``: say nothing for longer than any
test's client timeout), then 200 once they run out.

It checks signatures the way docs/operations.md tells a receiver to, with its own code
(hmac and hashlib, not labelworks'), so a test that reads ``verified`` checks the
documented recipe against what labelworks sends.

    with Receiver(answers=[500, 200]) as hook:
        ...  # a webhook at hook.url
        assert [r.status for r in hook.requests] == [500, 200]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

HANG_SECONDS = 3.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | str

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def verified(self, secret: str, *, now: float | None = None, tolerance: int = 300) -> bool:
        """The receiver's check from docs/operations.md: the HMAC of "<timestamp>.<body>"
        matches the signature header, and the timestamp is recent."""
        timestamp = self.headers["x-labelworks-timestamp"]
        signed = timestamp.encode() + b"." + self.body
        expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        fresh = abs((time.time() if now is None else now) - int(timestamp)) <= tolerance
        return fresh and hmac.compare_digest(expected, self.headers["x-labelworks-signature"])


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class Receiver:
    """The receiver, serving in a daemon thread while used as a context manager."""

    def __init__(self, answers: list[int | str] | None = None) -> None:
        self.answers = list(answers or [])
        self.requests: list[Received] = []
        self._lock = threading.Condition()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        # A short poll: shutdown() waits for the serving loop's next look.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next(self, path: str, headers: dict[str, str], body: bytes) -> int | str:
        with self._lock:
            answer = self.answers.pop(0) if self.answers else 200
            self.requests.append(Received(path, headers, body, answer))
            self._lock.notify_all()
            return answer

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        """The requests once ``n`` have arrived (``TimeoutError`` if not within
        ``timeout`` seconds): tests wait for deliveries without sleeping."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= n, timeout):
                raise TimeoutError(f"{len(self.requests)} of {n} requests in {timeout} s")
            return list(self.requests)


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = receiver._next(self.path, headers, body)
            if answer == "hang":
                time.sleep(HANG_SECONDS)
                return
            assert isinstance(answer, int)
            self.send_response(answer)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    return Handler
