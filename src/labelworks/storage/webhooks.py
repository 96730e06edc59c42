"""Webhooks, their outbox of deliveries (the delivery log and the retry queue) and the
marks that make a lasting condition announce itself once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from labelworks.storage.sql import Sql
from labelworks.storage.tables import items, projects, users
from labelworks.storage.tables import webhook_deliveries as deliveries
from labelworks.storage.tables import webhooks as hooks

# ``active`` is a boolean column: 1/0 on SQLite, true/false on PostgreSQL.
_SUBSCRIBERS = Sql(
    "SELECT id, events FROM webhooks WHERE project_id = :project AND active = 1",
    postgresql="SELECT id, events FROM webhooks WHERE project_id = :project AND active",
)
_MARK = Sql(
    "INSERT INTO event_marks (project_id, key, created_at) VALUES (:project, :key, :now) "
    "ON CONFLICT (project_id, key) DO NOTHING"
)


@dataclass(frozen=True, slots=True)
class WebhookRow:
    """A webhook without its secret (which only the dispatcher reads), with how its
    deliveries stand: ``pending``, ``failed`` now, and the last delivery tried (its
    status, its last answer's HTTP status, when it was delivered, else made)."""

    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    created_by: str | None
    pending: int
    failed: int
    last_status: str | None
    last_response: int | None
    last_at: datetime | None


def create(
    conn: Connection,
    *,
    project_id: int,
    url: str,
    secret: str,
    events: list[str],
    by: int | None,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            insert(hooks)
            .values(
                project_id=project_id,
                url=url,
                secret=secret,
                events=json.dumps(events),
                active=True,
                created_by=by,
                created_at=now,
            )
            .returning(hooks.c.id)
        ).scalar_one()
    )


def count(conn: Connection, project_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(hooks).where(hooks.c.project_id == project_id)
        ).scalar_one()
    )


def webhooks_of(
    conn: Connection, project_id: int, webhook_id: int | None = None
) -> list[WebhookRow]:
    """The project's webhooks (or the one), oldest first, with their deliveries' standing."""
    d = deliveries
    standing = (
        select(
            d.c.webhook_id,
            func.count().filter(d.c.status == "pending").label("pending"),
            func.count().filter(d.c.status == "failed").label("failed"),
            func.max(d.c.id).filter(d.c.attempts > 0).label("last_id"),
        )
        .where(d.c.project_id == project_id)
        .group_by(d.c.webhook_id)
        .subquery()
    )
    last = deliveries.alias("last")
    query = (
        select(
            hooks,
            users.c.email,
            standing.c.pending,
            standing.c.failed,
            last.c.status.label("last_status"),
            last.c.response_status.label("last_response"),
            func.coalesce(last.c.delivered_at, last.c.created_at).label("last_at"),
        )
        .outerjoin(users, users.c.id == hooks.c.created_by)
        .outerjoin(standing, standing.c.webhook_id == hooks.c.id)
        .outerjoin(last, last.c.id == standing.c.last_id)
        .where(hooks.c.project_id == project_id)
        .order_by(hooks.c.id)
    )
    if webhook_id is not None:
        query = query.where(hooks.c.id == webhook_id)
    return [
        WebhookRow(
            id=int(r.id),
            url=str(r.url),
            events=json.loads(r.events),
            active=bool(r.active),
            created_at=r.created_at,
            created_by=r.email,
            pending=int(r.pending or 0),
            failed=int(r.failed or 0),
            last_status=r.last_status,
            last_response=r.last_response,
            last_at=r.last_at,
        )
        for r in conn.execute(query)
    ]


def remove(conn: Connection, project_id: int, webhook_id: int) -> bool:
    """Delete a webhook and (by cascade) its delivery log; False if the project has no
    such webhook."""
    result = conn.execute(
        delete(hooks).where(hooks.c.id == webhook_id, hooks.c.project_id == project_id)
    )
    return bool(result.rowcount)


def set_active(conn: Connection, project_id: int, webhook_id: int, active: bool) -> bool:
    result = conn.execute(
        update(hooks)
        .where(hooks.c.id == webhook_id, hooks.c.project_id == project_id)
        .values(active=active)
    )
    return bool(result.rowcount)


