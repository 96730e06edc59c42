"""Turning a service that writes into a stream into an HTTP body that streams out.

The service runs in a thread of its own and writes into a ``_ChunkWriter``; chunks cross to
the event loop through an asyncio queue, with a semaphore of free slots for back-pressure.
When the client goes away, the response is cancelled, the body's ``finally`` sets ``stop``
and the producer's next write raises ``ClientGone``: the service unwinds at once, its
transaction and database connection are released, and the thread ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO

_END = object()
SLOTS = 16  # chunks in flight between the producer and the client
POLL_SECONDS = 0.25  # how often a blocked producer looks whether the client is still there


class ClientGone(Exception):
    """The client stopped reading; raised inside the producer to end it."""


class _ChunkWriter:
    """A write-only binary stream whose chunks go to the event loop, in order."""

    def __init__(self, send: Callable[[object], None], flush_at: int = 64 * 1024) -> None:
        self._send = send
        self._buffer = bytearray()
        self._flush_at = flush_at
        self._written = 0

    def write(self, data: bytes) -> int:
        self._buffer += data
        self._written += len(data)
        if len(self._buffer) >= self._flush_at:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self._send(bytes(self._buffer))
            self._buffer.clear()

    def tell(self) -> int:
        return self._written

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False

    def close(self) -> None:
        self.flush()


def stream_from(produce: Callable[[BinaryIO], object]) -> AsyncIterator[bytes]:
    """Run ``produce(stream)`` in a thread and yield what it writes, in order.

    Memory stays bounded by ``SLOTS`` chunks; an error in the producer ends the body early
    (the client sees a truncated transfer, never a silently complete-looking file). The
    thread starts only when the body is first iterated.
    """

    async def body() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[object] = asyncio.Queue()
        free = threading.Semaphore(SLOTS)
        stop = threading.Event()
        failure: list[BaseException] = []

        def send(item: object) -> None:
            while not free.acquire(timeout=POLL_SECONDS):
                if stop.is_set():
                    raise ClientGone()
            if stop.is_set():
                raise ClientGone()
            try:
                loop.call_soon_threadsafe(chunks.put_nowait, item)
            except RuntimeError as exc:  # the event loop is gone (server shutting down)
                raise ClientGone() from exc

        def run() -> None:
            try:
                writer = _ChunkWriter(send)
                produce(writer)  # type: ignore[arg-type]
                writer.flush()
            except ClientGone:
                return
            except BaseException as exc:
                failure.append(exc)
            with contextlib.suppress(ClientGone):
                send(_END)

        thread = threading.Thread(target=run, daemon=True, name="export-stream")
        thread.start()
        try:
            while True:
                chunk = await chunks.get()
                free.release()
                if chunk is _END:
                    break
                assert isinstance(chunk, bytes)
                yield chunk
        finally:
            stop.set()
        thread.join()  # it has sent _END: it is finishing, not blocked
        if failure:
            raise failure[0]

    return body()
