"""Sending the outbox: every delivery that is due is POSTed, signed, to its webhook; the
answer is recorded, a failure scheduled again by the backoff of
``domain.webhooks.retry_delay`` and failed for good after the last attempt.

Any number of dispatchers may run at once (one per server process and per worker): a
delivery is claimed before it is sent (its next attempt moved out by ``HOLD``), so two
never send it together, and one whose dispatcher died is tried again once the hold
lapses. Delivery is therefore at least once: receivers drop repeats by the delivery id.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Connection

from labelworks.domain import webhooks as rules
from labelworks.storage import webhooks as store
from labelworks.storage.engine import Database
from labelworks.storage.webhooks import Claimed

# Deliveries claimed at once, and sent at once (a slow receiver holds one thread, not
# every other webhook's deliveries).
BATCH = 32
SENDERS = 8
# How long a claimed delivery is kept from other dispatchers: longer than a batch can take
# at any sane timeout, short enough that a dead dispatcher's claim comes back soon.
HOLD = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt did: ``status`` is the delivery's afterwards (``delivered``,
    ``pending`` with ``next_attempt_at`` for a retry, or ``failed``)."""

    delivery_id: int
    event: str
    status: str
    response_status: int | None
    error: str | None
    next_attempt_at: datetime | None


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _send(client: httpx.Client, d: Claimed, now: datetime) -> tuple[int | None, str | None]:
    """POST one delivery; (the answer's status, or None, and why it failed, or None)."""
    payload = rules.body(d.id, d.event, d.project, d.created_at, d.data)
    headers = rules.headers(
        d.secret, event=d.event, delivery_id=d.id, timestamp=_unix(now), payload=payload
    )
    try:
        response = client.post(d.url, content=payload, headers=headers)
    except httpx.TimeoutException as exc:
        return None, rules.short_error(f"timed out ({type(exc).__name__})")
    except Exception as exc:
        # A transport error says which (refused, unresolvable, TLS), never what the
        # receiver answered: an answer's body is never kept. Anything else (a host name
        # the client cannot encode) fails this delivery's attempt, not the batch's.
        return None, rules.short_error(f"{type(exc).__name__}: {exc}")
    if rules.succeeded(response.status_code):
        return response.status_code, None
    reason = response.reason_phrase or "error"
    return response.status_code, rules.short_error(f"HTTP {response.status_code} {reason}")


def _outcome(
    d: Claimed, response: int | None, error: str | None, now: datetime, rng: random.Random
) -> Attempt:
    if error is None:
        return Attempt(d.id, d.event, "delivered", response, None, None)
    wait = rules.retry_delay(d.attempts + 1, rng)
    if wait is None:
        return Attempt(d.id, d.event, "failed", response, error, None)
    return Attempt(d.id, d.event, "pending", response, error, now + timedelta(seconds=wait))


def deliver_due(
    db: Database,
    *,
    now: datetime,
    client: httpx.Client,
    rng: random.Random | None = None,
    only: Sequence[int] | None = None,
    limit: int = BATCH,
) -> list[Attempt]:
    """Send up to ``limit`` deliveries due at ``now`` (naive UTC), or only those of
    ``only`` that are due, and record each attempt. ``client`` carries the timeout; it
    must not follow redirects. ``rng`` jitters the retries (seeded in tests)."""
    rng = rng or random.Random()
    with db.read() as conn:
        if not store.any_due(conn, now):
            return []
    claimed = db.run_write(
        lambda conn: store.claim_due(
            conn,
            now,
            hold_until=now + HOLD,
            limit=limit,
            skip_locked=db.is_postgresql,
            only=only,
        )
    )
    if not claimed:
        return []
    with ThreadPoolExecutor(max_workers=min(SENDERS, len(claimed))) as pool:
        answers = list(pool.map(lambda d: _send(client, d, now), claimed))
    attempts = [
        _outcome(d, response, error, now, rng)
        for d, (response, error) in zip(claimed, answers, strict=True)
    ]

    def record(conn: Connection) -> None:
        for d, a in zip(claimed, attempts, strict=True):
            store.record_attempt(
                conn,
                d.id,
                attempts_before=d.attempts,
                status=a.status,
                next_attempt_at=a.next_attempt_at,
                response_status=a.response_status,
                error=a.error,
                delivered_at=now if a.status == "delivered" else None,
            )

    db.run_write(record)
    return attempts
