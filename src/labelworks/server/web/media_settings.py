"""A project's Media page (under its Settings tab): what media processing found (files
probed per kind, pending, remote), every failure with its item and reason, and a button
that probes what is pending (or everything again). The browser face of
``services.media_processing`` and ``services.media_report``."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Action, allowed
from labelworks.jobs import records
from labelworks.jobs.kinds import amount
from labelworks.server.api.jobs import job_queue
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.jobs import PILLS, job_line
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services.media_processing import MAX_WORKERS
from labelworks.services.media_report import media_report

router = APIRouter(include_in_schema=False)
BASE = "/projects/{project}/settings/media"


@router.get(BASE, response_class=HTMLResponse)
def media_page(
    request: Request, project: str, db: DB, actor: CurrentActor, settings: AppSettings
) -> HTMLResponse:
    """The report for those who may review the project; the button for those who manage;
    the latest processing jobs the user may see, live while they run."""
    report = media_report(db, project, actor=actor)  # the review right
    runs = records.list_jobs(
        db, actor=actor, project=report.project, kind="media", limit=5, data_dir=settings.data_dir
    )
    return page(
        request,
        "media_settings.html",
        actor,
        project=report.project,
        report=report,
        manages=allowed(actor, Action.MANAGE, member=True),
        max_workers=MAX_WORKERS,
        runs=[job_line(r, actor) for r in runs],
        pills=PILLS,
        amount=amount,
        here=f"/projects/{quote(report.project)}/settings/media",
        notice=take_flash(request),
        tab="settings",
    )


@router.post(f"{BASE}/process")
def process(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    force: bool = Form(False),
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
) -> Response:
    """Start a job that probes what is pending (everything with ``force``), and come back to
    the page, where its progress shows."""
    check_form_csrf(request, csrf_token_field)
    job = records.create_job(db, "media", {"force": force}, project=project, actor=actor)
    job_queue(request).enqueue(job.id)
    flash(request, f"Media processing started (job {job.id}); its progress shows below.")
    return RedirectResponse(f"/projects/{quote(project)}/settings/media", status_code=303)
