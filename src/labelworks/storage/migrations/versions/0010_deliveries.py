"""Deliveries: each delivery of a project's labels, with its acceptance criteria and
whether it was forced past them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("delivered_by", sa.Integer(), nullable=True),
        sa.Column("delivered_by_name", sa.String(length=320), server_default="", nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivered_by"], ["users.id"], name=op.f("fk_deliveries_delivered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_deliveries_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_project_id", "deliveries", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_project_id", table_name="deliveries")
    op.drop_table("deliveries")
