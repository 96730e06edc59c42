"""The Lots pages: a project's lots (status, size, plan, audit progress, a form to make
one) and one lot (its plan in words, its operating-characteristic curve, each sampled
annotation with its item and value to mark OK or Defect, and the decision with its
evidence). The browser face of ``services.lots``; the curve is SVG written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, LabelworksError, Location
from labelworks.domain.media import media_refs
from labelworks.domain.moments import stored_utc
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import RowId
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.content import Shown, content_of
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import lots, quality_view
from labelworks.services import projects as project_service
from labelworks.services.lots import LotView, SampleRow
from labelworks.stats.acceptance import SamplingPlan, operating_characteristic
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
Form = dict[str, list[str]]
# The OC plot's size and padding, in pixels.
OC_W, OC_H, OC_PAD = 360, 180, 28
MAX_NOTE = 2_000


@dataclass(frozen=True, slots=True)
class SampleCard:
    sample: SampleRow
    content: list[Shown]
    error: str | None
    note: str


def _first(form: Form, key: str, default: str = "") -> str:
    return (form.get(key) or [default])[0]


def _form(raw: bytes) -> Form:
    return parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)


def _no_nul(form: Form) -> None:
    """PostgreSQL's text cannot hold a NUL: a form carrying one is refused by name."""
    for key, values in form.items():
        if any("\x00" in v for v in values):
            raise InvalidInput(
                f"{key} must not contain a NUL character", location=Location(field=key)
            )


def oc_curve(plan: dict[str, Any], size: int) -> Markup | None:
    """P(accept) against the lot's defect rate, with the AQL and LTPD marked."""
    try:
        sp = SamplingPlan(**plan)
        top = min(1.0, max(2 * sp.ltpd, 0.05))
        rates = np.linspace(0.0, top, 61)
        accept = operating_characteristic(sp, size, rates)
    except (TypeError, ValueError):
        return None

    def x(rate: float) -> float:
        return round(OC_PAD + rate / top * (OC_W - 2 * OC_PAD), 1)

    def y(p: float) -> float:
        return round(OC_H - OC_PAD - p * (OC_H - 2 * OC_PAD), 1)

    label = (
        f"Operating characteristic: the chance a lot is accepted against its defect rate; "
        f"at the AQL {sp.aql:.1%} it is {1 - sp.producer_risk:.1%}, at the LTPD "
        f"{sp.ltpd:.1%} it is {sp.consumer_risk:.1%}"
    )
    points = " ".join(f"{x(float(r))},{y(float(p))}" for r, p in zip(rates, accept, strict=True))
    parts = [
        f'<svg class="oc" viewBox="0 0 {OC_W} {OC_H}" width="{OC_W}" height="{OC_H}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>',
        f'<line class="axis" x1="{x(0)}" y1="{y(0)}" x2="{x(top)}" y2="{y(0)}"/>',
        f'<line class="axis" x1="{x(0)}" y1="{y(0)}" x2="{x(0)}" y2="{y(1)}"/>',
        f'<text x="{x(0) - 4}" y="{y(1) + 4}" text-anchor="end">1</text>',
        f'<text x="{x(0) - 4}" y="{y(0) + 4}" text-anchor="end">0</text>',
        f'<text x="{x(top)}" y="{y(0) + 16}" text-anchor="end">{top:.0%} defective</text>',
    ]
    for name, rate in (("AQL", sp.aql), ("LTPD", sp.ltpd)):
        parts.append(
            f'<line class="mark" x1="{x(rate)}" y1="{y(0)}" x2="{x(rate)}" y2="{y(1)}"/>'
            f'<text x="{x(rate)}" y="{y(1) - 4}" text-anchor="middle">{name}</text>'
        )
    parts += [f'<polyline class="curve" points="{points}"/>', "</svg>"]
    return Markup("".join(parts))  # every text in it went through escape() or is numeric


def _list(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    notice: tuple[str, bool] | None = None,
    error: str | None = None,
    form: Form | None = None,
    status: int = 200,
) -> HTMLResponse:
    views = [lots.lot_view(db, project, r.id, actor=actor) for r in lots.project_lots(
        db, project, actor=actor
    )]  # fmt: skip
    return page(
        request,
        "lots.html",
        actor,
        status=status,
        project=project,
        views=views,
        notice=notice,
        error=error,
        form={k: v[0] for k, v in (form or {}).items() if v},
        consensus=quality_view.consensus_summary(db, project, actor=actor),
    )


@router.get("/projects/{project}/lots", response_class=HTMLResponse)
def lots_page(request: Request, project: str, db: DB, actor: CurrentActor) -> HTMLResponse:
    return _list(request, db, actor, project, notice=take_flash(request))


def _number(form: Form, key: str) -> float:
    text = _first(form, key).strip()
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(
            f"{key} must be a number, not '{text}'", location=Location(field=key)
        ) from None
    if not math.isfinite(value):
        raise InvalidInput(f"{key} must be a finite number", location=Location(field=key))
    return value


