"""People: users, project membership, deactivation, and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response

from labelworks.domain.access import Actor
from labelworks.schemas.api import (
    MemberIn,
    TokenIn,
    TokenInfoOut,
    TokenOut,
    UserCreatedOut,
    UserIn,
    UserOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import ProjectName, RowId, TextKey
from labelworks.services import auth, users
from labelworks.services.passwords import check_new_password, hash_password
from labelworks.services.users import UserRow
from labelworks.storage.engine import Database

router = APIRouter(prefix="/api/v1", tags=["people"], responses=ERRORS)


def _user_out(u: UserRow, projects: list[str]) -> UserOut:
    return UserOut(
        email=u.email,
        name=u.name,
        role=u.role,
        vendor=u.vendor,
        team=u.team,
        projects=projects,
        active=u.active,
    )


@router.get("/users", operation_id="list_users", response_model=list[UserOut])
def list_users(db: DB, actor: CurrentActor) -> list[UserOut]:
    """Admins see everyone; managers see the people of their projects, behind their wall."""
    return [_user_out(u, projects) for u, projects in users.list_users(db, actor=actor)]


@router.post(
    "/users",
    operation_id="create_user",
    response_model=UserCreatedOut,
    status_code=201,
    openapi_extra=json_body_doc(UserIn),
)
def create_user(db: DB, actor: CurrentActor, raw: RawBody) -> UserCreatedOut:
    """Create a new user (admins: any role; managers: reviewers and annotators of their
    projects and vendor). Only admins may ask for a token; an existing email is a 409 —
    add existing people to a project with ``POST /projects/{project}/members``."""
    body = parse_body(UserIn, raw)
    password_hash = None
    if body.password is not None:
        check_new_password(body.password)
        password_hash = hash_password(body.password)
    created = users.add_user(
        db,
        body.email,
        role=body.role,
        name=body.name,
        projects=body.projects,
        vendor=body.vendor,
        team=body.team,
        with_token=body.token,
        password_hash=password_hash,
        actor=actor,
    )
    return UserCreatedOut(user=_user_out(created.user, created.projects), token=created.token)


@router.post(
    "/projects/{project}/members",
    operation_id="add_member",
    response_model=UserOut,
    openapi_extra=json_body_doc(MemberIn),
)
def add_member(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> UserOut:
    """Add an existing person to a project you manage (people you may manage only)."""
    body = parse_body(MemberIn, raw)
    user, projects = users.add_member(db, project, body.email, actor=actor)
    return _user_out(user, projects)


@router.delete(
    "/projects/{project}/members/{email}",
    operation_id="remove_member",
    status_code=204,
    response_class=Response,
)
def remove_member(project: ProjectName, email: TextKey, db: DB, actor: CurrentActor) -> Response:
    """Take a person off a project you manage; their annotations stay."""
    users.remove_member(db, project, email, actor=actor)
    return Response(status_code=204)


@router.post("/users/{email}/deactivate", operation_id="deactivate_user", response_model=UserOut)
def deactivate_user(email: TextKey, db: DB, actor: CurrentActor) -> UserOut:
    """End every session and token of the person at once; they can no longer log in."""
    return _set_active(db, email, False, actor)


@router.post("/users/{email}/reactivate", operation_id="reactivate_user", response_model=UserOut)
def reactivate_user(email: TextKey, db: DB, actor: CurrentActor) -> UserOut:
    """Let a deactivated person log in again (their old sessions stay ended)."""
    return _set_active(db, email, True, actor)


def _set_active(db: Database, email: str, active: bool, actor: Actor) -> UserOut:
    u = users.set_active(db, email, active, actor=actor)
    return _user_out(u, users.projects_of(db, u.id))


@router.post(
    "/users/{email}/tokens",
    operation_id="issue_token",
    response_model=TokenOut,
    status_code=201,
    openapi_extra=json_body_doc(TokenIn),
)
def issue_token(email: TextKey, db: DB, actor: CurrentActor, raw: RawBody) -> TokenOut:
    """Admins only: a new API token for someone else, shown once."""
    body = parse_body(TokenIn, raw)
    return TokenOut(token=users.issue_token(db, email, body.label, actor=actor))


@router.get("/me", operation_id="me", response_model=UserOut)
def me(db: DB, actor: CurrentActor) -> UserOut:
    """Who the caller is."""
    u = users.user_by_email(db, actor.email)
    return _user_out(u, users.projects_of(db, u.id))


@router.get("/me/tokens", operation_id="list_tokens", response_model=list[TokenInfoOut])
def list_tokens(db: DB, actor: CurrentActor) -> list[TokenInfoOut]:
    """The caller's API tokens (label and date; a token itself is shown only once)."""
    return [TokenInfoOut.model_validate(t, from_attributes=True) for t in auth.tokens_of(db, actor)]


@router.post(
    "/me/tokens",
    operation_id="create_token",
    response_model=TokenOut,
    status_code=201,
    openapi_extra=json_body_doc(TokenIn),
)
def create_token(db: DB, actor: CurrentActor, raw: RawBody) -> TokenOut:
    """A new API token for the caller, shown once."""
    body = parse_body(TokenIn, raw)
    return TokenOut(token=auth.create_token(db, actor, body.label))


@router.delete(
    "/me/tokens/{token_id}",
    operation_id="revoke_token",
    status_code=204,
    response_class=Response,
)
def revoke_token(token_id: RowId, db: DB, actor: CurrentActor) -> Response:
    """Revoke one of the caller's tokens; it stops working at once."""
    auth.revoke_token(db, actor, token_id)
    return Response(status_code=204)
