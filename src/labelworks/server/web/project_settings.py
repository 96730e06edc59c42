"""A project's Settings tab: the spec, edited in the browser by those who manage the
project (checked as it is typed, previewed, reviewed as a diff with its unsafe changes,
applied as ``labelworks project apply`` would), read-only for reviewers; and the way to its
history (``spec_history``)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor
from labelworks.domain.errors import LabelworksError, UnsafeSpecChange
from labelworks.domain.spec_diff import diff_lines
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.errors import status_for
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, flash, page, take_flash
from labelworks.server.web.spec_editor import (
    SOURCE,
    SPEC_FORM,
    SpecForm,
    check_fragment,
    check_text,
    read_form,
)
from labelworks.services import projects as project_service
from labelworks.services import spec_history
from labelworks.services.projects import ApplyResult
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)


def _settings(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    form: SpecForm | None = None,
    review: spec_history.SpecCheck | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The tab; with ``form``, the editor holds what was posted (else the current spec);
    with ``review``, what applying it would change, and the form that applies it."""
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:  # annotators go straight to work
        return RedirectResponse(f"/projects/{quote(project)}/label", status_code=303)
    editor = spec_history.spec_editor(db, project, actor=actor)
    form = form or SpecForm(spec=editor.yaml)
    return page(
        request,
        "project_settings.html",
        actor,
        status=status,
        overview=overview,
        editor=editor,
        form=form,
        check=check_text(form, project) if editor.may_apply else None,
        review=review,
        diff=diff_lines(review.diff) if review else [],
        error=error,
        notice=take_flash(request),
        versions=spec_history.guideline_versions_of(db, project, actor=actor),
        tab="settings",
    )


@router.get("/projects/{project}/settings", response_class=HTMLResponse)
def settings_tab(request: Request, project: str, db: DB, actor: CurrentActor) -> Response:
    return _settings(request, db, actor, project)


@router.post(
    "/projects/{project}/settings/check", response_class=HTMLResponse, openapi_extra=SPEC_FORM
)
def check(
    request: Request, project: str, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> Response:
    """The editor's check as it is typed: the problems, or the labeling preview."""
    return check_fragment(request, actor, read_form(request, raw), project)


def _reviewed(db: Database, actor: Actor, project: str, form: SpecForm) -> spec_history.SpecCheck:
    spec = project_service.spec_for_project(
        project_service.spec_from_text(form.spec, source=SOURCE), project, source=SOURCE
    )
    return spec_history.check_spec(db, spec, guidelines=spec.guidelines, actor=actor)


@router.post(
    "/projects/{project}/settings/review", response_class=HTMLResponse, openapi_extra=SPEC_FORM
)
def review(
    request: Request, project: str, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> Response:
    """What applying the editor's spec would change: the diff of the effective spec and
    the unsafe changes, with the form that applies it."""
    form = read_form(request, raw)
    try:
        found = _reviewed(db, actor, project, form)
    except LabelworksError as exc:
        return _settings(
            request, db, actor, project, form=form, error=str(exc), status=status_for(exc)
        )
    return _settings(request, db, actor, project, form=form, review=found)


@router.post("/projects/{project}/settings/apply", openapi_extra=SPEC_FORM)
def apply(
    request: Request, project: str, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> Response:
    """Apply the reviewed spec as ``labelworks project apply [--force]`` would: unsafe
    changes are refused (the review again, with the CLI's message) unless forced."""
    form = read_form(request, raw)
    try:
        spec = project_service.spec_for_project(
            project_service.spec_from_text(form.spec, source=SOURCE), project, source=SOURCE
        )
        done = project_service.apply_spec(
            db, spec, guidelines=spec.guidelines, force=form.force, actor=actor
        )
    except UnsafeSpecChange as exc:
        found = _reviewed(db, actor, project, form)
        return _settings(
            request, db, actor, project, form=form, review=found, error=str(exc), status=409
        )
    except LabelworksError as exc:
        return _settings(
            request, db, actor, project, form=form, error=str(exc), status=status_for(exc)
        )
    flash(request, applied(done))
    return RedirectResponse(f"/projects/{quote(project)}/settings", status_code=303)


def applied(done: ApplyResult) -> str:
    """What an apply did, in one line (the CLI's words)."""
    if done.action == "unchanged":
        return f"Nothing to apply: the spec is revision {done.spec_revision} already."
    guidelines = (
        f"; guidelines v{done.guideline_version} (a new version)" if done.guidelines_changed else ""
    )
    forced = f" Forced: {'; '.join(done.forced_changes)}." if done.forced_changes else ""
    return f"Applied: spec revision {done.spec_revision}{guidelines}.{forced}"
