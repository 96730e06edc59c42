"""``labelworks webhook``: a project's webhooks — add one (its secret printed once), list,
pause or resume, rotate the secret, remove, send a test ping — and their delivery log
(read it, send a delivery again). Deliveries go out from ``labelworks serve`` or
``labelworks worker``; ``webhook test`` sends its ping from here, at once."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx
import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.domain import webhooks as rules
from labelworks.domain.errors import InvalidInput, Location
from labelworks.services import webhooks as service
from labelworks.services.webhooks import DeliveryRow, WebhookRow
from labelworks.storage.engine import utcnow

app = typer.Typer(help="Webhooks: a project's events POSTed, signed, to other systems.")

MAX_ID = 2**31 - 1  # ids are 32-bit columns on PostgreSQL
Event = StrEnum("Event", {e.replace(".", "_"): e for e in rules.EVENTS})  # type: ignore[misc]
STYLES = {"delivered": "green", "pending": "yellow", "failed": "red"}


class Status(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def _webhook_dict(w: WebhookRow) -> dict[str, Any]:
    return {
        "id": w.id,
        "url": w.url,
        "events": w.events,
        "active": w.active,
        "created_at": utc_or_none(w.created_at),
        "created_by": w.created_by,
        "pending": w.pending,
        "failed": w.failed,
        "last_status": w.last_status,
        "last_response": w.last_response,
        "last_at": utc_or_none(w.last_at),
    }


def _delivery_dict(d: DeliveryRow) -> dict[str, Any]:
    return {
        "id": d.id,
        "webhook_id": d.webhook_id,
        "url": d.url,
        "event": d.event,
        "data": d.data,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": utc_or_none(d.next_attempt_at),
        "response_status": d.response_status,
        "error": d.error,
        "created_at": utc_or_none(d.created_at),
        "delivered_at": utc_or_none(d.delivered_at),
    }


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _secret_lines(webhook_id: int, secret: str) -> None:
    typer.echo(f"signing secret (shown once; give it to the receiver): {secret}")
    typer.echo(f"check it with: labelworks webhook test PROJECT {webhook_id}")


@app.command("add")
def add(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    url: str = typer.Argument(..., help="the receiver's http(s) URL"),
    events: list[Event] = typer.Option(..., "--event", help="an event to send (repeat for more)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Add a webhook POSTing the chosen events to URL; prints its signing secret, once."""
    with reported():
        made = service.create_webhook(
            state(ctx).database(), project, url=url, events=[e.value for e in events]
        )
    if as_json:
        _echo({**_webhook_dict(made.webhook), "secret": made.secret})
        return
    w = made.webhook
    console.print(
        f"webhook {w.id} of {escape(project)}: {escape(w.url)} ← {', '.join(w.events)}",
        highlight=False,
        soft_wrap=True,
    )
    _secret_lines(w.id, made.secret)


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The project's webhooks: URL, events, active or paused, deliveries waiting and
    failed, the last attempt."""
    with reported():
        hooks = service.project_webhooks(state(ctx).database(), project)
    if as_json:
        _echo([_webhook_dict(w) for w in hooks])
        return
    if not hooks:
        console.print(f"no webhooks in {escape(project)}")
        return
    table = Table(title=f"{escape(project)}: webhooks")
    for name, justify in (("id", "right"), ("url", "left"), ("events", "left"),
                          ("state", "left"), ("waiting", "right"), ("failed", "right"),
                          ("last tried", "left")):  # fmt: skip
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for w in hooks:
        last = (
            "-"
            if w.last_status is None
            else f"{w.last_status} {w.last_response or 'no answer'}, "
            f"{'delivered' if w.last_status == 'delivered' else 'made'} {_when(w.last_at)}"
        )
        table.add_row(
            str(w.id),
            Text(w.url),
            ", ".join(w.events),
            Text("active", style="green") if w.active else Text("paused", style="yellow"),
            str(w.pending),
            Text(str(w.failed), style="red" if w.failed else ""),
            last,
        )
    console.print(table)


@app.command("update")
def update(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    webhook_id: int = typer.Argument(..., min=1, max=MAX_ID, help="the webhook's id"),
    active: bool | None = typer.Option(
        None, "--active/--paused", help="resume it, or pause it (queued deliveries wait)"
    ),
    rotate_secret: bool = typer.Option(False, "--rotate-secret", help="give it a new secret"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Pause or resume a webhook, and/or rotate its secret (the new one printed, once)."""
    with reported():
        row, secret = service.update_webhook(
            state(ctx).database(), project, webhook_id, active=active, rotate_secret=rotate_secret
        )
    if as_json:
        _echo({**_webhook_dict(row), "secret": secret})
        return
    console.print(f"webhook {row.id}: {'active' if row.active else 'paused'}", highlight=False)
    if secret is not None:
        _secret_lines(row.id, secret)


