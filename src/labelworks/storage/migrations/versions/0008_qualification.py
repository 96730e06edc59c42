"""Qualification: each membership's standing in the project's qualification test.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("memberships", sa.Column("qualified_at", sa.DateTime(), nullable=True))
    for name in ("qual_attempt", "qual_answered", "qual_correct"):
        op.add_column(
            "memberships",
            sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0")),
        )


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        for name in ("qual_correct", "qual_answered", "qual_attempt", "qualified_at"):
            batch_op.drop_column(name)
