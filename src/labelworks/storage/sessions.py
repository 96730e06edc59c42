"""Web sessions and failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, select

from labelworks.storage.tables import login_failures, sessions
from labelworks.storage.users import UserRow, caller_query, user_from


def create(
    conn: Connection, user_id: int, token_hash: str, now: datetime, expires_at: datetime
) -> None:
    conn.execute(
        insert(sessions).values(
            token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at
        )
    )


# Every page and cookie-authenticated call runs this (see ``users.caller_query``).
_BY_SESSION = caller_query(session=True)


def user_of(conn: Connection, token_hash: str, now: datetime) -> UserRow | None:
    """The active user a live session belongs to (one query: session, user, vendor, team)."""
    row = _BY_SESSION.one(conn, {"hash": token_hash, "now": now})
    return None if row is None else user_from(row)


def end(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))


def end_all_of(conn: Connection, user_id: int) -> int:
    """End every session of the user; returns how many there were."""
    return int(conn.execute(delete(sessions).where(sessions.c.user_id == user_id)).rowcount)


def purge_expired(conn: Connection, now: datetime) -> None:
    conn.execute(delete(sessions).where(sessions.c.expires_at <= now))


def count_of(conn: Connection, user_id: int) -> int:
    query = select(func.count()).where(sessions.c.user_id == user_id)
    return int(conn.execute(query).scalar_one())


def record_failure(
    conn: Connection, identity: str, client: str, now: datetime, forget_before: datetime
) -> None:
    """Count a failed login, and forget everyone's failures older than ``forget_before``
    (someone guessing many identities must not grow the table without end)."""
    conn.execute(delete(login_failures).where(login_failures.c.created_at < forget_before))
    conn.execute(
        insert(login_failures).values(identity=identity, client=client[:100], created_at=now)
    )


def failures_since(conn: Connection, identity: str, since: datetime) -> list[tuple[str, datetime]]:
    """``(client, when)`` of the identity's failed logins since ``since``, oldest first."""
    rows = conn.execute(
        select(login_failures.c.client, login_failures.c.created_at)
        .where(login_failures.c.identity == identity, login_failures.c.created_at >= since)
        .order_by(login_failures.c.created_at)
    )
    return [(str(r.client), r.created_at) for r in rows]


def clear_failures(conn: Connection, identity: str, client: str, before: datetime) -> None:
    """Forget the identity's failures from this client, and everyone's older than ``before``."""
    conn.execute(
        delete(login_failures).where(
            (and_(login_failures.c.identity == identity, login_failures.c.client == client))
            | (login_failures.c.created_at < before)
        )
    )
