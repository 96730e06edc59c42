"""A project's Media page (under its Settings tab): what media processing found (files
probed per kind, pending, remote), every failure with its item and reason, and a button
that probes what is pending (or everything again). The browser face of
``services.media_processing`` and ``services.media_report``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Action, allowed
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services.media_processing import MAX_WORKERS, process_media
from labelworks.services.media_report import media_report

router = APIRouter(include_in_schema=False)
BASE = "/projects/{project}/settings/media"


@router.get(BASE, response_class=HTMLResponse)
def media_page(request: Request, project: str, db: DB, actor: CurrentActor) -> HTMLResponse:
    """The report for those who may review the project; the button for those who manage."""
    report = media_report(db, project, actor=actor)  # the review right
    return page(
        request,
        "media_settings.html",
        actor,
        project=report.project,
        report=report,
        manages=allowed(actor, Action.MANAGE, member=True),
        max_workers=MAX_WORKERS,
        notice=take_flash(request),
        tab="settings",
    )


@router.post(f"{BASE}/process")
def process(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    force: bool = Form(False),
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
) -> Response:
    """Probe what is pending (everything with ``force``) and come back to the page."""
    check_form_csrf(request, csrf_token_field)
    data_dir = Path(settings.data_dir)
    run = process_media(
        db,
        project,
        media_dir=data_dir / "media",
        thumbnails_dir=data_dir / "thumbnails",
        only_missing=not force,
        actor=actor,
    )
    files = "file" if run.processed == 1 else "files"
    flash(
        request,
        f"Probed {run.processed} media {files}: {run.processed - run.failed} read, "
        f"{run.failed} failed.",
        ok=run.failed == 0,
    )
    return RedirectResponse(f"/projects/{project}/settings/media", status_code=303)
