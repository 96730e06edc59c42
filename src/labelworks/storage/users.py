"""Users, vendors, teams, memberships and API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from labelworks.storage import catalog
from labelworks.storage.sql import Sql, stored_day
from labelworks.storage.tables import (
    api_tokens,
    memberships,
    projects,
    teams,
    users,
    vendors,
)


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    email: str
    name: str
    role: str
    vendor: str | None
    team: str | None
    active: bool


def user_query() -> Any:
    return (
        select(
            users.c.id,
            users.c.email,
            users.c.name,
            users.c.role,
            users.c.active,
            vendors.c.name.label("vendor"),
            teams.c.name.label("team"),
        )
        .select_from(users)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
        .outerjoin(teams, teams.c.id == users.c.team_id)
    )


def to_user(row: Any) -> UserRow:
    return UserRow(
        id=int(row.id),
        email=str(row.email),
        name=str(row.name),
        role=str(row.role),
        vendor=row.vendor,
        team=row.team,
        active=bool(row.active),
    )


def by_email(conn: Connection, email: str) -> UserRow | None:
    row = conn.execute(user_query().where(users.c.email == email)).first()
    return None if row is None else to_user(row)


def by_id(conn: Connection, user_id: int) -> UserRow | None:
    row = conn.execute(user_query().where(users.c.id == user_id)).first()
    return None if row is None else to_user(row)


def all_users(conn: Connection) -> list[UserRow]:
    return [to_user(r) for r in conn.execute(user_query().order_by(users.c.email))]


def _named(conn: Connection, table: Any, name: str, now: datetime) -> int:
    found = conn.execute(select(table.c.id).where(table.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            insert(table).values(name=name, created_at=now).returning(table.c.id)
        ).scalar_one()
    )


def create(
    conn: Connection,
    *,
    email: str,
    name: str,
    role: str,
    vendor: str | None,
    team: str | None,
    password_hash: str | None,
    now: datetime,
) -> int:
    vendor_id = _named(conn, vendors, vendor, now) if vendor else None
    team_id = _named(conn, teams, team, now) if team else None
    return int(
        conn.execute(
            insert(users)
            .values(
                email=email,
                name=name,
                role=role,
                vendor_id=vendor_id,
                team_id=team_id,
                password_hash=password_hash,
                created_at=now,
            )
            .returning(users.c.id)
        ).scalar_one()
    )


def add_membership(conn: Connection, project_id: int, user_id: int, now: datetime) -> bool:
    """Make the user a member; returns False if they already were."""
    exists = conn.execute(
        select(memberships.c.user_id).where(
            memberships.c.project_id == project_id, memberships.c.user_id == user_id
        )
    ).first()
    if exists is not None:
        return False
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    done = catalog.submitted_since(conn, project_id, user_id, midnight)
    conn.execute(
        insert(memberships).values(
            project_id=project_id,
            user_id=user_id,
            created_at=now,
            # A returning member's work of the day still counts (see tables.memberships).
            done_day=stored_day(midnight),
            done_count=done,
        )
    )
    return True


def is_member(conn: Connection, project_id: int, user_id: int) -> bool:
    return (
        conn.execute(
            select(memberships.c.user_id).where(
                memberships.c.project_id == project_id, memberships.c.user_id == user_id
            )
        ).first()
        is not None
    )


def project_names_of(conn: Connection, user_id: int) -> list[str]:
    rows = conn.execute(
        select(projects.c.name)
        .join(memberships, memberships.c.project_id == projects.c.id)
        .where(memberships.c.user_id == user_id)
        .order_by(projects.c.name)
    )
    return [str(r) for r in rows.scalars()]


def add_token(conn: Connection, user_id: int, token_hash: str, label: str, now: datetime) -> None:
    conn.execute(
        insert(api_tokens).values(
            user_id=user_id, token_hash=token_hash, label=label, created_at=now
        )
    )


# Every API request runs this: built once, so only its parameter changes per call.
# Asked on every API request: fixed SQL (see ``storage.sql``).
# A user as fixed SQL reads one (``user_from`` reads it back), table alias ``u``.
_USER_FIELDS = "u.id, u.email, u.name, u.role, u.active, v.name, t.name"
_USER_FROM = (
    "FROM users u LEFT JOIN vendors v ON v.id = u.vendor_id LEFT JOIN teams t ON t.id = u.team_id"
)


def caller_query(*, session: bool, columns: str = "", joins: str = "", lock: str = "") -> Sql:
    """A statement that finds the active user an API token (or a live session) hash belongs
    to, then ``columns`` from ``joins``; on PostgreSQL it also selects ``lock`` (an advisory
    lock, taken as the row is read). Parameters: ``:hash``, ``:now`` for sessions, and
    whatever ``joins`` use. Every request's credential is checked by one of these."""
    table, valid = ("sessions", " AND c.expires_at > :now") if session else ("api_tokens", "")
    tail = (
        f" {_USER_FROM} JOIN {table} c ON c.user_id = u.id {joins} "
        f"WHERE c.token_hash = :hash AND u.active{valid}"
    )
    extra = f", {columns}" if columns else ""
    locked = f"{extra}, {lock}" if lock else extra
    return Sql(
        f"SELECT {_USER_FIELDS}{extra}{tail}", postgresql=f"SELECT {_USER_FIELDS}{locked}{tail}"
    )


_BY_TOKEN = caller_query(session=False)


def user_from(row: Sequence[Any]) -> UserRow:
    """A row of a ``caller_query`` as a ``UserRow`` (its first columns)."""
    return UserRow(int(row[0]), str(row[1]), str(row[2]), str(row[3]), row[5], row[6], bool(row[4]))


def by_token_hash(conn: Connection, token_hash: str) -> UserRow | None:
    """The active user a token belongs to."""
    row = _BY_TOKEN.one(conn, {"hash": token_hash})
    return None if row is None else user_from(row)


def project_ids_of(conn: Connection, user_id: int) -> list[int]:
    rows = conn.execute(select(memberships.c.project_id).where(memberships.c.user_id == user_id))
    return [int(r) for r in rows.scalars()]


def password_hash_of(conn: Connection, email: str) -> tuple[int, str | None] | None:
    """(user id, password hash) of an active user, for login."""
    row = conn.execute(
        select(users.c.id, users.c.password_hash).where(
            users.c.email == email, users.c.active.is_(True)
        )
    ).first()
    return None if row is None else (int(row.id), row.password_hash)


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def tokens_of(conn: Connection, user_id: int) -> list[tuple[int, str, datetime]]:
    rows = conn.execute(
        select(api_tokens.c.id, api_tokens.c.label, api_tokens.c.created_at)
        .where(api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.id)
    )
    return [(int(r.id), str(r.label), r.created_at) for r in rows]


def remove_membership(conn: Connection, project_id: int, user_id: int) -> bool:
    """End the user's membership; returns False if they were not a member."""
    result = conn.execute(
        delete(memberships).where(
            memberships.c.project_id == project_id, memberships.c.user_id == user_id
        )
    )
    return bool(result.rowcount)


def set_active(conn: Connection, user_id: int, active: bool) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(active=active))


def delete_token(conn: Connection, user_id: int, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when they have no such token."""
    result = conn.execute(
        delete(api_tokens).where(api_tokens.c.user_id == user_id, api_tokens.c.id == token_id)
    )
    return bool(result.rowcount)