def _optional_int(form: Form, key: str) -> int | None:
    text = _first(form, key).strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 2**31 - 1:
        raise InvalidInput(
            f"{key} must be a whole number, not '{text}'", location=Location(field=key)
        )
    return int(text)


def _moment(form: Form, key: str) -> datetime | None:
    text = _first(form, key).strip()
    if not text:
        return None
    try:
        return stored_utc(text)
    except ValueError:
        raise InvalidInput(
            f"{key} must be a date, not '{text}'", location=Location(field=key)
        ) from None


@router.post("/projects/{project}/lots")
def create(request: Request, project: str, db: DB, actor: CurrentActor, raw: RawBody) -> Response:
    """Make a lot from the form: back to the list with the error and the form as sent, or
    on to the new lot."""
    form = _form(raw)
    check_form_csrf(request, _first(form, CSRF_FIELD))
    try:
        _no_nul(form)
        lot = lots.create_lot(
            db,
            project,
            name=_first(form, "name"),
            aql=_number(form, "aql") / 100,
            ltpd=_number(form, "ltpd") / 100,
            import_id=_optional_int(form, "import_id"),
            vendor=_first(form, "vendor").strip() or None,
            since=_moment(form, "since"),
            until=_moment(form, "until"),
            seed=_optional_int(form, "seed"),
            actor=actor,
        )
    except LabelworksError as exc:
        return _list(
            request, db, actor, project, error=str(exc).rstrip("."), form=form,
            status=status_for(exc),
        )  # fmt: skip
    flash(
        request,
        f"Lot '{lot.name}' made: {lot.size} annotations, sample of {lot.plan['sample_size']}.",
    )
    return RedirectResponse(f"/projects/{quote(project)}/lots/{lot.id}", status_code=303)


def _detail(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    lot_id: int,
    *,
    notice: tuple[str, bool] | None = None,
    refused: tuple[int, str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    view: LotView = lots.lot_view(db, project, lot_id, actor=actor)
    spec = project_service.get_project(db, project, actor=actor).spec
    fields = list(spec.fields)
    cards = []
    for s in view.samples:
        payload = s.payload or {}
        media = media_refs(fields, payload, allow_remote=spec.allow_remote_media, item_id=s.item_id)
        mine = refused is not None and refused[0] == s.annotation_id
        cards.append(
            SampleCard(
                sample=s,
                content=content_of(project, payload, media, {}),
                error=refused[1] if refused is not None and mine else None,
                note=refused[2] if refused is not None and mine else s.note,
            )
        )
    if refused is not None and not any(c.error for c in cards):
        notice = (f"{refused[1]}. Nothing was changed.", False)
    return page(
        request,
        "lot.html",
        actor,
        status=status,
        project=project,
        view=view,
        lot=view.lot,
        plan=view.lot.plan,
        cards=cards,
        oc=oc_curve(view.lot.plan, view.lot.size),
        notice=notice,
        max_note=MAX_NOTE,
        consensus=quality_view.consensus_summary(db, project, actor=actor),
    )


@router.get("/projects/{project}/lots/{lot_id}", response_class=HTMLResponse)
def lot_page(
    request: Request, project: str, lot_id: RowId, db: DB, actor: CurrentActor
) -> HTMLResponse:
    return _detail(request, db, actor, project, lot_id, notice=take_flash(request))


@router.post("/projects/{project}/lots/{lot_id}/samples/{annotation_id}")
def audit(
    request: Request,
    project: str,
    lot_id: RowId,
    annotation_id: RowId,
    db: DB,
    actor: CurrentActor,
    raw: RawBody,
) -> Response:
    """Mark one sample ``verdict`` ok or defect with an optional ``note``; back to the lot
    with what was done (and the decision, when it was the last), or the page with the
    error at the sample."""
    form = _form(raw)
    check_form_csrf(request, _first(form, CSRF_FIELD))
    verdict = _first(form, "verdict")
    note = _first(form, "note").strip()
    try:
        _no_nul(form)
        if verdict not in ("ok", "defect"):
            raise InvalidInput("choose OK or Defect", location=Location(field="verdict"))
        lot = lots.audit_sample(
            db, project, lot_id, annotation_id, defect=verdict == "defect", note=note, actor=actor
        )
    except LabelworksError as exc:
        refused = (annotation_id, str(exc).rstrip("."), note)
        return _detail(request, db, actor, project, lot_id, refused=refused, status=status_for(exc))
    done = f"Annotation {annotation_id}: {'defect' if verdict == 'defect' else 'OK'}."
    if lot.status != "auditing":
        done += f" The lot is {lot.status}."
    flash(request, done, ok=lot.status != "rejected")
    anchor = "" if lot.status != "auditing" else f"#sample-{annotation_id}"
    return RedirectResponse(f"/projects/{quote(project)}/lots/{lot_id}{anchor}", status_code=303)
