"""A project's Webhooks page (under its Settings tab): how deliveries went (headline
figures and deliveries per day by outcome, with its numbers), the webhooks with their
actions (ping, pause or resume, rotate the secret, remove), the form that adds one (its
secret shown once, on the page that answers the form) and the delivery log, newest first,
with a Redeliver button. The browser face of ``services.webhooks``; managers and admins
outside any vendor."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain import webhooks as rules
from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, LabelworksError, Location
from labelworks.schemas.webhooks import DeliveryStatus
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import MAX_ROW_ID, RowId
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.charts import chart_base
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import webhooks
from labelworks.services.webhooks import DeliveryDay
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
PAGE = "/projects/{project}/settings/webhooks"
SHOWN = 50  # deliveries per page of the log
DAYS = 14
ACTIONS = ("ping", "pause", "resume", "rotate", "remove")
# The outcome colours of the chart, as the page's pills show them.
COLOURS = {"delivered": "#2f9e44", "pending": "#e0a100", "failed": "#c92a2a"}
Form = dict[str, list[str]]


def _form(raw: bytes) -> Form:
    form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    for key, values in form.items():
        if any("\x00" in v for v in values):
            raise InvalidInput(
                f"{key} must not contain a NUL character", location=Location(field=key)
            )
    return form


def _first(form: Form, key: str) -> str:
    return (form.get(key) or [""])[0]


def schedule(delays: tuple[float, ...]) -> str:
    """The retry waits in words: "10 s, 1 min, …, 6 h"."""

    def said(seconds: float) -> str:
        for size, unit in ((3600, "h"), (60, "min")):
            if seconds >= size:
                return f"{seconds / size:g} {unit}"
        return f"{seconds:g} s"

    return ", ".join(said(s) for s in delays)


def about(event: str, data: dict[str, Any]) -> str:
    """A delivery's event data in a few words, for the log (the data itself is what the
    receiver got; the API and CLI show it whole)."""
    d = data
    if event == rules.ITEM_FINALISED:
        name = f" ({d['external_id']})" if d.get("external_id") else ""
        return f"item {d.get('item_id')}{name}: {d.get('status')} by {d.get('method')}"
    if event in (rules.LOT_ACCEPTED, rules.LOT_REJECTED):
        return f"lot '{d.get('name')}': {d.get('defects')} defective of {d.get('sample_size')}"
    if event == rules.ANNOTATOR_PAUSED:
        how = "automatically" if d.get("automatic") else "by hand"
        return f"{d.get('annotator')} paused {how}"
    if event == rules.SLA_BREACHED:
        return f"{d.get('vendor')} missed {d.get('measure')} in {d.get('period')}"
    if event == rules.FORECAST_SLIPPED:
        return f"forecast {d.get('forecast')} after the deadline {d.get('deadline')}"
    return "a test from this page, the CLI or the API"


def deliveries_chart(days: list[DeliveryDay]) -> dict[str, Any]:
    """Deliveries made per day, stacked by where they stand now."""
    rows = [
        {"day": d.day, "status": status, "deliveries": getattr(d, status)}
        for d in days
        for status in COLOURS
    ]
    return {
        **chart_base("webhook deliveries per day", 150),
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "day",
                "type": "ordinal",
                "timeUnit": "yearmonthdate",
                "title": None,
                "axis": {"format": "%d %b", "labelAngle": 0},
            },
            "y": {
                "field": "deliveries",
                "type": "quantitative",
                "stack": "zero",
                "title": "deliveries",
                "axis": {"format": "d", "tickMinStep": 1},
            },
            "color": {
                "field": "status",
                "type": "nominal",
                "title": None,
                "scale": {"domain": list(COLOURS), "range": list(COLOURS.values())},
                "legend": {"orient": "top"},
            },
            "tooltip": [
                {"field": "day", "type": "temporal", "format": "%Y-%m-%d"},
                {"field": "status", "type": "nominal"},
                {"field": "deliveries", "type": "quantitative"},
            ],
        },
    }


def _page(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    webhook: int | None = None,
    status: str | None = None,
    before: int | None = None,
    secret: tuple[int, str] | None = None,
    error: str | None = None,
    form: Form | None = None,
    http_status: int = 200,
) -> HTMLResponse:
    hooks = webhooks.project_webhooks(db, project, actor=actor)
    log = webhooks.delivery_log(
        db, project, webhook_id=webhook, status=status, before=before, limit=SHOWN, actor=actor
    )
    days = webhooks.delivery_days(db, project, days=DAYS, actor=actor)
    filters = {k: v for k, v in (("webhook", webhook), ("status", status)) if v is not None}
    older = {**filters, "before": log[-1].id} if len(log) == SHOWN else None
    return page(
        request,
        "webhooks.html",
        actor,
        status=http_status,
        project=project,
        hooks=hooks,
        log=log,
        days=days,
        totals={s: sum(getattr(d, s) for d in days) for s in COLOURS},
        waiting=sum(h.pending for h in hooks),
        chart_spec=deliveries_chart(days),
        chart_rows=[(d.day, d.delivered, d.pending, d.failed) for d in days],
        events=rules.EVENTS,
        schedule=schedule(rules.RETRY_DELAYS),
        max_attempts=rules.MAX_ATTEMPTS,
        about=about,
        filters=filters,
        older=None if older is None else urlencode(older),
        secret=secret,
        notice=take_flash(request),
        error=error,
        form={"url": _first(form or {}, "url"), "events": (form or {}).get("events", [])},
        form_open=bool(form) or not hooks,
    )


@router.get(PAGE, response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    webhook: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    status: DeliveryStatus | None = Query(None),
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID),
) -> HTMLResponse:
    return _page(request, db, actor, project, webhook=webhook, status=status, before=before)


def _back(project: str) -> RedirectResponse:
    return RedirectResponse(PAGE.format(project=quote(project, safe="")), status_code=303)


@router.post(PAGE, response_class=HTMLResponse)
def add_webhook(
    request: Request, project: str, db: DB, actor: CurrentActor, raw: RawBody
) -> Response:
    """Add a webhook from the form (``url``, ``events``): the page again with its secret
    shown this once, or with the error and the form as sent."""
    form = _form(raw)
    check_form_csrf(request, _first(form, CSRF_FIELD))
    try:
        made = webhooks.create_webhook(
            db, project, url=_first(form, "url"), events=form.get("events", []), actor=actor
        )
    except LabelworksError as exc:
        return _page(
            request, db, actor, project, error=str(exc).rstrip("."), form=form,
            http_status=status_for(exc),
        )  # fmt: skip
    return _page(request, db, actor, project, secret=(made.webhook.id, made.secret))


@router.post(PAGE + "/{webhook_id}", response_class=HTMLResponse)
def act_on_webhook(
    request: Request, project: str, webhook_id: RowId, db: DB, actor: CurrentActor, raw: RawBody
) -> Response:
    """One of a webhook's buttons (``action``: ping, pause, resume, rotate, remove); back to
    the page with what was done, or, for rotate, the page with the new secret."""
    form = _form(raw)
    check_form_csrf(request, _first(form, CSRF_FIELD))
    action = _first(form, "action")
    try:
        if action not in ACTIONS:
            raise InvalidInput(
                f"action must be one of {', '.join(ACTIONS)}", location=Location(field="action")
            )
        if action == "ping":
            sent = webhooks.ping_webhook(db, project, webhook_id, actor=actor)
            done = (
                f"Ping queued to webhook {webhook_id} (delivery {sent.id}); "
                "it goes out within seconds."
            )
        elif action == "remove":
            webhooks.remove_webhook(db, project, webhook_id, actor=actor)
            done = f"Webhook {webhook_id} removed with its deliveries."
        elif action == "rotate":
            _, secret = webhooks.update_webhook(
                db, project, webhook_id, rotate_secret=True, actor=actor
            )
            assert secret is not None
            return _page(request, db, actor, project, secret=(webhook_id, secret))
        else:
            webhooks.update_webhook(db, project, webhook_id, active=action == "resume", actor=actor)
            done = f"Webhook {webhook_id} {'resumed' if action == 'resume' else 'paused'}."
    except LabelworksError as exc:
        flash(request, f"{str(exc).rstrip('.')}. Nothing was changed.", ok=False)
        return _back(project)
    flash(request, done)
    return _back(project)


@router.post(PAGE + "/deliveries/{delivery_id}/redeliver", response_class=HTMLResponse)
def redeliver(
    request: Request, project: str, delivery_id: RowId, db: DB, actor: CurrentActor, raw: RawBody
) -> Response:
    """Send a delivery again; back to the page with what was done."""
    check_form_csrf(request, _first(_form(raw), CSRF_FIELD))
    try:
        webhooks.redeliver(db, project, delivery_id, actor=actor)
    except LabelworksError as exc:
        flash(request, f"{str(exc).rstrip('.')}. Nothing was changed.", ok=False)
        return _back(project)
    flash(request, f"Delivery {delivery_id} queued again; it goes out within seconds.")
    return _back(project)
