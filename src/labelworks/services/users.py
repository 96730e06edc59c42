"""People: creating users, project membership, tokens issued for others, deactivation.

Each is its own action with its own permission check, all behind the one vendor-wall rule
of ``domain.access``: creating a user never hands out a token or joins an existing person
to a project on the side.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, Role, may_grant, may_manage_person, sees_person
from labelworks.domain.access import wall as vendor_wall
from labelworks.domain.errors import (
    AlreadyExists,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from labelworks.domain.identity import email_key, normal_email
from labelworks.services.access import a_role, project_for
from labelworks.services.auth import add_token, check_token_label, hash_token
from labelworks.storage import sessions as session_store
from labelworks.storage import tokens as token_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.tokens import TokenRow as TokenRow
from labelworks.storage.users import UserRow as UserRow

ROLES = tuple(r.value for r in Role)
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class NewUser:
    user: UserRow
    projects: list[str]
    token: str | None


def _role(role: str) -> Role:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    return Role(role)


def _label(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_NAME:
        raise InvalidInput(f"a {what} name is 1 to {MAX_NAME} characters")
    return value


def add_user(
    db: Database,
    email: str,
    *,
    role: str,
    name: str = "",
    projects: list[str] | None = None,
    vendor: str | None = None,
    team: str | None = None,
    with_token: bool = False,
    password_hash: str | None = None,
    actor: Actor | None = None,
) -> NewUser:
    """Create a user in the given projects, optionally with an API token.

    Through the API (``actor`` given) the email must be new, only admins may ask for a
    token, and a vendor's manager creates people of their own vendor only (theirs by
    default). A local operator (``actor=None``) may also add an existing user of the same
    role to more projects, or mint them a token.
    """
    email = normal_email(email)
    wanted = _role(role)
    vendor, team = _label(vendor, "vendor"), _label(team, "team")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a name is at most {MAX_NAME} characters")
    if actor is not None:
        if not may_grant(actor, wanted):
            raise PermissionDenied(f"{a_role(actor.role)} may not create {role} users")
        if with_token and not actor.is_admin:
            raise PermissionDenied(
                "only an admin may create a token for someone else; people create their "
                "own on the settings page or with POST /api/v1/me/tokens"
            )
        walled_to = vendor_wall(actor)
        if walled_to is not None:
            if vendor not in (None, walled_to):
                raise PermissionDenied(f"you may only create people of vendor '{walled_to}'")
            vendor = walled_to

    def work(conn: Connection) -> NewUser:
        now = utcnow()
        targets = [project_for(conn, actor, p, Action.MANAGE) for p in projects or []]
        existing = user_store.by_email(conn, email)
        if existing is not None and (actor is not None or existing.role != role or not targets):
            hint = " (add them to a project with POST /api/v1/projects/{project}/members)"
            raise AlreadyExists(f"user {email} already exists{hint if actor else ''}")
        user_id = (
            existing.id
            if existing is not None
            else user_store.create(
                conn,
                email=email,
                name=name,
                role=role,
                vendor=vendor,
                team=team,
                password_hash=password_hash,
                now=now,
            )
        )
        for project in targets:
            user_store.add_membership(conn, project.id, user_id, now)
        token = add_token(conn, user_id, "cli") if with_token else None
        user = user_store.by_id(conn, user_id)
        assert user is not None
        return NewUser(user, user_store.project_names_of(conn, user_id), token)

    return db.run_write(work)


def _visible_user(conn: Connection, actor: Actor | None, email: str) -> UserRow:
    """The user, if the actor may know of them; people behind another vendor's wall are
    reported as not existing, exactly like people who do not."""
    user = user_store.by_email(conn, email_key(email))
    if user is None or not sees_person(actor, user.vendor):
        raise NotFound(f"user {email_key(email)} does not exist")
    return user


def manageable_person(conn: Connection, actor: Actor | None, email: str) -> UserRow:
    """The person, if the actor may manage them (their role, behind the vendor wall); the
    rules of adding, removing, (de)activating and resetting a password alike."""
    if actor is not None and actor.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied(f"{a_role(actor.role)} may not manage people")
    user = _visible_user(conn, actor, email)
    if not may_manage_person(actor, Role(user.role), user.vendor):
        assert actor is not None
        raise PermissionDenied(f"{a_role(actor.role)} may not manage {user.role} users")
    return user


def add_member(
    db: Database, project_name: str, email: str, *, actor: Actor | None = None
) -> tuple[UserRow, list[str]]:
    """Add an existing, active person to a project the actor manages."""

    def work(conn: Connection) -> tuple[UserRow, list[str]]:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        user = manageable_person(conn, actor, email)
        if not user.active:
            raise Conflict(f"user {user.email} is deactivated")
        user_store.add_membership(conn, project.id, user.id, utcnow())
        return user, user_store.project_names_of(conn, user.id)

    return db.run_write(work)


def remove_member(
    db: Database, project_name: str, email: str, *, actor: Actor | None = None
) -> None:
    """Take a person off a project the actor manages (their work stays)."""

    def work(conn: Connection) -> None:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        user = manageable_person(conn, actor, email)
        if not user_store.remove_membership(conn, project.id, user.id):
            raise NotFound(f"user {user.email} is not a member of project '{project_name}'")

    db.run_write(work)


def issue_token(db: Database, email: str, label: str, *, actor: Actor | None = None) -> str:
    """A new API token for someone else: a local operator or an admin only."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("only an admin may create a token for someone else")
    check_token_label(label)
    return db.run_write(lambda conn: add_token(conn, _visible_user(conn, actor, email).id, label))


