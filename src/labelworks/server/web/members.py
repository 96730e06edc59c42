"""A project's Members page (under its Settings tab): its members, adding a person (an
existing one, or a new one with a password), taking them off, (de)activating them, a new
password set by their manager, and, for admins, their API tokens. The browser face of
``services.members`` and ``services.users``.

Every form posts with the session's CSRF token and answers with the page itself: what
happened, or why nothing did (with the error's status); a password or token made here is
shown on that answer once and never again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from labelworks.domain.access import Actor, Role, may_grant, may_manage_person
from labelworks.domain.errors import LabelworksError
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.errors import status_for
from labelworks.server.params import RowId
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.pages import check_form_csrf, page
from labelworks.services import members, users
from labelworks.services.passwords import check_new_password, hash_password
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
Email = Form(..., max_length=320)
BASE = "/projects/{project}/settings/members"


@dataclass(frozen=True, slots=True)
class Secret:
    """A password or token made by the form just posted, shown on its answer only."""

    what: str  # "password" or "token"
    email: str
    value: str


Done = tuple[str, Secret | None]  # what happened, and the secret it made if any


def _members_page(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    notice: tuple[str, bool] | None = None,
    secret: Secret | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows = members.project_members(db, project, actor=actor)  # managers and admins only
    manageable = {
        m.user.email
        for m in rows
        if m.user.id != actor.id and may_manage_person(actor, Role(m.user.role), m.user.vendor)
    }
    return page(
        request,
        "members.html",
        actor,
        status=status,
        project=project,
        members=rows,
        manageable=manageable,
        tokens=members.tokens_of_members(db, project, actor=actor) if actor.is_admin else None,
        roles=[r.value for r in reversed(Role) if may_grant(actor, r)],  # annotator first
        notice=notice,
        secret=secret,
        tab="settings",
    )


@dataclass(frozen=True, slots=True)
class Posted:
    """A form posted to the page, past its checks: the caller manages the project (declared
    before the form is read) and the form carries the session's CSRF token."""

    request: Request
    db: Database
    actor: Actor
    project: str

    def answer(self, work: Callable[[], Done]) -> HTMLResponse:
        """Run the form's action and answer with the page: what happened, or the error
        with its status (the services change nothing when they refuse)."""
        try:
            message, secret = work()
        except LabelworksError as exc:
            notice, status = (str(exc), False), status_for(exc)
            return _members_page(
                self.request, self.db, self.actor, self.project, notice=notice, status=status
            )
        return _members_page(
            self.request, self.db, self.actor, self.project, notice=(message, True), secret=secret
        )


def _posted(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    csrf: str = Form("", alias=CSRF_FIELD),
) -> Posted:
    check_form_csrf(request, csrf)
    return Posted(request, db, actor, project)


PostedForm = Annotated[Posted, Depends(_posted)]


@router.get(BASE, response_class=HTMLResponse)
def members_page(request: Request, project: str, db: DB, actor: CurrentActor) -> HTMLResponse:
    return _members_page(request, db, actor, project)


@router.post(f"{BASE}/add", response_class=HTMLResponse)
def add_member(posted: PostedForm, email: str = Email) -> HTMLResponse:
    def work() -> Done:
        user, _ = users.add_member(posted.db, posted.project, email, actor=posted.actor)
        return f"Added {user.email} ({user.role}) to {posted.project}.", None

    return posted.answer(work)


@router.post(f"{BASE}/create", response_class=HTMLResponse)
def create_member(
    posted: PostedForm,
    email: str = Email,
    name: str = Form("", max_length=200),
    role: str = Form("annotator", max_length=20),
    vendor: str = Form("", max_length=200),
    team: str = Form("", max_length=200),
    password: str = Form("", max_length=1000),
) -> HTMLResponse:
    def work() -> Done:
        chosen = password or members.generate_password()
        check_new_password(chosen)
        made = users.add_user(
            posted.db,
            email,
            role=role,
            name=name,
            projects=[posted.project],
            vendor=vendor or None,
            team=team or None,
            password_hash=hash_password(chosen),
            actor=posted.actor,
        )
        who = made.user.email
        message = f"Created {who} ({made.user.role}) as a member of {posted.project}."
        return message, None if password else Secret("password", who, chosen)

    return posted.answer(work)


@router.post(f"{BASE}/remove", response_class=HTMLResponse)
def remove_member(posted: PostedForm, email: str = Email) -> HTMLResponse:
    def work() -> Done:
        users.remove_member(posted.db, posted.project, email, actor=posted.actor)
        return f"Took {email} off {posted.project}; their annotations stay.", None

    return posted.answer(work)


@router.post(f"{BASE}/active", response_class=HTMLResponse)
def set_active(posted: PostedForm, email: str = Email, active: bool = Form(...)) -> HTMLResponse:
    def work() -> Done:
        user = users.set_active(posted.db, email, active, actor=posted.actor)
        if active:
            return f"{user.email} can log in again.", None
        return f"{user.email} is deactivated: every session and token of theirs has ended.", None

    return posted.answer(work)


@router.post(f"{BASE}/password", response_class=HTMLResponse)
def reset_password(
    posted: PostedForm, email: str = Email, password: str = Form("", max_length=1000)
) -> HTMLResponse:
    def work() -> Done:
        done = members.reset_password(
            posted.db, posted.project, email, password=password or None, actor=posted.actor
        )
        message = f"New password set for {done.email}; every session of theirs has ended."
        return message, Secret("password", done.email, done.password) if done.generated else None

    return posted.answer(work)


@router.post(f"{BASE}/tokens", response_class=HTMLResponse)
def issue_token(
    posted: PostedForm, email: str = Email, label: str = Form("", max_length=200)
) -> HTMLResponse:
    def work() -> Done:
        token = users.issue_token(posted.db, email, label, actor=posted.actor)  # admins only
        return f"Issued an API token for {email}.", Secret("token", email, token)

    return posted.answer(work)


@router.post(f"{BASE}/tokens/{{token_id}}/revoke", response_class=HTMLResponse)
def revoke_token(posted: PostedForm, token_id: RowId, email: str = Email) -> HTMLResponse:
    def work() -> Done:
        members.revoke_token_of(posted.db, email, token_id, actor=posted.actor)  # admins only
        return f"Revoked token {token_id} of {email}; it no longer works.", None

    return posted.answer(work)
