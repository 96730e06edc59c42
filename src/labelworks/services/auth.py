"""Logging in, changing passwords, and API tokens."""

from __future__ import annotations

import secrets
import threading
import time

from sqlalchemy import Connection

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, Unauthenticated
from labelworks.services.access import actor_of
from labelworks.services.passwords import check_new_password, hash_password, verify_password
from labelworks.services.users import hash_token
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow


def authenticate(db: Database, email: str, password: str) -> Actor:
    """The actor whose email and password these are; ``Unauthenticated`` otherwise."""
    with db.read() as conn:
        found = user_store.password_hash_of(conn, email.strip().lower())
    if not verify_password(None if found is None else found[1], password) or found is None:
        raise Unauthenticated("wrong email or password")
    return actor_by_id(db, found[0])


def actor_by_id(db: Database, user_id: int) -> Actor:
    with db.read() as conn:
        user = user_store.by_id(conn, user_id)
    if user is None or not user.active:
        raise Unauthenticated("this account no longer exists")
    return actor_of(user)


# Every API call presents its token; remembering the answer for a few seconds saves a
# database round trip per request. A deactivated user keeps access for at most this long.
TOKEN_CACHE_SECONDS = 5.0
_token_cache: dict[tuple[str, str], tuple[float, Actor]] = {}
_token_lock = threading.Lock()


def actor_for_token(db: Database, token: str) -> Actor:
    key = (db.cache_scope, hash_token(token))
    now = time.monotonic()
    with _token_lock:
        cached = _token_cache.get(key)
    if cached is not None and now - cached[0] < TOKEN_CACHE_SECONDS:
        return cached[1]
    with db.read() as conn:
        user = user_store.by_token_hash(conn, key[1])
    if user is None or not user.active:
        raise Unauthenticated("invalid API token")
    actor = actor_of(user)
    with _token_lock:
        if len(_token_cache) > 10_000:
            _token_cache.clear()
        _token_cache[key] = (now, actor)
    return actor


def change_password(db: Database, actor: Actor, current: str, new: str) -> None:
    """Change the actor's own password after checking the current one."""
    check_new_password(new)

    def work(conn: Connection) -> None:
        found = user_store.password_hash_of(conn, actor.email)
        if found is None or not verify_password(found[1], current):
            raise InvalidInput("the current password is wrong")
        user_store.set_password_hash(conn, actor.id, hash_password(new))

    db.run_write(work)


def set_password(db: Database, email: str, new: str) -> None:
    """Set a user's password (operator command, no current password needed)."""
    check_new_password(new)

    def work(conn: Connection) -> None:
        found = user_store.password_hash_of(conn, email.strip().lower())
        if found is None:
            raise InvalidInput(f"no active user {email}")
        user_store.set_password_hash(conn, found[0], hash_password(new))

    db.run_write(work)


def create_token(db: Database, actor: Actor, label: str) -> str:
    """A new API token for the actor, returned once (only its hash is stored)."""
    if len(label) > 200:
        raise InvalidInput("a token label is at most 200 characters")
    token = "lw_" + secrets.token_urlsafe(32)
    db.run_write(
        lambda conn: user_store.add_token(conn, actor.id, hash_token(token), label, utcnow())
    )
    return token