def set_secret(conn: Connection, project_id: int, webhook_id: int, secret: str) -> bool:
    result = conn.execute(
        update(hooks)
        .where(hooks.c.id == webhook_id, hooks.c.project_id == project_id)
        .values(secret=secret)
    )
    return bool(result.rowcount)


def subscribers(conn: Connection, project_id: int, event: str) -> list[int]:
    """The project's active webhooks that subscribe to ``event``, by id. Asked on the
    submit path (every item that gets a final label), hence fixed SQL."""
    rows = _SUBSCRIBERS.all(conn, {"project": project_id})
    return [int(i) for i, events in rows if event in json.loads(events)]


def queue(
    conn: Connection,
    *,
    project_id: int,
    webhook_ids: list[int],
    event: str,
    data: str,
    now: datetime,
) -> list[int]:
    """One pending delivery of ``event`` per webhook, due now; their ids."""
    return [
        int(
            conn.execute(
                insert(deliveries)
                .values(
                    webhook_id=webhook_id,
                    project_id=project_id,
                    event=event,
                    payload=data,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                .returning(deliveries.c.id)
            ).scalar_one()
        )
        for webhook_id in webhook_ids
    ]


def mark(conn: Connection, project_id: int, key: str, now: datetime) -> bool:
    """Record that ``key`` was announced in the project; False if it already was."""
    cursor = _MARK.run(conn, {"project": project_id, "key": key, "now": now})
    return bool(cursor.rowcount)


def external_id(conn: Connection, item_id: int) -> str | None:
    found: str | None = conn.execute(
        select(items.c.external_id).where(items.c.id == item_id)
    ).scalar_one_or_none()
    return found


# ---- the dispatcher's side --------------------------------------------------------------


def _due(now: datetime) -> Any:
    return and_(
        deliveries.c.status == "pending",
        deliveries.c.next_attempt_at <= now,
        deliveries.c.webhook_id.in_(select(hooks.c.id).where(hooks.c.active.is_(True))),
    )


def any_due(conn: Connection, now: datetime) -> bool:
    """Whether some delivery of an active webhook is due (a cheap read before claiming)."""
    return conn.execute(select(deliveries.c.id).where(_due(now)).limit(1)).first() is not None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A due delivery claimed for one attempt, with what sending it needs."""

    id: int
    webhook_id: int
    url: str
    secret: str
    event: str
    project: str
    data: dict[str, Any]
    created_at: datetime
    attempts: int


def claim_due(
    conn: Connection,
    now: datetime,
    *,
    hold_until: datetime,
    limit: int,
    skip_locked: bool,
    only: Sequence[int] | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` due deliveries, oldest due first, by moving their next
    attempt to ``hold_until``: other dispatchers skip them meanwhile, and a dispatcher that
    dies mid-attempt leaves them to be tried again once the hold lapses."""
    ids_query = (
        select(deliveries.c.id)
        .where(_due(now))
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
    )
    if only is not None:
        ids_query = ids_query.where(deliveries.c.id.in_(list(only)))
    if skip_locked:
        ids_query = ids_query.with_for_update(skip_locked=True)
    ids = [int(i) for i in conn.execute(ids_query).scalars()]
    if not ids:
        return []
    conn.execute(
        update(deliveries).where(deliveries.c.id.in_(ids)).values(next_attempt_at=hold_until)
    )
    rows = conn.execute(
        select(deliveries, hooks.c.url, hooks.c.secret, projects.c.name.label("project"))
        .join(hooks, hooks.c.id == deliveries.c.webhook_id)
        .join(projects, projects.c.id == deliveries.c.project_id)
        .where(deliveries.c.id.in_(ids))
        .order_by(deliveries.c.id)
    )
    return [
        Claimed(
            id=int(r.id),
            webhook_id=int(r.webhook_id),
            url=str(r.url),
            secret=str(r.secret),
            event=str(r.event),
            project=str(r.project),
            data=json.loads(r.payload),
            created_at=r.created_at,
            attempts=int(r.attempts),
        )
        for r in rows
    ]


def record_attempt(
    conn: Connection,
    delivery_id: int,
    *,
    attempts_before: int,
    status: str,
    next_attempt_at: datetime | None,
    response_status: int | None,
    error: str | None,
    delivered_at: datetime | None,
) -> bool:
    """Record one attempt's outcome; False (nothing written) when the delivery changed
    since it was claimed (removed, redelivered, or tried by another dispatcher after the
    hold lapsed)."""
    result = conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == "pending",
            deliveries.c.attempts == attempts_before,
        )
        .values(
            status=status,
            attempts=attempts_before + 1,
            next_attempt_at=next_attempt_at,
            response_status=response_status,
            error=error,
            delivered_at=delivered_at,
        )
    )
    return bool(result.rowcount)


