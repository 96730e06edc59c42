"""A project's Data page (under its Settings tab): importing a file by upload, and the
export menu. The browser face of ``services.ingestion`` and of the export route.

The upload is the file itself as the request body (``static/js/upload.js`` sends it with
progress), named by the ``file`` query parameter, whose suffix says its format. It runs the
same all-or-nothing import as the API and the CLI, behind the same checks: the caller's
right to manage the project before a byte is read, the import body limit while it streams,
and the session's CSRF token in ``X-CSRF-Token`` whatever the Content-Type. The answer is
an HTML fragment (the counts, or the error naming file, line and field) the page shows as
it is; errors raised before the route runs (401, 403, 404, 413) are the API's JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.config import Settings
from labelworks.domain.access import Action, Actor, Role, allowed
from labelworks.domain.errors import Conflict, InvalidInput, LabelworksError, PermissionDenied
from labelworks.server.api.sources import source_request
from labelworks.server.bodies import LIMIT_KEY, SpooledBody
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.errors import status_for
from labelworks.server.security import CSRF_FIELD, CSRF_HEADER, csrf_matches
from labelworks.server.web.pages import check_form_csrf, flash, page
from labelworks.services import dataset_exports as dataset_export_service
from labelworks.services import (
    exports,
    ingestion,
    label_studio,
    project_archive,
    project_removal,
    sources,
)
from labelworks.services import projects as project_service
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
BASE = "/projects/{project}/settings/data"
RESULT = "data_result.html"
LS_RESULT = "data_label_studio_result.html"
# A file's name as the browser gives it: no folders, no NUL (PostgreSQL's text has none).
FileName = Annotated[
    str,
    Query(min_length=1, max_length=255, pattern=r"^[^\x00/\\]+$", description="the file's name"),
]


def _csrf_header(request: Request) -> None:
    """A session's upload carries the page's CSRF token in ``X-CSRF-Token``: a cross-site
    form posted with a form Content-Type would otherwise pass for a page's own form,
    whose token the page checks in a field this route never reads."""
    by_token = "authorization" in request.headers
    if not by_token and not csrf_matches(request, request.headers.get(CSRF_HEADER)):
        raise PermissionDenied("missing or wrong CSRF token (send the X-CSRF-Token header)")


CsrfHeader = Annotated[None, Depends(_csrf_header)]


def _data_page(
    request: Request,
    project: str,
    db: Database,
    actor: Actor,
    settings: Settings,
    *,
    status: int = 200,
    delete_error: str | None = None,
    archive_error: str | None = None,
    **source: Any,  # the folder-or-bucket form's answer (source_import)
) -> HTMLResponse:
    items = exports.count_for_export(db, project, actor=actor)  # the review right
    view = project_service.get_project(db, project, actor=actor)
    row = view.row
    return page(
        request,
        "data.html",
        actor,
        status,
        project=project,
        items=items,
        manages=allowed(actor, Action.MANAGE, member=True),  # a member: they may review it
        is_admin=actor.role == Role.ADMIN,
        delete_error=delete_error,
        archive_error=archive_error,
        archived_at=row.archived_at,
        max_bytes=settings.max_import_bytes,
        suffixes=list(ingestion.SUFFIXES),
        tab="settings",
        dataset_formats=[
            (f, dataset_export_service.available(f))
            for f in dataset_export_service.formats_for(view.spec)
        ],
        import_roots=[str(r) for r in settings.import_root_list],
        has_boxes=any(f.kind == "boxes" for f in view.spec.fields),
        s3_endpoint=settings.s3_endpoint_url,
        **source,
    )


@router.get(BASE, response_class=HTMLResponse)
def data_page(
    request: Request, project: str, db: DB, actor: CurrentActor, settings: AppSettings
) -> HTMLResponse:
    """Export for those who may review the project; import and delete too for those who
    manage it."""
    return _data_page(request, project, db, actor, settings)


@router.post("/projects/{project}/settings/delete", response_class=HTMLResponse)
def delete(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    confirm: str = Form(""),
    force: bool = Form(False),
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
) -> Response:
    """Delete the project once its name is typed; the project list says so after. A
    refusal (annotations without force, a vendor's staff) shows on the page, nothing done."""
    check_form_csrf(request, csrf_token_field)
    try:
        if confirm.strip() != project:
            raise InvalidInput(f"type the project's name, {project}, to confirm")
        done = project_removal.delete_project(db, project, force=force, actor=actor)
    except (InvalidInput, Conflict) as exc:
        error = str(exc)
        return _data_page(request, project, db, actor, settings, status=status_for(exc),
                          delete_error=error)  # fmt: skip
    n = done.annotations
    gone = f" with its {n} annotation{'' if n == 1 else 's'}" if n else ""
    flash(request, f"Deleted project {project}{gone}.")
    return RedirectResponse("/", status_code=303)


@router.post(f"{BASE}/import", response_class=HTMLResponse, openapi_extra={LIMIT_KEY: "import"})
def upload(
    request: Request,
    project: str,
    file: FileName,
    db: DB,
    actor: CurrentActor,
    _csrf: CsrfHeader,
    _may: MayManage,
    body: SpooledBody,
    format: Literal["", "labelstudio"] = Query(
        "", description="labelstudio: a Label Studio export"
    ),
    create_annotators: bool = Query(False, description="create unknown annotators"),
) -> HTMLResponse:
    """Import the uploaded file, all rows or none; the counts or the error, as a fragment."""
    try:
        if format == "labelstudio":
            data, create = body.read(), create_annotators
            done = label_studio.import_label_studio(
                db, project, data, source=file, create_annotators=create, actor=actor
            )
            return page(request, LS_RESULT, actor, project=project, file=file, summary=done)
        summary = ingestion.import_items(
            db,
            project,
            body,
            format=ingestion.format_of_name(file),
            source=file,
            actor=actor,
            create_annotators=create_annotators,
        )
    except LabelworksError as exc:
        status = status_for(exc)
        return page(request, RESULT, actor, status, project=project, file=file, error=exc)
    return page(request, RESULT, actor, project=project, file=file, summary=summary)


@router.post(f"{BASE}/source", response_class=HTMLResponse)
def source_import(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    url: str = Form("", max_length=2048),
    glob: str = Form("", max_length=256),
    skip_unsupported: bool = Form(False),
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
) -> HTMLResponse:
    """Import from a folder under the server's import roots or an S3 prefix (the API's
    ``POST /projects/{p}/sources``); the page again, with the counts or the error."""
    check_form_csrf(request, csrf_token_field)
    answer: dict[str, Any] = {"source_url": url, "source_glob": glob}
    status = 200
    try:
        req = source_request(settings, url, glob or None, skip_unsupported)
        answer["source_summary"] = sources.import_source(
            db, project, req, data_dir=Path(settings.data_dir), actor=actor
        )
    except LabelworksError as exc:
        status, answer["source_error"] = status_for(exc), str(exc)
    return _data_page(request, project, db, actor, settings, status=status, **answer)


@router.post("/projects/{project}/settings/archive", response_class=HTMLResponse)
def archive(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    force: bool = Form(False),
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
) -> Response:
    """Archive the project and go to the project list; with open work and no force, the
    refusal shows on the page and nothing changes."""
    check_form_csrf(request, csrf_token_field)
    try:
        project_archive.archive_project(db, project, force=force, actor=actor)
    except Conflict as exc:
        return _data_page(request, project, db, actor, settings, status=409, archive_error=str(exc))
    flash(request, f"Archived project {project}: it is listed under Archived projects.")
    return RedirectResponse("/", status_code=303)


@router.post("/projects/{project}/settings/unarchive")
def unarchive(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
) -> Response:
    """Bring the project back and return to its Overview."""
    check_form_csrf(request, csrf_token_field)
    project_archive.unarchive_project(db, project, actor=actor)
    return RedirectResponse(f"/projects/{quote(project)}", status_code=303)
