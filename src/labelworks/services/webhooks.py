"""Webhooks per project: managing them, the outbox events are written to, and the
delivery log. Sending (``deliver_due``) is ``services.webhook_delivery``'s.

Events are written with ``emit`` inside the transaction of the change they announce (the
outbox): one pending delivery per active webhook that subscribes, committed with the
change or rolled back with it, so an event whose change never happened is never sent and
one whose change happened is never lost. A dispatcher sends them afterwards, off every
request thread.

Who: a project's managers and admins, outside any vendor. Events carry every vendor's
work (the final label of an item whoever labelled it, any vendor's lot and people), and a
webhook sends them to an address its maker chooses, so a vendor's manager may neither
make one nor read the log.

The secret: generated here, returned once when the webhook is made (or its secret
rotated) and never again, like an API token. Whoever set up the receiver has it; a
lost one is replaced by rotating, which the receiver must then be given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection

from labelworks.domain import webhooks as rules
from labelworks.domain.access import Action, Actor, Role
from labelworks.domain.errors import Conflict, InvalidInput, Location, NotFound
from labelworks.domain.spec import ProjectSpec
from labelworks.services.access import unwalled_project
from labelworks.services.privacy import annotation_value_for
from labelworks.services.webhook_delivery import Attempt, deliver_due
from labelworks.storage import consensus as consensus_store
from labelworks.storage import webhooks as store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow
from labelworks.storage.webhooks import DeliveryRow, WebhookRow

__all__ = [
    "Attempt",
    "Created",
    "DeliveryDay",
    "DeliveryRow",
    "WebhookRow",
    "announce_final",
    "announce_forecast_slip",
    "announce_sla_breach",
    "create_webhook",
    "deliver_due",
    "delivery_days",
    "delivery_log",
    "emit",
    "emit_once",
    "ping_webhook",
    "project_webhooks",
    "redeliver",
    "remove_webhook",
    "update_webhook",
]

MAX_PAGE = 200
STATUSES = ("pending", "delivered", "failed")
_WHY = (
    "webhooks send every vendor's work to an address their maker chooses; "
    "vendors' staff may not manage them or read their deliveries"
)
# Whom event data is screened for: a project's in-house managers, who made the webhook.
_MANAGERS = Actor(id=0, email="webhooks", role=Role.MANAGER)


@dataclass(frozen=True, slots=True)
class Created:
    """A webhook just made or whose secret was just rotated, with its secret: the only
    time the secret is given out."""

    webhook: WebhookRow
    secret: str


def _project(conn: Connection, actor: Actor | None, name: str) -> ProjectRow:
    return unwalled_project(conn, actor, name, Action.MANAGE, _WHY)


def _one(conn: Connection, project: ProjectRow, webhook_id: int) -> WebhookRow:
    found = store.webhooks_of(conn, project.id, webhook_id)
    if not found:
        raise NotFound(f"webhook {webhook_id} does not exist in project '{project.name}'")
    return found[0]


def create_webhook(
    db: Database,
    project_name: str,
    *,
    url: str,
    events: Sequence[str],
    actor: Actor | None = None,
) -> Created:
    """Make a webhook sending ``events`` to ``url``, signed with a new secret (returned
    here, once)."""
    spec = rules.check_webhook(url, events)
    secret = rules.new_secret()
    with db.write() as conn:
        project = _project(conn, actor, project_name)
        if store.count(conn, project.id) >= rules.MAX_WEBHOOKS:
            raise Conflict(
                f"project '{project_name}' already has {rules.MAX_WEBHOOKS} webhooks, the "
                "most it may have; remove one first"
            )
        webhook_id = store.create(
            conn,
            project_id=project.id,
            url=spec.url,
            secret=secret,
            events=list(spec.events),
            by=None if actor is None else actor.id,
            now=utcnow(),
        )
        return Created(_one(conn, project, webhook_id), secret)


def project_webhooks(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> list[WebhookRow]:
    """The project's webhooks, oldest first, with how their deliveries stand."""
    with db.read() as conn:
        project = _project(conn, actor, project_name)
        return store.webhooks_of(conn, project.id)


