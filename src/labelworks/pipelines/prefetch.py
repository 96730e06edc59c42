"""Reading ahead: run an iterator in a thread so its next items are ready when asked for.

An import parses rows (Python, holding the GIL) and writes them (the database, which
releases the GIL while it works: psycopg while the server inserts a batch, sqlite3 for each
row's step). Reading the next batch while the last one is written puts a second core to work.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_SECONDS = 0.1


def read_ahead(items: Iterator[T], *, depth: int = 2) -> Generator[T, None, None]:
    """Yield what ``items`` yields, computing up to ``depth`` items ahead in a thread.

    An exception from ``items`` is raised here, after the items before it. Closing this
    generator early (or an exception in the consumer) stops the thread at its next item.
    """
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(value, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Raised(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name="labelworks-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            value = ready.get()
            if value is _DONE:
                return
            if isinstance(value, _Raised):
                raise value.exc
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


class _Raised:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
