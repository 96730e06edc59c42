"""Deadlines and a cap for the HTTP server's connections (docs/deploy.md).

uvicorn closes connections left idle between requests, but it waits forever for a request
head that never completes or a body that trickles in, and it accepts connections until the
process runs out of descriptors. These protocol classes (uvicorn's httptools and h11 ones,
extended) give a request head ``header_timeout`` seconds from the connection's start (on a
reused connection, from the head's first byte), close a body that goes silent for
``body_timeout`` seconds or averages under ``min_body_rate`` bytes/s after
``body_rate_grace`` seconds, and close every connection above ``max_connections`` as soon
as it is accepted. ``labelworks serve`` passes ``HttpToolsConnection`` to uvicorn.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, Protocol, cast

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from labelworks.config import Settings

log = logging.getLogger("uvicorn.error")


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float
    body_timeout: float
    min_body_rate: float
    body_rate_grace: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            min_body_rate=settings.min_body_rate,
            body_rate_grace=settings.body_rate_grace,
            max_connections=settings.max_connections,
        )


@functools.cache
def _process_limits() -> ConnectionLimits:
    # uvicorn builds protocols from its own Config, which has no room for these: like the app
    # factory, each server process reads its settings once, from the environment that
    # `labelworks serve` hands to every worker.
    return ConnectionLimits.from_settings(Settings())


class Phase(enum.Enum):
    HEAD = "head"  # a request head is due: the client's turn
    BODY = "body"  # a request body is due
    APP = "app"  # requests are being answered: the server's turn, no deadline


class ReadClock(FlowControl):
    """uvicorn's flow control, also timing how long reading was paused.

    uvicorn stops reading while the app has not taken the body buffered so far (or while a
    pipelined request waits its turn); the client cannot send then, so that time is never
    held against it.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(transport)
        self._loop = loop
        self._paused_at: float | None = None
        self._paused_before = 0.0
        self.resumed_at = 0.0

    def pause_reading(self) -> None:
        if not self.read_paused:
            self._paused_at = self._loop.time()
        super().pause_reading()

    def resume_reading(self) -> None:
        if self.read_paused and self._paused_at is not None:
            self.resumed_at = self._loop.time()
            self._paused_before += self.resumed_at - self._paused_at
            self._paused_at = None
        super().resume_reading()

    def paused_seconds(self, now: float) -> float:
        """How long reading has been paused on this connection, in all, up to ``now``."""
        ongoing = now - self._paused_at if self._paused_at is not None else 0.0
        return self._paused_before + ongoing


class _Guarded(Protocol):
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    server_state: ServerState
    timeout_keep_alive_task: asyncio.TimerHandle | None

    def request_phase(self) -> Phase: ...

    def head_begun(self) -> bool:
        """Whether part of a request head has arrived."""
        ...

    def claim_response(self) -> bool:
        """True when no response has started, and none from the app will be written now."""
        ...


_last_warning: dict[str, float] = {}


def _warn(kind: str, message: str, *args: object) -> None:
    # Under attack these happen thousands of times a second: one line per kind per 10 s.
    now = time.monotonic()
    if now - _last_warning.get(kind, -10.0) >= 10.0:
        _last_warning[kind] = now
        log.warning(message, *args)