def remove_webhook(
    db: Database, project_name: str, webhook_id: int, *, actor: Actor | None = None
) -> None:
    """Delete a webhook with its delivery log; deliveries not yet sent are never sent."""
    with db.write() as conn:
        project = _project(conn, actor, project_name)
        if not store.remove(conn, project.id, webhook_id):
            raise NotFound(f"webhook {webhook_id} does not exist in project '{project_name}'")


def update_webhook(
    db: Database,
    project_name: str,
    webhook_id: int,
    *,
    active: bool | None = None,
    rotate_secret: bool = False,
    actor: Actor | None = None,
) -> tuple[WebhookRow, str | None]:
    """Pause (``active=False``: events are no longer queued for it, and what is queued
    waits) or resume a webhook, and/or give it a new secret (returned, once)."""
    if active is None and not rotate_secret:
        raise InvalidInput("say what to change: active, rotate_secret or both")
    secret = rules.new_secret() if rotate_secret else None
    with db.write() as conn:
        project = _project(conn, actor, project_name)
        _one(conn, project, webhook_id)
        if active is not None:
            store.set_active(conn, project.id, webhook_id, active)
        if secret is not None:
            store.set_secret(conn, project.id, webhook_id, secret)
        return _one(conn, project, webhook_id), secret


# ---- the outbox -------------------------------------------------------------------------


def emit(conn: Connection, project_id: int, event: str, data: Mapping[str, Any]) -> int:
    """Queue ``event`` with ``data`` (JSON; naive date-times are UTC) for each active
    webhook of the project that subscribes to it, in the caller's transaction; returns
    how many deliveries were queued."""
    if event not in rules.EVENTS:
        raise ValueError(f"unknown event {event!r}")
    subscribed = store.subscribers(conn, project_id, event)
    if not subscribed:
        return 0
    ids = store.queue(
        conn,
        project_id=project_id,
        webhook_ids=subscribed,
        event=event,
        data=rules.data_text(data),
        now=utcnow(),
    )
    return len(ids)


def emit_once(
    conn: Connection, project_id: int, key: str, event: str, data: Mapping[str, Any]
) -> bool:
    """``emit``, unless ``key`` was announced in the project before: a condition that holds
    for days (a vendor's SLA breach in a week, a forecast past its deadline) is announced
    the first time it is seen. The mark is kept even when no webhook subscribes (a webhook
    made later is not sent conditions older than itself). Returns whether it was new."""
    if not store.mark(conn, project_id, rules.mark_key(key), utcnow()):
        return False
    emit(conn, project_id, event, data)
    return True


def announce_final(
    conn: Connection,
    spec: ProjectSpec,
    project_id: int,
    item_id: int,
    *,
    value: dict[str, Any],
    status: str,
    method: str,
    confidence: float,
    decided_at: datetime,
    decided_by: str | None = None,
) -> None:
    """Emit ``item.finalised`` for a final label about to be recorded (call it before
    ``record_final``, in the same transaction), when it is news: the item had no final
    label, was waiting for adjudication, or its label changes (a refit that decides the
    same again sends nothing). The value is screened as the project's managers see it."""
    if not store.subscribers(conn, project_id, rules.ITEM_FINALISED):
        return
    before = consensus_store.final_of(conn, item_id)
    if before is not None and before.status != "adjudication" and before.value == value:
        return
    data = {
        "item_id": item_id,
        "external_id": store.external_id(conn, item_id) if before is None else before.external_id,
        "status": status,
        "method": method,
        "confidence": confidence,
        "value": annotation_value_for(_MANAGERS, spec, value),
        "decided_at": decided_at,
        "decided_by": decided_by,
    }
    emit(conn, project_id, rules.ITEM_FINALISED, data)


def announce_sla_breach(
    conn: Connection,
    project_id: int,
    *,
    vendor: str,
    period: str,
    measure: str,
    target: float,
    actual: float,
    detail: str = "",
) -> bool:
    """Announce, once per vendor, period and measure, that a vendor missed an SLA target
    in the project (``measure``: e.g. ``lease_to_submit_hours``, ``quality_floor``;
    ``period``: e.g. ``2026-W48``); in a write transaction. Returns whether it was new."""
    data = {
        "vendor": vendor,
        "period": period,
        "measure": measure,
        "target": target,
        "actual": actual,
        "detail": detail,
    }
    key = f"{rules.SLA_BREACHED}:{measure}:{period}:{vendor}"
    return emit_once(conn, project_id, key, rules.SLA_BREACHED, data)


