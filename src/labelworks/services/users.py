"""People: adding users with roles, vendors, teams, memberships and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from labelworks.domain.errors import AlreadyExists, InvalidInput, NotFound
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.users import UserRow

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
) -> NewUser:
    """Create a user (or add an existing one to more projects) and optionally mint a token."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"'{email}' is not an email address")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not '{role}'")

    def work(conn: Connection) -> NewUser:
        now = utcnow()
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


def list_users(db: Database) -> list[tuple[UserRow, list[str]]]:
    """Every user with the projects they are a member of."""
    with db.read() as conn:
        return [(u, user_store.project_names_of(conn, u.id)) for u in user_store.all_users(conn)]


def user_by_email(db: Database, email: str) -> UserRow:
    with db.read() as conn:
        user = user_store.by_email(conn, email.strip().lower())
    if user is None:
        raise NotFound(f"user {email} does not exist")
    return user


def user_for_token(db: Database, token: str) -> UserRow | None:
    with db.read() as conn:
        return user_store.by_token_hash(conn, hash_token(token))
