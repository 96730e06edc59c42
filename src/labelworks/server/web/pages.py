"""The pages: login, settings, project list, item, labeling (a project's tabs: ``project``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from labelworks.domain.access import Action, Actor, allowed
from labelworks.domain.errors import InvalidInput, LabelworksError, PermissionDenied
from labelworks.domain.media import media_refs
from labelworks.server.deps import DB, CurrentActor, optional_actor
from labelworks.server.errors import status_for
from labelworks.server.params import RowId
from labelworks.server.security import CSRF_FIELD, SESSION_KEY, csrf_matches, csrf_token
from labelworks.server.web.content import content_of, rows_of
from labelworks.server.web.markdown import render_markdown
from labelworks.server.web.marks import mark_layers
from labelworks.server.web.overlays import box_overlays
from labelworks.services import agreement, auth, catalog
from labelworks.services import gold as gold_service
from labelworks.services import projects as project_service
from labelworks.services.activity import kept_activity
from labelworks.services.adjudication import Case
from labelworks.services.progress import progress_for
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
# Dashboards may show item and annotation totals this many seconds old.
DASHBOARD_MAX_AGE = 2.0


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found


def page(
    request: Request, name: str, actor: Actor | None, status: int = 200, **context: Any
) -> HTMLResponse:
    return templates(request).TemplateResponse(
        request,
        name,
        {"user": actor, "csrf_token": csrf_token(request), **context},
        status_code=status,
    )


def flash(request: Request, text: str, *, ok: bool = True) -> None:
    """A notice for the next page this browser opens (the one a form redirects to)."""
    request.session["flash"] = [text, ok]


def take_flash(request: Request) -> tuple[str, bool] | None:
    """The notice a form left for this page, once."""
    found = request.session.pop("flash", None)
    if isinstance(found, list) and len(found) == 2:
        return str(found[0]), bool(found[1])
    return None


def check_form_csrf(request: Request, given: str) -> None:
    if not csrf_matches(request, given):
        raise PermissionDenied("the form expired; reload the page and try again")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", None, next=_safe_next(next), error=None)


def _safe_next(target: str) -> str:
    # Only same-site paths: an open redirect after login is a phishing aid.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: DB,
    email: str = Form(...),
    password: str = Form(...),
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
    next: str = Form("/"),
) -> Response:
    target = _safe_next(next)
    try:
        check_form_csrf(request, csrf_token_field)
        done = auth.log_in(
            db, email, password, client=_client(request), rules=request.app.state.login_rules
        )
    except LabelworksError as exc:
        # The API's statuses: 401 for wrong credentials, 403 for a stale form, 429 when
        # rate limited; the page comes back with the message either way.
        return page(
            request, "login.html", None, status=status_for(exc), next=target, error=str(exc)
        )
    _start_session(request, done.session)
    return RedirectResponse(target, status_code=303)


def _start_session(request: Request, session: str, *, keep_csrf: bool = False) -> None:
    # A fresh cookie on login (no fixation); a password change keeps the CSRF token, so
    # the user's other open tabs of this browser still post.
    csrf = request.session.get("csrf") if keep_csrf else None
    request.session.clear()
    request.session[SESSION_KEY] = session
    if isinstance(csrf, str):
        request.session["csrf"] = csrf
    csrf_token(request)


@router.post("/logout")
def logout(
    request: Request, db: DB, csrf_token_field: str = Form("", alias=CSRF_FIELD)
) -> Response:
    check_form_csrf(request, csrf_token_field)
    session = request.session.get(SESSION_KEY)
    if isinstance(session, str):
        auth.end_session(db, session)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _settings(
    request: Request,
    db: Database,
    actor: Actor,
    *,
    message: str | None = None,
    token: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "settings.html",
        actor,
        status=status,
        message=message,
        token=token,
        tokens=auth.tokens_of(db, actor),
    )


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, db: DB, actor: CurrentActor) -> HTMLResponse:
    return _settings(request, db, actor)


@router.post("/settings/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    db: DB,
    actor: CurrentActor,
    current: str = Form(...),
    new: str = Form(...),
    repeat: str = Form(...),
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
) -> HTMLResponse:
    check_form_csrf(request, csrf_token_field)
    try:
        if new != repeat:
            raise InvalidInput("the two new passwords differ")
        session = auth.change_password(db, actor, current, new, rules=request.app.state.login_rules)
    except InvalidInput as exc:
        return _settings(request, db, actor, status=400, message=str(exc))
    _start_session(request, session, keep_csrf=True)
    message = "Password changed. Every other session of yours has been logged out."
    return _settings(request, db, actor, message=message)


@router.post("/settings/tokens", response_class=HTMLResponse)
def new_token(
    request: Request,
    db: DB,
    actor: CurrentActor,
    label: str = Form(""),
    csrf_token_field: str = Form("", alias=CSRF_FIELD),
) -> HTMLResponse:
    check_form_csrf(request, csrf_token_field)
    token = auth.create_token(db, actor, label)
    return _settings(request, db, actor, token=token)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, db: DB, archived: bool = False) -> Response:
    """The projects in use (or with ``archived``, the archived ones)."""
    actor = optional_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    found = project_service.list_projects(db, actor=actor, archived=archived)
    rows = [_project_row(db, actor, p.name) for p in found]
    return page(
        request,
        "index.html",
        actor,
        projects=rows,
        archived=archived,
        notice=take_flash(request),
    )


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """A line of the project list: the project as the caller sees it, and, with the review
    right, its last 7 days and the first field's alpha when they are at hand (``None``:
    being counted, or nothing to show; the list never waits for them)."""

    overview: project_service.ProjectOverview
    last_week: int | None = None
    alpha: float | None = None
    alpha_field: str | None = None
    may_measure: bool = False


def _project_row(db: Database, actor: Actor, name: str) -> ProjectRow:
    overview = project_service.project_overview(db, name, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:
        return ProjectRow(overview)
    found = kept_activity(db, name, annotations=overview.status.annotations, actor=actor)
    may_measure = True
    try:
        report = agreement.kept_agreement(db, name, actor=actor)
    except PermissionDenied:  # not allowed to read agreement
        report, may_measure = None, False
    # the first categorical field measured (spans, boxes and segments have F1, not alpha)
    first = next((f for f in report.fields if f.items and f.level), None) if report else None
    alpha = None if first is None else first.coefficients["krippendorff_alpha"].value
    return ProjectRow(
        overview,
        None if found is None else found.last_week,
        alpha,
        None if first is None else first.field,
        may_measure,
    )


@router.get("/projects/{project}/items/{item_id}", response_class=HTMLResponse)
def item_page(
    request: Request, project: str, item_id: RowId, db: DB, actor: CurrentActor
) -> HTMLResponse:
    return item_view(request, db, actor, project, item_id, notice=take_flash(request))


@dataclass(frozen=True, slots=True)
class GoldCard:
    """The item page's gold card, for those who may read expert answers: the item's
    answer (``None``: not gold), or the form's rejected input and why."""

    answer: gold_service.GoldAnswer | None
    error: str | None = None
    draft: tuple[str, str] | None = None  # (value JSON, explanation) as typed


