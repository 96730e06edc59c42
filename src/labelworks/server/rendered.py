"""What a kept report looks like once rendered (its JSON, a page's HTML), kept beside it.

A kept report of 500 people takes longer to validate into the wire model or to render as a
page than to look up (bench/people.py), so interfaces render it once and answer every
later request from the rendering while the service hands back the same report object.
Entries hold their report, so its ``id`` cannot be reused while they are kept; the oldest
are dropped past ``SIZE``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any

SIZE = 32


class Renderings:
    """Renderings keyed by (the report's identity, what else the rendering depends on)."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[int, Hashable], tuple[Any, Any]] = OrderedDict()
        self._lock = Lock()

    def get(self, report: Any, extra: Hashable, render: Callable[[], Any]) -> Any:
        key = (id(report), extra)
        with self._lock:
            found = self._kept.get(key)
            if found is not None and found[0] is report:
                self._kept.move_to_end(key)
                return found[1]
        made = render()
        with self._lock:
            self._kept[key] = (report, made)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return made