@app.command("remove")
def remove(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    webhook_id: int = typer.Argument(..., min=1, max=MAX_ID, help="the webhook's id"),
) -> None:
    """Remove a webhook and its delivery log; what it had queued is never sent."""
    with reported():
        service.remove_webhook(state(ctx).database(), project, webhook_id)
    console.print(f"webhook {webhook_id} removed from {escape(project)}", highlight=False)


@app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    webhook_id: int | None = typer.Option(
        None, "--id", min=1, max=MAX_ID, help="only this webhook's deliveries"
    ),
    status: Status | None = typer.Option(None, "--status", help="pending, delivered or failed"),
    before: int | None = typer.Option(
        None, "--before", min=1, max=MAX_ID, help="older than this delivery (the next page)"
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=service.MAX_PAGE, help="how many"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The delivery log, newest first: event, status, attempts, next attempt, the
    receiver's answer or the error."""
    with reported():
        rows = service.delivery_log(
            state(ctx).database(),
            project,
            webhook_id=webhook_id,
            status=None if status is None else status.value,
            before=before,
            limit=limit,
        )
    if as_json:
        _echo([_delivery_dict(d) for d in rows])
        return
    if not rows:
        console.print(f"no deliveries in {escape(project)}")
        return
    table = Table(title=f"{escape(project)}: webhook deliveries")
    for name in ("id", "webhook", "event", "status", "attempts", "next attempt", "answer",
                 "made"):  # fmt: skip
        table.add_column(name, overflow="fold")
    for d in rows:
        answer = d.error or (str(d.response_status) if d.response_status else "-")
        table.add_row(
            str(d.id),
            str(d.webhook_id),
            d.event,
            Text(d.status, style=STYLES[d.status]),
            f"{d.attempts}/{rules.MAX_ATTEMPTS}",
            _when(d.next_attempt_at),
            Text(answer),
            _when(d.created_at),
        )
    console.print(table)
    if len(rows) == limit:
        console.print(f"older: --before {rows[-1].id}", highlight=False)


@app.command("redeliver")
def redeliver(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    delivery_id: int = typer.Argument(..., min=1, max=MAX_ID, help="the delivery's id"),
) -> None:
    """Send a failed (or delivered) delivery again, from the start of the retry schedule;
    labelworks serve or labelworks worker sends it."""
    with reported():
        again = service.redeliver(state(ctx).database(), project, delivery_id)
    console.print(
        f"delivery {again.id} ({again.event}) queued again for {escape(again.url)}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("test")
def test(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    webhook_id: int = typer.Argument(..., min=1, max=MAX_ID, help="the webhook's id"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Send a ping to the webhook now, from here, and say how the receiver answered
    (a failed ping is retried later like any delivery). Exits 1 if it was not delivered."""
    settings = state(ctx).settings
    with reported():
        db = state(ctx).database()
        ping = service.ping_webhook(db, project, webhook_id)
        with httpx.Client(timeout=settings.webhook_timeout, follow_redirects=False) as client:
            attempts = service.deliver_due(db, now=utcnow(), client=client, only=[ping.id])
        if not attempts:
            raise InvalidInput(
                f"ping {ping.id} was sent by another dispatcher meanwhile: see "
                f"labelworks webhook deliveries {project} --id {webhook_id}",
                location=Location(field="webhook_id"),
            )
    (attempt,) = attempts
    if as_json:
        _echo({"delivery_id": ping.id, "status": attempt.status,
               "response_status": attempt.response_status, "error": attempt.error})  # fmt: skip
    elif attempt.status == "delivered":
        console.print(
            f"ping {ping.id} delivered: {escape(ping.url)} answered {attempt.response_status}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"ping {ping.id} not delivered: {escape(attempt.error or '')}; retried at "
            f"{_when(attempt.next_attempt_at)} UTC",
            highlight=False,
            soft_wrap=True,
        )
    if attempt.status != "delivered":
        raise typer.Exit(1)
