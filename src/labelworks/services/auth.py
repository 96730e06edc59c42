"""Logging in and out, web sessions, passwords, and API tokens.

Sessions live in the database: the browser's cookie holds a random session id, never the
user id, so ending a session (logout, a password change, deactivation) takes effect on the
very next request, in every server process.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, NotFound, RateLimited, Unauthenticated
from labelworks.domain.identity import email_key
from labelworks.domain.login_policy import LoginRules, lockout_seconds
from labelworks.services.access import actor_of
from labelworks.services.passwords import check_new_password, hash_password, verify_password
from labelworks.storage import sessions as session_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow


def hash_token(token: str) -> str:
    """Tokens are 256-bit random, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "lw_" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class LoggedIn:
    actor: Actor
    session: str  # the session id for the cookie; only its hash is stored


def log_in(
    db: Database, email: str, password: str, *, client: str, rules: LoginRules | None = None
) -> LoggedIn:
    """Check the password and open a session; throttled per normalised email and client.

    A throttled attempt is refused before the password is looked at, so the right password
    does not get in during a lockout either.
    """
    rules = rules or LoginRules()
    identity = email_key(email)
    now = utcnow()
    with db.read() as conn:
        failures = session_store.failures_since(conn, identity, now - rules.window)
    wait = lockout_seconds(failures, client, now, rules)
    if wait:
        raise RateLimited(f"too many failed logins; try again in {wait} s")
    with db.read() as conn:
        found = user_store.password_hash_of(conn, identity)
    if not verify_password(None if found is None else found[1], password) or found is None:
        db.run_write(
            lambda conn: session_store.record_failure(
                conn, identity, client, now, now - rules.window
            )
        )
        raise Unauthenticated("wrong email or password")
    user_id = found[0]
    session = secrets.token_urlsafe(32)

    def work(conn: Connection) -> Actor:
        session_store.clear_failures(conn, identity, client, now - rules.window)
        session_store.purge_expired(conn, now)
        expires = now + timedelta(seconds=rules.session_seconds)
        session_store.create(conn, user_id, hash_token(session), now, expires)
        user = user_store.by_id(conn, user_id)
        if user is None or not user.active:
            raise Unauthenticated("this account no longer exists")
        return actor_of(user)

    return LoggedIn(db.run_write(work), session)


@dataclass(frozen=True, slots=True)
class Credential:
    """What a request presented: an API token, or a web session id (already past its CSRF
    check). Resolving it is a query, so services do it inside their own transaction."""

    token: str | None = None
    session: str | None = None


def hashes(credential: Credential) -> dict[str, str | None]:
    """The stored forms of a credential, as the storage lookups that take one expect."""
    if credential.token is not None:
        return {"token_hash": hash_token(credential.token), "session_hash": None}
    return {"token_hash": None, "session_hash": hash_token(credential.session or "")}


def refused(credential: Credential) -> Unauthenticated:
    """The error for a credential that names nobody active."""
    if credential.token is not None:
        return Unauthenticated("invalid API token")
    return Unauthenticated("your session has ended; log in again")


def actor_in(conn: Connection, credential: Credential) -> Actor:
    """The active user behind a credential, in the caller's transaction (no cache:
    revocation, logout and deactivation take effect on the next request)."""
    if credential.token is not None:
        user = user_store.by_token_hash(conn, hash_token(credential.token))
    else:
        user = session_store.user_of(conn, hash_token(credential.session or ""), utcnow())
    if user is None:
        raise refused(credential)
    return actor_of(user)


def actor_for(db: Database, credential: Credential) -> Actor:
    """``actor_in`` in a read transaction of its own."""
    with db.read() as conn:
        return actor_in(conn, credential)


def end_session(db: Database, session: str) -> None:
    db.run_write(lambda conn: session_store.end(conn, hash_token(session)))


def change_password(
    db: Database, actor: Actor, current: str, new: str, *, rules: LoginRules | None = None
) -> str:
    """Change the actor's own password after checking the current one.

    Every session of theirs ends (a thief's included); the new session id returned keeps
    the browser that made the change logged in.
    """
    check_new_password(new)
    rules = rules or LoginRules()
    session = secrets.token_urlsafe(32)

    def work(conn: Connection) -> None:
        found = user_store.password_hash_of(conn, actor.email)
        if found is None or not verify_password(found[1], current):
            raise InvalidInput("the current password is wrong")
        user_store.set_password_hash(conn, actor.id, hash_password(new))
        session_store.end_all_of(conn, actor.id)
        now = utcnow()
        expires = now + timedelta(seconds=rules.session_seconds)
        session_store.create(conn, actor.id, hash_token(session), now, expires)

    db.run_write(work)
    return session


def set_password(db: Database, email: str, new: str) -> None:
    """Set a user's password (operator command): their sessions end."""
    check_new_password(new)

    def work(conn: Connection) -> None:
        found = user_store.password_hash_of(conn, email_key(email))
        if found is None:
            raise InvalidInput(f"no active user {email}")
        user_store.set_password_hash(conn, found[0], hash_password(new))
        session_store.end_all_of(conn, found[0])

    db.run_write(work)


MAX_TOKEN_LABEL = 200


def check_token_label(label: str) -> None:
    if len(label) > MAX_TOKEN_LABEL:
        raise InvalidInput(f"a token label is at most {MAX_TOKEN_LABEL} characters")


def add_token(conn: Connection, user_id: int, label: str) -> str:
    """A new API token for the user, in the caller's transaction; returned once (only its
    hash is stored). Every way of making a token comes here."""
    check_token_label(label)
    token = new_token()
    user_store.add_token(conn, user_id, hash_token(token), label, utcnow())
    return token


def create_token(db: Database, actor: Actor, label: str) -> str:
    """A new API token for the actor themself."""
    return db.run_write(lambda conn: add_token(conn, actor.id, label))


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    label: str
    created_at: datetime


def tokens_of(db: Database, actor: Actor) -> list[TokenInfo]:
    """The actor's own tokens (labels and dates; the tokens themselves are never kept)."""
    with db.read() as conn:
        return [TokenInfo(*row) for row in user_store.tokens_of(conn, actor.id)]


def revoke_token(db: Database, actor: Actor, token_id: int) -> None:
    """Revoke one of the actor's own tokens; it stops working at once."""
    if not db.run_write(lambda conn: user_store.delete_token(conn, actor.id, token_id)):
        raise NotFound(f"you have no token {token_id}")
