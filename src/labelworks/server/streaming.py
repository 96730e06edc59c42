"""Turning a service that writes into a stream into an HTTP body that streams out."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

_END = object()


class _QueueWriter:
    """A write-only binary stream whose chunks go to a bounded queue (back-pressure)."""

    def __init__(self, chunks: queue.Queue[object], flush_at: int = 64 * 1024) -> None:
        self._chunks = chunks
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
            self._chunks.put(bytes(self._buffer))
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


def stream_from(produce: Callable[[BinaryIO], object]) -> Iterator[bytes]:
    """Run ``produce(stream)`` in a thread and yield what it writes, in order.

    Memory stays bounded by the queue; an error in the producer ends the body early (the
    client sees a truncated transfer, never a silently complete-looking file).
    """
    chunks: queue.Queue[object] = queue.Queue(maxsize=16)
    failure: list[BaseException] = []

    def run() -> None:
        writer = _QueueWriter(chunks)
        try:
            produce(writer)  # type: ignore[arg-type]
            writer.flush()
        except BaseException as exc:
            failure.append(exc)
        finally:
            chunks.put(_END)

    thread = threading.Thread(target=run, daemon=True, name="export-stream")
    thread.start()
    while True:
        chunk = chunks.get()
        if chunk is _END:
            break
        assert isinstance(chunk, bytes)
        yield chunk
    thread.join()
    if failure:
        raise failure[0]