def announce_forecast_slip(
    conn: Connection,
    project_id: int,
    *,
    deadline: date,
    forecast: date,
    confidence: float,
    p50: date,
    remaining: int,
) -> bool:
    """Announce, once per deadline, that the project's completion forecast at
    ``confidence`` (``forecast``, e.g. the P90 date) falls after its ``deadline``; in a
    write transaction. A new deadline that slips is announced again. Returns whether it
    was new."""
    data = {
        "deadline": deadline.isoformat(),
        "forecast": forecast.isoformat(),
        "confidence": confidence,
        "p50": p50.isoformat(),
        "remaining": remaining,
        "days_late": (forecast - deadline).days,
    }
    key = f"{rules.FORECAST_SLIPPED}:{deadline.isoformat()}"
    return emit_once(conn, project_id, key, rules.FORECAST_SLIPPED, data)


# ---- the delivery log -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryDay:
    """Deliveries made on one UTC day, by where they stand now."""

    day: str
    delivered: int
    pending: int
    failed: int


def delivery_days(
    db: Database,
    project_name: str,
    *,
    days: int = 14,
    now: datetime | None = None,
    actor: Actor | None = None,
) -> list[DeliveryDay]:
    """The last ``days`` UTC days up to ``now``'s, oldest first, each with its deliveries
    by status (days without any included, as zeros)."""
    today = (now or utcnow()).date()
    first = today - timedelta(days=days - 1)
    with db.read() as conn:
        project = _project(conn, actor, project_name)
        counts = store.per_day(conn, project.id, datetime.combine(first, time()))
    by_day: dict[str, dict[str, int]] = {}
    for day, status, n in counts:
        by_day.setdefault(day, {})[status] = n
    out = []
    for k in range(days):
        day = (first + timedelta(days=k)).isoformat()
        found = by_day.get(day, {})
        out.append(
            DeliveryDay(
                day, found.get("delivered", 0), found.get("pending", 0), found.get("failed", 0)
            )
        )
    return out


def ping_webhook(
    db: Database, project_name: str, webhook_id: int, *, actor: Actor | None = None
) -> DeliveryRow:
    """Queue a ``ping`` to one webhook, whatever it subscribes to, to check its receiver;
    it goes out with the other deliveries (within seconds where a dispatcher runs)."""
    with db.write() as conn:
        project = _project(conn, actor, project_name)
        webhook = _one(conn, project, webhook_id)
        if not webhook.active:
            raise Conflict(f"webhook {webhook_id} is paused: resume it to ping it")
        data = {"webhook_id": webhook_id, "events": webhook.events, "zen": "Labels, signed."}
        (delivery_id,) = store.queue(
            conn,
            project_id=project.id,
            webhook_ids=[webhook_id],
            event=rules.PING,
            data=rules.data_text(data),
            now=utcnow(),
        )
        found = store.delivery(conn, project.id, delivery_id)
        assert found is not None
        return found


def delivery_log(
    db: Database,
    project_name: str,
    *,
    webhook_id: int | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
    actor: Actor | None = None,
) -> list[DeliveryRow]:
    """A page of the project's deliveries, newest first (``before``: the last id of the
    previous page), of one webhook and/or in one status if asked."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            f"status must be one of {', '.join(STATUSES)}", location=Location(field="status")
        )
    with db.read() as conn:
        project = _project(conn, actor, project_name)
        if webhook_id is not None:
            _one(conn, project, webhook_id)
        return store.deliveries_of(
            conn, project.id, webhook_id=webhook_id, status=status, before=before, limit=limit
        )


def redeliver(
    db: Database, project_name: str, delivery_id: int, *, actor: Actor | None = None
) -> DeliveryRow:
    """Send a failed (or delivered) delivery again, with its id and body, from the start
    of the retry schedule; one still pending is a conflict (it is already on its way)."""
    with db.write() as conn:
        project = _project(conn, actor, project_name)
        found = store.delivery(conn, project.id, delivery_id)
        if found is None:
            raise NotFound(f"delivery {delivery_id} does not exist in project '{project_name}'")
        if found.status == "pending":
            raise Conflict(f"delivery {delivery_id} is still pending: it will be tried again")
        store.requeue(conn, delivery_id, utcnow())
        again = store.delivery(conn, project.id, delivery_id)
        assert again is not None
        return again
