"""Server-side sessions, shared login throttling, and emails in their one normal form.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:30:00
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sessions_token_hash")),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"], unique=False)
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_identity_created_at",
        "login_failures",
        ["identity", "created_at"],
        unique=False,
    )
    op.create_index("ix_login_failures_created_at", "login_failures", ["created_at"], unique=False)
    # Emails were stored lower-cased; the normal form is NFC and case-folded (they differ
    # only for a few non-ASCII letters, e.g. ß). Two accounts that would collide are left
    # as they are rather than merged: the unique constraint keeps the first.
    conn = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))
    rows = conn.execute(sa.select(users.c.id, users.c.email)).all()
    taken = {str(r.email) for r in rows}
    for user_id, email in rows:
        normal = unicodedata.normalize("NFC", str(email).strip()).casefold()
        if normal != email and normal not in taken:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(email=normal))
            taken.add(normal)


def downgrade() -> None:
    op.drop_index("ix_login_failures_created_at", table_name="login_failures")
    op.drop_index("ix_login_failures_identity_created_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