# ---- the delivery log -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    webhook_id: int
    url: str
    event: str
    data: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    response_status: int | None
    error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _delivery(r: Any) -> DeliveryRow:
    return DeliveryRow(
        id=int(r.id),
        webhook_id=int(r.webhook_id),
        url=str(r.url),
        event=str(r.event),
        data=json.loads(r.payload),
        status=str(r.status),
        attempts=int(r.attempts),
        next_attempt_at=r.next_attempt_at if r.status == "pending" else None,
        response_status=r.response_status,
        error=r.error,
        created_at=r.created_at,
        delivered_at=r.delivered_at,
    )


def deliveries_of(
    conn: Connection,
    project_id: int,
    *,
    webhook_id: int | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int,
) -> list[DeliveryRow]:
    """A page of the project's deliveries, newest first; ``before``: ids below it."""
    query = (
        select(deliveries, hooks.c.url)
        .join(hooks, hooks.c.id == deliveries.c.webhook_id)
        .where(deliveries.c.project_id == project_id)
        .order_by(deliveries.c.id.desc())
        .limit(limit)
    )
    if webhook_id is not None:
        query = query.where(deliveries.c.webhook_id == webhook_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if before is not None:
        query = query.where(deliveries.c.id < before)
    return [_delivery(r) for r in conn.execute(query)]


def delivery(conn: Connection, project_id: int, delivery_id: int) -> DeliveryRow | None:
    row = conn.execute(
        select(deliveries, hooks.c.url)
        .join(hooks, hooks.c.id == deliveries.c.webhook_id)
        .where(deliveries.c.id == delivery_id, deliveries.c.project_id == project_id)
    ).first()
    return None if row is None else _delivery(row)


def per_day(conn: Connection, project_id: int, since: datetime) -> list[tuple[str, str, int]]:
    """(UTC day made, status, deliveries) of the project's deliveries made from ``since``."""
    day = func.date(deliveries.c.created_at)
    rows = conn.execute(
        select(day.label("day"), deliveries.c.status, func.count().label("n"))
        .where(deliveries.c.project_id == project_id, deliveries.c.created_at >= since)
        .group_by(day, deliveries.c.status)
        .order_by(day, deliveries.c.status)
    )
    return [(str(r.day)[:10], str(r.status), int(r.n)) for r in rows]


def requeue(conn: Connection, delivery_id: int, now: datetime) -> None:
    """Send a delivery again from the start of the retry schedule, due now."""
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status="pending", attempts=0, next_attempt_at=now, delivered_at=None)
    )


def projects_subscribed(conn: Connection, events: Sequence[str]) -> list[tuple[int, str]]:
    """Projects (id, name) not archived with an active webhook subscribed to one of
    ``events``, by id."""
    rows = conn.execute(
        select(projects.c.id, projects.c.name, hooks.c.events)
        .join(hooks, hooks.c.project_id == projects.c.id)
        .where(hooks.c.active, projects.c.archived_at.is_(None))
        .order_by(projects.c.id)
    ).all()
    found: dict[int, str] = {}
    for project_id, name, subscribed in rows:
        if set(json.loads(subscribed)) & set(events):
            found[int(project_id)] = str(name)
    return list(found.items())
