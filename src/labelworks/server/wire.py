"""Sending a response in one write.

uvicorn writes a response's head (status line and headers) as soon as the app starts the
response, and its body in a second write. On a keep-alive API connection that is two
``send`` calls, two TCP segments and two wake-ups of the client for every small JSON
answer. ``Coalescing`` holds a head back until the body follows, which for every
non-streaming response happens before the event loop turns again; a head whose body is
slower to come (a streamed export) goes out alone at the next turn of the loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

# uvicorn writes every response head with this status line prefix; "100 Continue" is an
# interim answer the client waits for before sending a body, so it is never held.
_HEAD = b"HTTP/1.1 "
_CONTINUE = b"HTTP/1.1 100 "


class Coalescing:
    """A transport that joins a response head with the write that follows it."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held:
            data, self._held = self._held + bytes(data), b""
        elif bytes(data[:9]) == _HEAD and bytes(data[:13]) != _CONTINUE:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._held:
            data, self._held = self._held, b""
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
