"""Reports kept in memory while the data under them is unchanged, as
``services.activity`` keeps the Overview's figures (people analytics uses it).

A report is kept under a key with the annotation count it was made at and how long it
took. A cheap report (made in under ``CHEAP_SECONDS``) is used while the count is
unchanged and it is under ``MAX_AGE`` seconds old, and made again on the spot otherwise. A
dear one is used for ``MAX_AGE`` seconds without even counting (counting a million
annotations costs more than the whole kept view), then refreshed in a background thread
at most every ``REFRESH_EVERY`` seconds while views get the last one. Pages that must not
wait use ``kept_or_later``: above ``INLINE_UP_TO`` annotations the first report is made
in the background too, and the page says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from threading import Lock
from typing import Any, TypeVar

MAX_AGE = 60.0
CHEAP_SECONDS = 0.1
REFRESH_EVERY = 10.0
INLINE_UP_TO = 20_000

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Kept:
    at: float  # time.monotonic() when made
    annotations: int
    took: float
    report: Any


_cache: dict[Hashable, _Kept] = {}
_refreshing: set[Hashable] = set()
_lock = Lock()


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="labelworks-kept-report", daemon=True).start()


# How background refreshes start; tests replace it to run them where they are asked for.
runner: Callable[[Callable[[], None]], None] = _in_thread


def kept(key: Hashable, count: Callable[[], int], make: Callable[[], R]) -> R:
    """The report kept under ``key``, or made now (see the module docstring); ``count``
    gives the current annotation count, asked only when the answer matters."""
    with _lock:
        found = _cache.get(key)
    if found is not None:
        age = time.monotonic() - found.at
        dear = found.took >= CHEAP_SECONDS
        if age < MAX_AGE and (dear or count() == found.annotations):
            report: R = found.report
            return report
        if dear:
            if age >= REFRESH_EVERY:
                _refresh_later(key, count, make)
            stale: R = found.report
            return stale
    return _keep(key, count, make)


def kept_or_later(
    key: Hashable,
    count: Callable[[], int],
    make: Callable[[], R],
    inline_up_to: int = INLINE_UP_TO,
) -> R | None:
    """``kept``, for pages that must not wait: a kept report, or one made now when there
    are at most ``inline_up_to`` annotations; else ``None``, the report being made in the
    background for the next view."""
    with _lock:
        found = _cache.get(key)
    if found is not None or count() <= inline_up_to:
        return kept(key, count, make)
    _refresh_later(key, count, make)
    return None


def _keep(key: Hashable, count: Callable[[], int], make: Callable[[], R]) -> R:
    started = time.monotonic()
    # Counted first: annotations arriving while the report is made move the count, so the
    # next view makes it again rather than keeping a report that misses them.
    annotations = count()
    report = make()
    finished = time.monotonic()
    with _lock:
        _cache[key] = _Kept(finished, annotations, finished - started, report)
    return report


def _refresh_later(key: Hashable, count: Callable[[], int], make: Callable[[], Any]) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def work() -> None:
        try:
            _keep(key, count, make)
        finally:
            with _lock:
                _refreshing.discard(key)

    runner(work)