class _Guard:
    """The deadlines of one connection, re-armed by its protocol after every event."""

    def __init__(self, protocol: _Guarded, limits: ConnectionLimits) -> None:
        self._protocol = protocol
        self._limits = limits
        # Checking a body's progress at a quarter of its limits cuts it within 25 % of them.
        quarter = min(limits.body_timeout, limits.body_rate_grace or limits.body_timeout) / 4
        self._tick = max(0.05, min(1.0, quarter))
        self._clock: ReadClock | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_started = self._body_paused = self._body_progress = 0.0
        self._body_bytes = 0

    def start(self, transport: asyncio.Transport) -> ReadClock:
        """The flow control for a new connection, which is closed if it is over the cap."""
        self._clock = ReadClock(transport, self._protocol.loop)
        open_now = len(self._protocol.server_state.connections)
        if open_now > self._limits.max_connections:
            _warn("cap", "refusing connections: %d open (LABELWORKS_MAX_CONNECTIONS)", open_now)
            self._answer(HTTPStatus.SERVICE_UNAVAILABLE)
        else:
            self.settle()
        return self._clock

    def body_arrived(self, size: int) -> None:
        self._body_bytes += size
        self._body_progress = self._protocol.loop.time()

    def settle(self) -> None:
        """Arm the deadline of the phase the connection is now in, disarm the others."""
        transport, me = self._protocol.transport, cast(object, self._protocol)
        # A connection upgraded to a WebSocket has another protocol, and no HTTP deadlines.
        if transport.is_closing() or transport.get_protocol() is not me:
            self.stop()
            return
        phase = self._protocol.request_phase()
        if phase is not Phase.HEAD and self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if phase is not Phase.BODY:
            self._body_bytes = 0
            if self._body_timer is not None:
                self._body_timer.cancel()
                self._body_timer = None
        loop = self._protocol.loop
        # An armed timer stays: the deadline counts from when the phase began. Between
        # requests uvicorn's keep-alive timer (cancelled by any byte) bounds the wait instead,
        # so the head's deadline starts at its first byte and a proxy's pooled connections
        # may idle for as long as keep_alive_timeout allows.
        keeping_alive = self._protocol.timeout_keep_alive_task is not None
        if phase is Phase.HEAD and self._head_timer is None:
            if not keeping_alive or self._protocol.head_begun():
                self._head_timer = loop.call_later(self._limits.header_timeout, self._head_late)
        elif phase is Phase.BODY and self._body_timer is None and self._clock is not None:
            now = loop.time()
            self._body_started = self._body_progress = now
            self._body_paused = self._clock.paused_seconds(now)
            # _body_bytes already holds what came with the head, before this first settle.
            self._body_timer = loop.call_later(self._tick, self._check_body)

    def stop(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self._protocol.transport.is_closing():
            return
        if self._protocol.head_begun():
            _warn(
                "head",
                "closed connections whose request head took over %g s",
                self._limits.header_timeout,
            )
            self._answer(HTTPStatus.REQUEST_TIMEOUT)
        else:
            self._protocol.transport.close()  # idle: nothing to answer

    def _check_body(self) -> None:
        self._body_timer = None
        clock, transport = self._clock, self._protocol.transport
        if clock is None or transport.is_closing():
            return
        now = self._protocol.loop.time()
        if not clock.read_paused:
            silent = now - max(self._body_progress, clock.resumed_at)
            active = now - self._body_started - (clock.paused_seconds(now) - self._body_paused)
            slow = (
                active >= self._limits.body_rate_grace
                and self._body_bytes < self._limits.min_body_rate * active
            )
            if silent >= self._limits.body_timeout or slow:
                _warn("body", "closed connections whose request body stalled or was too slow")
                if self._protocol.claim_response():
                    self._answer(HTTPStatus.REQUEST_TIMEOUT)
                else:
                    transport.close()
                return
        self._body_timer = self._protocol.loop.call_later(self._tick, self._check_body)

    def _answer(self, status: HTTPStatus) -> None:
        """Write a whole response straight to the socket and close it."""
        body = status.phrase.encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (status.value, body)]
        head += [
            name + b": " + value + b"\r\n"
            for name, value in self._protocol.server_state.default_headers
        ]
        head.append(b"content-type: text/plain; charset=utf-8\r\n")
        head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self._protocol.transport.write(b"".join(head) + body)
        self._protocol.transport.close()


class _Guarding:
    """What both protocols add to uvicorn's: a ``_Guard`` started with the connection and
    stopped with it. Listed first among the bases, so its methods wrap uvicorn's."""

    limits: ClassVar[ConnectionLimits | None] = None  # None: this process's settings
    flow: FlowControl

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)  # type: ignore[call-arg]
        self._guard = _Guard(cast(_Guarded, self), self.limits or _process_limits())

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self.flow = self._guard.start(cast(asyncio.Transport, transport))

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.stop()
        super().connection_lost(exc)  # type: ignore[misc]


class HttpToolsConnection(_Guarding, HttpToolsProtocol):
    """uvicorn's httptools protocol with the deadlines and the cap; ``serve`` uses it."""

    # Where the connection is in its request (each connection sets its own as it goes).
    _head_started = False
    _in_body = False
    _unanswered = 0

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._guard.settle()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_started = True

    def on_headers_complete(self) -> None:
        self._head_started, self._in_body = False, True
        self._unanswered += 1
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._guard.body_arrived(len(body))  # also what uvicorn drops after an early answer
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._unanswered -= 1
        super().on_response_complete()
        self._guard.settle()

    def request_phase(self) -> Phase:
        if self._in_body:
            return Phase.BODY
        # A pipelined request may be parsed already while an earlier one is answered.
        return Phase.HEAD if self._unanswered == 0 else Phase.APP

    def head_begun(self) -> bool:
        return self._head_started

    def claim_response(self) -> bool:
        if self.cycle is None or self.cycle.response_started:
            return False
        # Marked as gone, the cycle drops whatever the app sends after our 408.
        self.cycle.disconnected = True
        return True


class H11Connection(_Guarding, H11Protocol):
    """uvicorn's h11 protocol with the deadlines and the cap (for hosts without httptools)."""

    def data_received(self, data: bytes) -> None:
        before = self.request_phase()
        super().data_received(data)
        # h11's events are not ours to hook: whole reads count, chunk framing included, and
        # for the read that completed the head, the body uvicorn buffered from it.
        if before is Phase.BODY:
            self._guard.body_arrived(len(data))
        elif self.request_phase() is Phase.BODY:
            self._guard.body_arrived(len(self.cycle.body))
        self._guard.settle()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._guard.settle()

    def request_phase(self) -> Phase:
        state = self.conn.their_state
        if state is h11.IDLE:
            return Phase.HEAD
        return Phase.BODY if state is h11.SEND_BODY else Phase.APP

    def head_begun(self) -> bool:
        return bool(self.conn.trailing_data[0])

    def claim_response(self) -> bool:
        if self.cycle is None or self.cycle.response_started:
            return False
        self.cycle.disconnected = True  # drops whatever the app sends after our 408
        return True
