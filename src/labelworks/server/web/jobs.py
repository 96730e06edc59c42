"""The Jobs pages: every job the user may see (``/jobs``) and a project's (its Jobs tab),
with live progress bars, results, errors, cancelling, and a form to export in the
background. The browser face of ``labelworks.jobs``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Action
from labelworks.domain.errors import InvalidInput
from labelworks.jobs import records
from labelworks.jobs.kinds import amount, kind_of, listed
from labelworks.jobs.tasks import EXPORT_FORMATS
from labelworks.server.api.jobs import job_queue
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.params import RowId
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import access
from labelworks.services import projects as project_service
from labelworks.services.dataset_exports import available, formats_for
from labelworks.storage.engine import utcnow
from labelworks.storage.jobs import STATES, JobRow

router = APIRouter(include_in_schema=False)
PILLS = {"queued": "", "running": "warn", "succeeded": "good", "failed": "bad", "cancelled": ""}
ROW_FORMATS = {"jsonl": "JSONL rows", "csv": "CSV rows", "parquet": "Parquet rows"}


@dataclass(frozen=True, slots=True)
class JobLine:
    """A job as the page shows it."""

    job: JobRow
    title: str
    what: str
    unit: str
    took: str
    outcome: str
    download: str | None


def _took(job: JobRow) -> str:
    if job.started_at is None:
        return ""
    end = job.finished_at or utcnow()
    seconds = max(0.0, (end - job.started_at).total_seconds())
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def job_line(job: JobRow, actor: Any) -> JobLine:
    """A job with what its row on a page shows."""
    try:
        kind = kind_of(job.kind)
        title, unit = kind.title, kind.unit
        what, outcome = kind.what(job.params), kind.outcome(job.result or {})
    except InvalidInput:
        title, unit = job.kind, "items"
        what, outcome = "", listed(job.result or {})
    if job.params.get("foreground"):
        what = f"{what} · run in a terminal" if what else "run in a terminal"
    download = None
    if (
        job.state == "succeeded"
        and (job.result or {}).get("file")
        and records.may_download(job, actor)
    ):
        download = f"/api/v1/jobs/{job.id}/download"
    return JobLine(job, title, what, unit, _took(job), outcome, download)


def _list_page(
    request: Request,
    db: Any,
    settings: Any,
    actor: Any,
    *,
    project: str | None,
    state: str | None,
    kind: str | None,
) -> HTMLResponse:
    if state not in (None, "", *STATES):
        state = None
    rows = records.list_jobs(
        db,
        actor=actor,
        project=project,
        state=state or None,
        kind=kind or None,
        limit=100,
        data_dir=settings.data_dir,
    )
    lines = [job_line(r, actor) for r in rows]
    counts = {s: sum(1 for r in rows if r.state == s) for s in STATES}
    may_export = False
    formats: dict[str, Any] = {}
    if project is not None:
        view = project_service.get_project(db, project, actor=actor)  # an unseen project: 404
        may_export = actor.role.value in ("admin", "manager", "reviewer")
        # Only the dataset formats the project's fields can fill, and whose library is here.
        formats = {f.name: f for f in formats_for(view.spec) if available(f)}
    return page(
        request,
        "jobs.html",
        actor,
        project=project,
        lines=lines,
        counts=counts,
        state=state or "",
        kind=kind or "",
        states=STATES,
        pills=PILLS,
        amount=amount,
        notice=take_flash(request),
        may_export=may_export,
        row_formats=ROW_FORMATS,
        dataset_formats=formats,
        here=f"/projects/{quote(project)}/jobs" if project else "/jobs",
    )


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request,
    db: DB,
    settings: AppSettings,
    actor: CurrentActor,
    state: str | None = None,
    kind: str | None = None,
) -> HTMLResponse:
    return _list_page(request, db, settings, actor, project=None, state=state, kind=kind)


@router.get("/projects/{project}/jobs", response_class=HTMLResponse)
def project_jobs_page(
    request: Request,
    project: str,
    db: DB,
    settings: AppSettings,
    actor: CurrentActor,
    state: str | None = None,
    kind: str | None = None,
) -> HTMLResponse:
    return _list_page(request, db, settings, actor, project=project, state=state, kind=kind)


def _form(raw: bytes) -> dict[str, str]:
    parsed = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items() if v}


def _back(form: dict[str, str]) -> str:
    target = form.get("next", "/jobs")
    # Only our own pages: a form must not send the browser elsewhere.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/jobs"
    return target


@router.post("/jobs/{job_id}/cancel")
def cancel(
    request: Request,
    job_id: RowId,
    db: DB,
    settings: AppSettings,
    actor: CurrentActor,
    raw: RawBody,
) -> Response:
    form = _form(raw)
    check_form_csrf(request, form.get("csrf_token", ""))
    job = records.cancel_job(db, job_id, actor=actor, data_dir=settings.data_dir)
    said = "cancelled" if job.state == "cancelled" else "asked to stop"
    if job.state not in ("cancelled", "running"):
        said = f"had already {job.state}"
    flash(request, f"Job {job.id} {said}.")
    return RedirectResponse(_back(form), status_code=303)


@router.post("/projects/{project}/jobs/export")
def start_export(
    request: Request, project: str, db: DB, actor: CurrentActor, raw: RawBody
) -> Response:
    form = _form(raw)
    check_form_csrf(request, form.get("csrf_token", ""))
    access.require(db, actor, project, Action.REVIEW)
    here = f"/projects/{quote(project)}/jobs"
    params = {"format": form.get("format", ""), "labels": form.get("labels", "final")}
    try:
        if params["format"] not in EXPORT_FORMATS:
            raise InvalidInput(f"choose a format: {', '.join(EXPORT_FORMATS)}")
        job = records.create_job(db, "export", params, project=project, actor=actor)
    except InvalidInput as exc:
        flash(request, f"Nothing was started: {exc}", ok=False)
        return RedirectResponse(here, status_code=303)
    job_queue(request).enqueue(job.id)
    flash(request, f"Export job {job.id} started; its file appears here when it is done.")
    return RedirectResponse(here, status_code=303)
