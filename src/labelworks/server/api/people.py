"""People: list and create users, the caller's own profile and API tokens."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.api import TokenIn, TokenOut, UserCreatedOut, UserIn, UserOut
from labelworks.server.deps import DB, CurrentActor
from labelworks.services import auth, users
from labelworks.services.passwords import check_new_password, hash_password
from labelworks.services.users import UserRow

router = APIRouter(prefix="/api/v1", tags=["people"])


def _user_out(u: UserRow, projects: list[str]) -> UserOut:
    return UserOut(
        email=u.email, name=u.name, role=u.role, vendor=u.vendor, team=u.team, projects=projects
    )


@router.get("/users", operation_id="list_users", response_model=list[UserOut])
def list_users(db: DB, actor: CurrentActor) -> list[UserOut]:
    """Admins see everyone; managers see the people of their projects."""
    return [_user_out(u, projects) for u, projects in users.list_users(db, actor=actor)]


@router.post("/users", operation_id="create_user", response_model=UserCreatedOut, status_code=201)
def create_user(body: UserIn, db: DB, actor: CurrentActor) -> UserCreatedOut:
    """Create a user (admins: any role; managers: reviewers and annotators of their projects)."""
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
    u = created.user
    return UserCreatedOut(
        user=_user_out(u, created.projects),
        token=created.token,
    )


@router.get("/me", operation_id="me", response_model=UserOut)
def me(db: DB, actor: CurrentActor) -> UserOut:
    """Who the caller is."""
    u = users.user_by_email(db, actor.email)
    return _user_out(u, users.projects_of(db, u.id))


@router.post("/me/tokens", operation_id="create_token", response_model=TokenOut, status_code=201)
def create_token(body: TokenIn, db: DB, actor: CurrentActor) -> TokenOut:
    """A new API token for the caller, shown once."""
    return TokenOut(token=auth.create_token(db, actor, body.label))
