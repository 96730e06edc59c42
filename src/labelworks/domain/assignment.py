"""Assignment rules: which item an annotator gets next, and what a submit means.

Pure functions over plain values. Storage implements the same ordering with an index and
row locks; ``choose_next`` is the reference the storage query is tested against.

Rules:

- An item has room while ``submitted + leased < overlap``.
- Items already in progress come first (so started items finish before new ones begin),
  then higher priority, then import order (lower id).
- An annotator never gets an item they already submitted, skipped or hold a live lease on.
  An item whose lease they let expire may come back to them.
- A submit on a live lease is accepted. A submit after expiry is still accepted while its
  lease has not been reclaimed (the slot is still held) or the item still has room;
  otherwise it is refused, the value kept as a late submission, and the assignment closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

POOL_STARTED = 0
POOL_FRESH = 1


class AssignmentState(StrEnum):
    LEASED = "leased"
    SUBMITTED = "submitted"
    SKIPPED = "skipped"
    EXPIRED = "expired"
    # Submitted after the lease was reclaimed and the item filled up: the value is kept as
    # a late submission and the item is not offered to this annotator again.
    LATE = "late"


class SubmitOutcome(StrEnum):
    """What to do with a submit, decided from the assignment and item state."""

    ACCEPT = "accept"
    ACCEPT_AFTER_EXPIRY = "accept_after_expiry"
    REFUSE_ITEM_FULL = "refuse_item_full"
    REPLAY = "replay"
    CLOSED = "closed"


def has_room(n_submitted: int, n_leased: int, overlap: int) -> bool:
    """Whether an item can take one more lease."""
    return n_submitted + n_leased < overlap


def is_complete(n_submitted: int, overlap: int) -> bool:
    """An item is complete when it has ``overlap`` submitted annotations."""
    return n_submitted >= overlap


def item_status(n_submitted: int, n_leased: int, overlap: int) -> str:
    """``complete``, ``in_progress`` (annotated or leased) or ``new``."""
    if is_complete(n_submitted, overlap):
        return "complete"
    return "in_progress" if n_submitted + n_leased > 0 else "new"


def pool_of(n_submitted: int, n_leased: int, overlap: int) -> int | None:
    """The item's place in the work pool: ``None`` when full, started, or fresh."""
    if not has_room(n_submitted, n_leased, overlap):
        return None
    return POOL_STARTED if n_submitted + n_leased > 0 else POOL_FRESH


def lease_expiry(now: datetime, lease_minutes: int) -> datetime:
    """When a lease taken at ``now`` lapses."""
    return now + timedelta(minutes=lease_minutes)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item as the chooser sees it."""

    id: int
    priority: int
    n_submitted: int
    n_leased: int


def queue_key(c: Candidate, overlap: int) -> tuple[int, int, int]:
    """Sort key of the work queue: in progress first, then priority, then import order."""
    pool = pool_of(c.n_submitted, c.n_leased, overlap)
    return (POOL_FRESH + 1 if pool is None else pool, -c.priority, c.id)


def choose_next(
    candidates: Iterable[Candidate], overlap: int, taken_by_annotator: set[int]
) -> int | None:
    """The item id the annotator should get next, or ``None`` when nothing is left.

    ``taken_by_annotator`` holds the items the annotator submitted, skipped or leases now.
    """
    best: tuple[tuple[int, int, int], int] | None = None
    for c in candidates:
        if c.id in taken_by_annotator or not has_room(c.n_submitted, c.n_leased, overlap):
            continue
        key = queue_key(c, overlap)
        if best is None or key < best[0]:
            best = (key, c.id)
    return None if best is None else best[1]


def decide_submit(
    *,
    state: AssignmentState,
    expires_at: datetime,
    now: datetime,
    n_submitted: int,
    n_leased: int,
    overlap: int,
    previous_key: str | None,
    key: str,
) -> SubmitOutcome:
    """Decide a submit on an assignment in ``state``.

    ``previous_key`` is the idempotency key of the annotation already recorded for this
    assignment (or of a late submission already kept), ``None`` if there is none.
    """
    if previous_key is not None:
        return SubmitOutcome.REPLAY if previous_key == key else SubmitOutcome.CLOSED
    if state in (AssignmentState.SUBMITTED, AssignmentState.SKIPPED, AssignmentState.LATE):
        return SubmitOutcome.CLOSED
    if state is AssignmentState.LEASED:
        # An unreclaimed lease still holds its slot, even past its expiry.
        return SubmitOutcome.ACCEPT if now <= expires_at else SubmitOutcome.ACCEPT_AFTER_EXPIRY
    if has_room(n_submitted, n_leased, overlap):
        return SubmitOutcome.ACCEPT_AFTER_EXPIRY
    return SubmitOutcome.REFUSE_ITEM_FULL
