"""A project's members, a password reset by their manager, and an admin's view of someone's
API tokens (adding, removing and deactivating people: ``people``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from labelworks.schemas.members import (
    MemberOut,
    PasswordResetIn,
    PasswordResetOut,
    UserTokenOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import ProjectName, RowId, TextKey
from labelworks.services import members

router = APIRouter(prefix="/api/v1", tags=["people"], responses=ERRORS)


@router.get(
    "/projects/{project}/members", operation_id="list_members", response_model=list[MemberOut]
)
def list_members(project: ProjectName, db: DB, actor: CurrentActor) -> list[MemberOut]:
    """The project's members with their role, vendor, team, whether they are active, when
    they joined and last annotated it; managers of the project (behind their vendor wall)
    and admins."""
    return [
        MemberOut(
            email=m.user.email,
            name=m.user.name,
            role=m.user.role,
            vendor=m.user.vendor,
            team=m.user.team,
            active=m.user.active,
            joined_at=m.joined_at,
            last_annotation_at=m.last_annotation_at,
        )
        for m in members.project_members(db, project, actor=actor)
    ]


@router.post(
    "/projects/{project}/members/{email}/password",
    operation_id="reset_password",
    response_model=PasswordResetOut,
    openapi_extra=json_body_doc(PasswordResetIn),
)
def reset_password(
    project: ProjectName,
    email: TextKey,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    raw: RawBody,
) -> PasswordResetOut:
    """Give a member a new password (``null``: a generated one, returned once); every
    session of theirs ends, their API tokens keep working. Managers reset reviewers' and
    annotators' of their projects (behind their vendor wall), admins anyone's; nobody their
    own (``/settings`` asks for the current one)."""
    body = parse_body(PasswordResetIn, raw)
    done = members.reset_password(db, project, email, password=body.password, actor=actor)
    return PasswordResetOut(email=done.email, password=done.password if done.generated else None)


@router.get(
    "/users/{email}/tokens", operation_id="list_user_tokens", response_model=list[UserTokenOut]
)
def list_user_tokens(email: TextKey, db: DB, actor: CurrentActor) -> list[UserTokenOut]:
    """Admins only: someone's API tokens (id, label and date; never the token)."""
    return [
        UserTokenOut.model_validate(t, from_attributes=True)
        for t in members.tokens_of_user(db, email, actor=actor)
    ]


@router.delete(
    "/users/{email}/tokens/{token_id}",
    operation_id="revoke_user_token",
    status_code=204,
    response_class=Response,
)
def revoke_user_token(email: TextKey, token_id: RowId, db: DB, actor: CurrentActor) -> Response:
    """Admins only: revoke one of someone's API tokens; it stops working at once."""
    members.revoke_token_of(db, email, token_id, actor=actor)
    return Response(status_code=204)
