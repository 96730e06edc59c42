"""API tokens across every user, for the local operator's view (``labelworks token``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from labelworks.storage.tables import api_tokens, memberships, users


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    email: str
    label: str
    created_at: datetime
    last_used_at: datetime | None


def all_tokens(
    conn: Connection, user_id: int | None = None, *, project_id: int | None = None
) -> list[TokenRow]:
    """Every token (or one user's, or those of a project's members), oldest first, with
    its owner's email; never the hash."""
    query = (
        select(
            api_tokens.c.id,
            users.c.email,
            api_tokens.c.label,
            api_tokens.c.created_at,
            api_tokens.c.last_used_at,
        )
        .join(users, users.c.id == api_tokens.c.user_id)
        .order_by(api_tokens.c.id)
    )
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    if project_id is not None:
        query = query.join(memberships, memberships.c.user_id == users.c.id).where(
            memberships.c.project_id == project_id
        )
    return [
        TokenRow(int(r.id), str(r.email), str(r.label), r.created_at, r.last_used_at)
        for r in conn.execute(query)
    ]


def owner_of(conn: Connection, token_id: int) -> str | None:
    """The email of the token's owner, or None when there is no such token."""
    row = conn.execute(
        select(users.c.email)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.id == token_id)
    ).first()
    return None if row is None else str(row.email)


def delete_any(conn: Connection, token_id: int) -> bool:
    """Revoke a token whoever it belongs to; False when there is no such token."""
    return bool(conn.execute(delete(api_tokens).where(api_tokens.c.id == token_id)).rowcount)
