"""The Vendors pages: every vendor's card (volume, gold accuracy with its interval, cost per
accepted label, SLA status) with the weekly volume stacked by vendor, and one vendor's
page (scorecard, weekly charts, breaches, terms and the admins' form to change them, the
period's usage statement with its CSV, and the comparison with another vendor on a
project's gold). The browser face of ``services.vendors``, ``vendor_usage``,
``vendor_statements`` and ``vendor_comparison``; vendor walls as there.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, LabelworksError, Location
from labelworks.domain.fields import FIELD_KINDS
from labelworks.domain.period import week_of
from labelworks.domain.vendor_terms import INTERNAL, Period, period_of
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import TextKey
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web import vendor_charts
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import projects as project_service
from labelworks.services import vendors
from labelworks.services.vendor_comparison import Comparison, compare_vendors
from labelworks.services.vendor_statements import Statement, statement_csv, usage_statement
from labelworks.services.vendor_usage import Scorecard, ready_scorecard, ready_scorecards
from labelworks.storage.engine import Database, utcnow

router = APIRouter(include_in_schema=False)
Csrf = Form("", alias=CSRF_FIELD)
PeriodText = Query(None, max_length=40)
SHOWN_LINES = 100
SLA_FIELDS = ("lease_to_submit_hours", "import_to_final_hours", "quality_floor", "weekly_volume")


def periods(today: date) -> list[tuple[str, str]]:
    """The periods offered in the picker: the last six months and six ISO weeks."""
    found: list[tuple[str, str]] = []
    month = date(today.year, today.month, 1)
    for _ in range(6):
        found.append((f"{month:%Y-%m}", f"{month:%B %Y}"))
        month = (month - timedelta(days=1)).replace(day=1)
    for k in range(6):
        week = week_of(today - timedelta(weeks=k))
        found.append((week, f"week {week[6:]} of {week[:4]}"))
    return found


def _period(text: str | None) -> tuple[Period | None, str | None]:
    try:
        return period_of(text), None
    except InvalidInput as exc:
        return None, str(exc)


@router.get("/vendors", response_class=HTMLResponse)
def vendors_page(
    request: Request, db: DB, actor: CurrentActor, period: str | None = PeriodText
) -> HTMLResponse:
    chosen, error = _period(period)
    found = ready_scorecards(db, period=chosen, actor=actor) if chosen is not None else None
    chart = vendor_charts.stacked_volume(found) if found is not None else None
    return page(
        request,
        "vendors.html",
        actor,
        status=200 if error is None else 422,
        found=found,
        weekly=chart,
        totals=found.totals if found is not None else [],
        error=error,
        asked=period or "",
        periods=periods(utcnow().date()),
        slug=_slug,
    )


def _slug(name: str) -> str:
    return quote(name, safe="")


def _vendor_page(
    request: Request,
    db: Database,
    actor: Actor,
    name: str,
    *,
    period: str | None,
    other: str | None = None,
    project: str | None = None,
    form_error: str | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    chosen, error = _period(period)
    card = ready_scorecard(db, name, period=chosen or period_of(None), actor=actor)
    if card is None:
        return page(
            request, "vendor.html", actor, card=None, vendor=name, slug=_slug(name),
            asked=period or "", periods=periods(utcnow().date()), error=error,
        )  # fmt: skip
    statement: Statement | None = None
    if chosen is not None and chosen.start is not None and not card.in_house:
        statement = usage_statement(db, name, period=chosen, actor=actor)
    comparison: Comparison | None = None
    compare_error = None
    if other and project:
        try:
            comparison = compare_vendors(db, name, other, project=project, actor=actor)
        except LabelworksError as exc:
            compare_error = str(exc)
    choices = [v.vendor for v in vendors.list_vendors(db, actor=actor)]
    if actor.vendor is None and INTERNAL not in choices:
        choices.append(INTERNAL)
    charts = {
        "volume": vendor_charts.volume(card),
        "quality": vendor_charts.quality(card),
        "lease": vendor_charts.turnaround(card, "lease"),
        "final": vendor_charts.turnaround(card, "final"),
    }
    status = 422 if error or form_error else 200
    return page(
        request,
        "vendor.html",
        actor,
        status=status,
        card=card,
        vendor=name,
        slug=_slug(name),
        charts=charts,
        statement=statement,
        lines=statement.lines[:SHOWN_LINES] if statement else [],
        comparison=comparison,
        compare_error=compare_error,
        others=[v for v in choices if v != card.vendor],
        projects=[p.name for p in project_service.list_projects(db, actor=actor)],
        other=other or "",
        project=project or "",
        error=error,
        asked=period or "",
        periods=periods(utcnow().date()),
        kinds=FIELD_KINDS,
        form_error=form_error,
        typed=typed or _typed(card),
        notice=take_flash(request),
    )


def _typed(card: Scorecard) -> dict[str, str]:
    """The terms form's fields as the current terms fill them."""
    t = card.terms
    if t is None:
        return {}
    found = {f"rate_{k}": f"{v:g}" for k, v in t.per_annotation.items()}
    found.update(currency=t.currency, contact=t.contact, percentile=f"{t.sla.percentile:g}")
    if t.per_hour is not None:
        found["per_hour"] = f"{t.per_hour:g}"
    for key in SLA_FIELDS:
        value = getattr(t.sla, key)
        if value is not None:
            found[key] = f"{value:g}"
    return found


