"""A project's members: the list its managers see, a password reset by a manager, and an
admin's view of other people's API tokens.

Adding, removing and (de)activating people live in ``services.users``; every action here
follows the same rule (``users.manageable_person``: managers manage reviewers and
annotators, behind their vendor wall; admins anyone).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, sees_person
from labelworks.domain.errors import Conflict, NotFound, PermissionDenied
from labelworks.domain.identity import email_key
from labelworks.services import users
from labelworks.services.access import project_for, require
from labelworks.services.passwords import check_new_password, hash_password
from labelworks.storage import members as member_store
from labelworks.storage import sessions as session_store
from labelworks.storage import tokens as token_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database
from labelworks.storage.members import MemberRow as MemberRow
from labelworks.storage.tokens import TokenRow

# 16 URL-safe characters, 96 random bits: typed once by hand, then changed by its owner.
GENERATED_PASSWORD_BYTES = 12


def project_members(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> list[MemberRow]:
    """The project's members, by email, with when they joined and last annotated it;
    for those who manage the project, behind their vendor wall."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        members = member_store.members_of(conn, project.id)
    return [m for m in members if sees_person(actor, m.user.vendor)]


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


@dataclass(frozen=True, slots=True)
class PasswordReset:
    email: str
    password: str  # the password now set: shown once to whoever set it, never stored
    generated: bool


def reset_password(
    db: Database,
    project_name: str,
    email: str,
    *,
    password: str | None = None,
    actor: Actor | None = None,
) -> PasswordReset:
    """Give a member of the project a new password (a generated one when none is given);
    every session of theirs ends, their API tokens keep working.

    The actor manages the project and may manage the person; nobody resets their own
    password this way (the settings page asks for the current one).
    """
    generated = password is None
    new = generate_password() if password is None else password
    check_new_password(new)
    # Refused callers are refused before the (deliberately slow) hashing.
    require(db, actor, project_name, Action.MANAGE)
    hashed = hash_password(new)

    def work(conn: Connection) -> str:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        user = users.manageable_person(conn, actor, email)
        if actor is not None and user.id == actor.id:
            raise Conflict("change your own password on the settings page")
        if not user_store.is_member(conn, project.id, user.id):
            raise NotFound(f"user {user.email} is not a member of project '{project_name}'")
        user_store.set_password_hash(conn, user.id, hashed)
        session_store.end_all_of(conn, user.id)
        return user.email

    return PasswordReset(db.run_write(work), new, generated)


def _admin_only(actor: Actor | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("only an admin may see or revoke someone else's API tokens")


def tokens_of_user(db: Database, email: str, *, actor: Actor | None = None) -> list[TokenRow]:
    """A person's API tokens (id, label and date; never the token itself):
    admins and the local operator only."""
    _admin_only(actor)
    return users.list_tokens(db, email=email)


def tokens_of_members(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> dict[str, list[TokenRow]]:
    """The API tokens of every member of the project, by email: admins only."""
    _admin_only(actor)
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        rows = token_store.all_tokens(conn, project_id=project.id)
    found: dict[str, list[TokenRow]] = {}
    for row in rows:
        found.setdefault(row.email, []).append(row)
    return found


def revoke_token_of(db: Database, email: str, token_id: int, *, actor: Actor | None = None) -> None:
    """Revoke one of a person's API tokens (admins only); it stops working at once."""
    _admin_only(actor)
    owner = email_key(email)

    def work(conn: Connection) -> None:
        if token_store.owner_of(conn, token_id) != owner:
            raise NotFound(f"user {owner} has no token {token_id}")
        token_store.delete_any(conn, token_id)

    db.run_write(work)
