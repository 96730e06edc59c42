"""People: adding users with roles, vendors, teams, memberships and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, Role, may_grant, sees_person
from labelworks.domain.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from labelworks.services.access import project_for
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.users import UserRow as UserRow

ROLES = ("admin", "manager", "reviewer", "annotator")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True, slots=True)
class NewUser:
    user: UserRow
    projects: list[str]
    token: str | None


def hash_token(token: str) -> str:
    """Tokens are 256-bit random, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


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
    """Create a user (or add an existing one to more projects) and optionally mint a token."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"'{email}' is not an email address")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not '{role}'")

    if actor is not None and not may_grant(actor, Role(role)):
        raise PermissionDenied(f"a {actor.role.value} may not create {role} users")

    def work(conn: Connection) -> NewUser:
        now = utcnow()
        for project_name in projects or []:
            project_for(conn, actor, project_name, Action.MANAGE)
        existing = user_store.by_email(conn, email)
        if existing is not None and (existing.role != role or not projects):
            raise AlreadyExists(f"user {email} already exists with role {existing.role}")
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
        for project_name in projects or []:
            project = project_store.by_name(conn, project_name)
            if project is None:
                raise NotFound(f"project '{project_name}' does not exist")
            user_store.add_membership(conn, project.id, user_id, now)
        token = None
        if with_token:
            token = "lw_" + secrets.token_urlsafe(32)
            user_store.add_token(conn, user_id, hash_token(token), "cli", now)
        user = user_store.by_id(conn, user_id)
        assert user is not None
        return NewUser(user, user_store.project_names_of(conn, user_id), token)

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
        raise PermissionDenied(f"a {actor.role.value} may not list users")
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
        user = user_store.by_email(conn, email.strip().lower())
    if user is None:
        raise NotFound(f"user {email} does not exist")
    return user


def user_for_token(db: Database, token: str) -> UserRow | None:
    with db.read() as conn:
        return user_store.by_token_hash(conn, hash_token(token))


def projects_of(db: Database, user_id: int) -> list[str]:
    with db.read() as conn:
        return user_store.project_names_of(conn, user_id)