@router.get("/vendors/{name}", response_class=HTMLResponse)
def vendor_page(
    request: Request,
    name: TextKey,
    db: DB,
    actor: CurrentActor,
    period: str | None = PeriodText,
    compare: str | None = Query(None, max_length=200),
    project: str | None = Query(None, max_length=64),
) -> HTMLResponse:
    return _vendor_page(request, db, actor, name, period=period, other=compare, project=project)


def _number(form: dict[str, str], key: str, *, whole: bool = False) -> float | int | None:
    text = form.get(key, "").strip()
    if not text:
        return None
    try:
        return int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise InvalidInput(
            f"{key} must be {kind}, not '{text}'", location=Location(field=key)
        ) from None


def terms_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The terms the admins' form asks for (empty fields: not given)."""
    rates = {k: _number(form, f"rate_{k}") for k in FIELD_KINDS}
    sla: dict[str, Any] = {
        key: _number(form, key, whole=key == "weekly_volume") for key in SLA_FIELDS
    }
    percentile = _number(form, "percentile")
    if percentile is not None:
        sla["percentile"] = percentile
    return {
        "currency": form.get("currency", "").strip(),
        "per_annotation": {k: v for k, v in rates.items() if v is not None},
        "per_hour": _number(form, "per_hour"),
        "sla": sla,
        "contact": form.get("contact", ""),
    }


def _field(default: str = "") -> Any:
    return Form(default, max_length=1000)


@router.post("/vendors/{name}/terms", response_class=HTMLResponse)
def set_terms(
    request: Request,
    name: TextKey,
    db: DB,
    actor: CurrentActor,
    currency: str = _field(),
    per_hour: str = _field(),
    percentile: str = _field(),
    lease_to_submit_hours: str = _field(),
    import_to_final_hours: str = _field(),
    quality_floor: str = _field(),
    weekly_volume: str = _field(),
    contact: str = _field(),
    rate_choice: str = _field(),
    rate_multi_choice: str = _field(),
    rate_spans: str = _field(),
    rate_boxes: str = _field(),
    rate_segments: str = _field(),
    rate_pairwise: str = _field(),
    rate_rating: str = _field(),
    rate_text: str = _field(),
    csrf: str = Csrf,
) -> Response:
    """The admins' terms form: saved whole, or the page again with what was wrong."""
    check_form_csrf(request, csrf)
    form = {k: v for k, v in locals().items() if isinstance(v, str) and k not in ("name", "csrf")}
    try:
        if any("\x00" in v for v in form.values()):
            raise InvalidInput("a field holds a NUL character")
        vendors.set_terms(db, name, terms_from_form(form), actor=actor)
    except InvalidInput as exc:
        return _vendor_page(request, db, actor, name, period=None, form_error=str(exc), typed=form)
    flash(request, f"{name}'s terms are saved.")
    return RedirectResponse(f"/vendors/{_slug(name)}", status_code=303)


@router.get("/vendors/{name}/statement.csv")
def statement_download(
    name: TextKey, db: DB, actor: CurrentActor, period: str = Query(..., max_length=40)
) -> Response:
    found = usage_statement(db, name, period=period_of(period), actor=actor)
    file = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{found.vendor}-{found.period}") + ".csv"
    return Response(
        statement_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file}"'},
    )
