"""The people page (create people, project membership, deactivation) and token revocation
on the settings page: the browser face of ``services.users`` and ``services.auth``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor, Role, may_grant, may_manage_person
from labelworks.domain.errors import LabelworksError
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import RowId
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.pages import check_form_csrf, page
from labelworks.services import auth, users
from labelworks.services import projects as project_service
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
Csrf = Form("", alias=CSRF_FIELD)


def _people_page(
    request: Request, db: Database, actor: Actor, *, message: str | None, status: int = 200
) -> HTMLResponse:
    rows = users.list_users(db, actor=actor)  # refuses reviewers and annotators
    manageable = {
        u.email
        for u, _ in rows
        if u.id != actor.id and may_manage_person(actor, Role(u.role), u.vendor)
    }
    projects = [p.name for p in project_service.list_projects(db, actor=actor)]
    roles = [r.value for r in reversed(Role) if may_grant(actor, r)]  # annotator first
    return page(
        request,
        "people.html",
        actor,
        status=status,
        people=rows,
        manageable=manageable,
        projects=projects,
        roles=roles,
        message=message,
        ok=status < 400,
    )


def _act(
    request: Request, db: Database, actor: Actor, csrf: str, work: Callable[[], str]
) -> HTMLResponse:
    """Run one form action and show the page again with what happened."""
    check_form_csrf(request, csrf)
    try:
        message = work()
    except LabelworksError as exc:
        return _people_page(request, db, actor, message=str(exc), status=status_for(exc))
    return _people_page(request, db, actor, message=message)


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, db: DB, actor: CurrentActor) -> HTMLResponse:
    return _people_page(request, db, actor, message=None)


@router.post("/people/create", response_class=HTMLResponse)
def create_person(
    request: Request,
    db: DB,
    actor: CurrentActor,
    email: str = Form(..., max_length=320),
    name: str = Form("", max_length=200),
    role: str = Form("annotator", max_length=20),
    vendor: str = Form("", max_length=200),
    project: str = Form("", max_length=64),
    csrf: str = Csrf,
) -> HTMLResponse:
    def work() -> str:
        made = users.add_user(
            db,
            email,
            role=role,
            name=name,
            vendor=vendor or None,
            projects=[project] if project else [],
            actor=actor,
        )
        return f"Created {made.user.email} ({made.user.role})."

    return _act(request, db, actor, csrf, work)


@router.post("/people/members", response_class=HTMLResponse)
def add_member(
    request: Request,
    db: DB,
    actor: CurrentActor,
    email: str = Form(..., max_length=320),
    project: str = Form(..., max_length=64),
    csrf: str = Csrf,
) -> HTMLResponse:
    def work() -> str:
        user, _ = users.add_member(db, project, email, actor=actor)
        return f"Added {user.email} to {project}."

    return _act(request, db, actor, csrf, work)


@router.post("/people/members/remove", response_class=HTMLResponse)
def remove_member(
    request: Request,
    db: DB,
    actor: CurrentActor,
    email: str = Form(..., max_length=320),
    project: str = Form(..., max_length=64),
    csrf: str = Csrf,
) -> HTMLResponse:
    def work() -> str:
        users.remove_member(db, project, email, actor=actor)
        return f"Took {email} off {project}."

    return _act(request, db, actor, csrf, work)


@router.post("/people/active", response_class=HTMLResponse)
def set_active(
    request: Request,
    db: DB,
    actor: CurrentActor,
    email: str = Form(..., max_length=320),
    active: bool = Form(...),
    csrf: str = Csrf,
) -> HTMLResponse:
    def work() -> str:
        user = users.set_active(db, email, active, actor=actor)
        if active:
            return f"{user.email} can log in again."
        return f"{user.email} is deactivated: every session and token of theirs has ended."

    return _act(request, db, actor, csrf, work)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: RowId, db: DB, actor: CurrentActor, csrf: str = Csrf
) -> Response:
    check_form_csrf(request, csrf)
    auth.revoke_token(db, actor, token_id)
    return RedirectResponse("/settings", status_code=303)
