"""Lots and their audit samples (acceptance sampling).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 11:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("selector", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('auditing','accepted','rejected')", name=op.f("ck_lots_status")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_lots_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_lots_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
    )
    op.create_index("ix_lots_project_id", "lots", ["project_id"])
    op.create_table(
        "lot_samples",
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("auditor_id", sa.Integer(), nullable=True),
        sa.Column("audited_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_lot_samples_lot_id_lots"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["auditor_id"], ["users.id"], name=op.f("fk_lot_samples_auditor_id_users")
        ),
        sa.PrimaryKeyConstraint("lot_id", "annotation_id", name=op.f("pk_lot_samples")),
    )


def downgrade() -> None:
    op.drop_table("lot_samples")
    op.drop_index("ix_lots_project_id", table_name="lots")
    op.drop_table("lots")