def item_view(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    item_id: int,
    *,
    status: int = 200,
    notice: tuple[str, bool] | None = None,
    gold_error: str | None = None,
    draft: tuple[str, str] | None = None,
) -> HTMLResponse:
    """The item page; with ``gold_error``, its gold form shown again with what was typed."""
    detail = catalog.item_detail(db, project, item_id, actor=actor)
    try:  # the service keeps expert answers from reviewers, annotators and vendors' staff
        first = gold_service.gold_answers(db, project, actor=actor, after=item_id - 1, limit=1)
        answer = first[0] if first and first[0].item_id == item_id else None
        gold: GoldCard | None = GoldCard(answer, gold_error, draft)
    except PermissionDenied:
        gold = None
        notice = (gold_error, False) if gold_error else notice
    spec = project_service.get_project(db, project, actor=actor).spec
    case = Case(
        item_id=detail.id,
        external_id=detail.external_id,
        payload=detail.payload,
        proposal=_most_given(detail.annotations),
        confidence=0.0,
        annotations=[(a.annotator, a.value) for a in detail.annotations],
        disagreements={},
    )
    refs = media_refs(
        spec.fields, detail.payload, allow_remote=spec.allow_remote_media, item_id=detail.id
    )
    fields = list(spec.fields)
    layers = mark_layers(fields, case)
    content = content_of(project, case.payload, refs, box_overlays(fields, case), layers)
    rows = rows_of(list(spec.fields), case)
    context = {
        "project_name": project,
        "item": detail,
        "gold": gold,
        "notice": notice,
        "content": content,
        "drawn": any(s.overlay is not None for s in content),
        "rows": rows,
        "tab": "items",
    }
    return page(request, "item.html", actor, status=status, **context)


def _most_given(annotations: list[Any]) -> dict[str, Any]:
    """Per field, the answer given most often (the first given on a tie): what the side by
    side table marks the others against."""
    out: dict[str, Any] = {}
    for name in dict.fromkeys(k for a in annotations for k in a.value):
        given = [a.value[name] for a in annotations if name in a.value]
        texts = [json.dumps(v, sort_keys=True) for v in given]
        out[name] = given[max(range(len(given)), key=lambda k: (texts.count(texts[k]), -k))]
    return out


@router.get("/projects/{project}/label", response_class=HTMLResponse)
def label_page(
    request: Request, project: str, db: DB, actor: CurrentActor, work: bool = False
) -> HTMLResponse:
    """The labeling page. Those who manage the project get a preview unless they ask to
    ``work``: items as annotators see them, nothing leased, so looking is not working."""
    view = project_service.get_project(db, project, actor=actor)
    progress = progress_for(db, project, actor)
    guidelines = view.guidelines
    manages = allowed(actor, Action.MANAGE, member=True)
    preview_api = f"/api/v1/projects/{quote(view.row.name)}/preview"
    config = {
        "project": view.row.name,
        "fields": [f.model_dump(mode="json", by_alias=True) for f in view.spec.fields],
        "guideline_version": view.row.guideline_version,
        "api": {
            "next": f"/api/v1/projects/{quote(view.row.name)}/next",
            "submit": "/api/v1/assignments/{id}/submit",
            "skip": "/api/v1/assignments/{id}/skip",
            "acknowledge": (
                f"/api/v1/projects/{quote(view.row.name)}/guidelines/{{version}}/acknowledge"
            ),
        },
        "idle_seconds": 60,
        "progress": {"done_today": progress.done_today, "remaining": progress.remaining},
        "preview": {"next": preview_api, "check": f"{preview_api}/check"}
        if manages and not work
        else None,
    }
    return page(
        request,
        "label.html",
        actor,
        project=view.row,
        preview=manages and not work,
        manages=manages,
        config=config,
        guidelines_html=render_markdown(guidelines.content) if guidelines else "",
        guideline_version=view.row.guideline_version,
    )
