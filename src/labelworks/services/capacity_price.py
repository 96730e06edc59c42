"""The price of an annotation for capacity planning: the vendors' average from their rate
cards (``vendor_usage.cost_per_annotation``), kept per project and wall.

It is gathered from every annotation's billing status, seconds at a million annotations,
so it is kept for ``PRICE_MAX_AGE`` seconds and refreshed in the background after that; a
big project's first one is gathered in the background too (``capacity_facts.runner``)
while the page says so. A small project's first one is gathered on the spot.
"""

from __future__ import annotations

import time
from threading import Lock

from labelworks.domain.access import Actor, wall
from labelworks.domain.errors import InvalidInput
from labelworks.services import capacity_facts
from labelworks.services.vendor_usage import cost_per_annotation
from labelworks.storage.engine import Database
from labelworks.storage.projects import ProjectRow

PRICE_INLINE_UP_TO = 20_000
PRICE_MAX_AGE = 300.0
Price = tuple[float, str] | None
_lock = Lock()
_prices: dict[tuple[str, int, str | None], tuple[float, Price, str | None]] = {}
_pricing: set[tuple[str, int, str | None]] = set()


def price_of(
    db: Database, project: ProjectRow, actor: Actor | None, newest: int
) -> tuple[Price, str | None]:
    """The vendors' average price of an annotation and a note for the page (why there is
    none, or that it is still being worked out)."""
    key = (db.cache_scope, project.id, wall(actor))
    with _lock:
        kept = _prices.get(key)
    if kept is not None and time.monotonic() - kept[0] < PRICE_MAX_AGE:
        return kept[1], kept[2]

    def work() -> None:
        try:
            try:
                found: Price = cost_per_annotation(db, project.name, actor=actor)
                note = None
            except InvalidInput as exc:
                found, note = None, f"No cost: {exc.message}."
            with _lock:
                _prices[key] = (time.monotonic(), found, note)
        finally:
            with _lock:
                _pricing.discard(key)

    if kept is None and newest <= PRICE_INLINE_UP_TO:
        with _lock:
            _pricing.add(key)
        work()
        with _lock:
            kept = _prices[key]
        return kept[1], kept[2]
    with _lock:
        started = key in _pricing
        _pricing.add(key)
    if not started:
        capacity_facts.runner(work)
    if kept is not None:
        return kept[1], kept[2]
    return None, "The price from the vendors' rate cards is being worked out: reload in a minute."
