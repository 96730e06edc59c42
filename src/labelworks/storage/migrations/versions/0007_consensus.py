"""Consensus: final labels with method, confidence and provenance, per-item overlap raised
by dynamic overlap, and each project's fitted consensus model.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (see 0006: a batch copy would lose ix_items_next's DESC on SQLite).
    op.add_column("items", sa.Column("target", sa.SmallInteger(), nullable=True))
    op.create_table(
        "final_labels",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("n_annotations", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("annotation_ids", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_final_labels_decided_by_users")
        ),
        sa.CheckConstraint(
            "status IN ('final','adjudication','adjudicated')",
            name=op.f("ck_final_labels_status"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_final_labels_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_final_labels_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_final_labels")),
    )
    op.create_index("ix_final_labels_project_id_status", "final_labels", ["project_id", "status"])
    op.create_table(
        "consensus_models",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("models", sa.Text(), nullable=False),
        sa.Column("n_annotations", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_consensus_models_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_consensus_models")),
    )


def downgrade() -> None:
    op.drop_table("consensus_models")
    op.drop_index("ix_final_labels_project_id_status", table_name="final_labels")
    op.drop_table("final_labels")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("target")