def list_tokens(db: Database, *, email: str | None = None) -> list[TokenRow]:
    """Every API token (or one user's) for the local operator: id, owner, label and dates,
    never the token itself (only its hash is kept)."""
    with db.read() as conn:
        user_id = None if email is None else _visible_user(conn, None, email).id
        return token_store.all_tokens(conn, user_id)


def revoke_any_token(db: Database, token_id: int) -> str:
    """Revoke a token whoever owns it (local operator); it stops working at once.
    Returns the owner's email."""

    def work(conn: Connection) -> str:
        owner = token_store.owner_of(conn, token_id)
        if owner is None or not token_store.delete_any(conn, token_id):
            raise NotFound(f"token {token_id} does not exist")
        return owner

    return db.run_write(work)


def set_active(db: Database, email: str, active: bool, *, actor: Actor | None = None) -> UserRow:
    """Deactivate (every session and token stops working at once) or reactivate a person.

    Admins may do it to anyone but themselves; managers to the people they may manage who
    belong to one of their projects.
    """

    def work(conn: Connection) -> UserRow:
        user = manageable_person(conn, actor, email)
        if actor is not None and user.id == actor.id:
            raise Conflict("you cannot deactivate or reactivate yourself")
        if actor is not None and not actor.is_admin:
            shared = set(user_store.project_ids_of(conn, actor.id))
            if not shared & set(user_store.project_ids_of(conn, user.id)):
                raise NotFound(f"user {user.email} does not exist")
        user_store.set_active(conn, user.id, active)
        if not active:
            session_store.end_all_of(conn, user.id)
        found = user_store.by_id(conn, user.id)
        assert found is not None
        return found

    return db.run_write(work)


def list_users(db: Database, *, actor: Actor | None = None) -> list[tuple[UserRow, list[str]]]:
    """Users with the projects they are a member of.

    Admins see everyone; managers see the people of the projects they manage, behind their
    vendor wall; other roles may not list people.
    """
    if actor is None or actor.is_admin:
        with db.read() as conn:
            users = user_store.all_users(conn)
            return [(u, user_store.project_names_of(conn, u.id)) for u in users]
    if actor.role is not Role.MANAGER:
        raise PermissionDenied(f"{a_role(actor.role)} may not list users")
    with db.read() as conn:
        mine = set(user_store.project_ids_of(conn, actor.id))
        out = []
        for u in user_store.all_users(conn):
            shares = bool(mine & set(user_store.project_ids_of(conn, u.id)))
            if (shares or u.id == actor.id) and sees_person(actor, u.vendor):
                out.append((u, user_store.project_names_of(conn, u.id)))
        return out


def user_by_email(db: Database, email: str) -> UserRow:
    with db.read() as conn:
        user = user_store.by_email(conn, email_key(email))
    if user is None:
        raise NotFound(f"user {email} does not exist")
    return user


def user_for_token(db: Database, token: str) -> UserRow | None:
    with db.read() as conn:
        return user_store.by_token_hash(conn, hash_token(token))


def projects_of(db: Database, user_id: int) -> list[str]:
    with db.read() as conn:
        return user_store.project_names_of(conn, user_id)
