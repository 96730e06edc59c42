"""Gold questions: expert answers, annotators' scored gold answers, paused memberships and
annotations set aside for re-annotation.

A gold item leaves the work queue (``items.gold``; its ``pool`` stays NULL and its counters
stay still), so it is only ever served through the gold draw, to each annotator once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch (table copy) on SQLite would rebuild ``ix_items_next``
    # from reflection, which loses its ``priority DESC``.
    op.add_column(
        "items", sa.Column("gold", sa.Boolean(), nullable=False, server_default=sa.text("false"))
    )
    op.create_index(
        "ix_items_gold",
        "items",
        ["project_id", "id"],
        sqlite_where=sa.text("gold"),
        postgresql_where=sa.text("gold"),
    )
    op.add_column("memberships", sa.Column("paused_at", sa.DateTime(), nullable=True))
    op.add_column("memberships", sa.Column("pause_reason", sa.Text(), nullable=True))
    op.add_column("memberships", sa.Column("gold_since", sa.DateTime(), nullable=True))
    op.create_table(
        "gold_answers",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_gold_answers_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_gold_answers_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_gold_answers_created_by_users"),
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_gold_answers")),
    )
    op.create_index("ix_gold_answers_project_id", "gold_answers", ["project_id"])
    op.create_table(
        "gold_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_gold_results_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_gold_results_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["annotator_id"],
            ["users.id"],
            name=op.f("fk_gold_results_annotator_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gold_results")),
        sa.UniqueConstraint("annotation_id", name=op.f("uq_gold_results_annotation_id")),
    )
    op.create_index(
        "ix_gold_results_project_id_annotator_id_created_at",
        "gold_results",
        ["project_id", "annotator_id", "created_at"],
    )
    op.create_table(
        "set_aside_annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("guideline_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_aside_by", sa.Integer(), nullable=True),
        sa.Column("set_aside_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_set_aside_annotations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_set_aside_annotations_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["annotator_id"],
            ["users.id"],
            name=op.f("fk_set_aside_annotations_annotator_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["set_aside_by"],
            ["users.id"],
            name=op.f("fk_set_aside_annotations_set_aside_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_set_aside_annotations")),
    )
    op.create_index("ix_set_aside_annotations_project_id", "set_aside_annotations", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_set_aside_annotations_project_id", table_name="set_aside_annotations")
    op.drop_table("set_aside_annotations")
    op.drop_index("ix_gold_results_project_id_annotator_id_created_at", table_name="gold_results")
    op.drop_table("gold_results")
    op.drop_index("ix_gold_answers_project_id", table_name="gold_answers")
    op.drop_table("gold_answers")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("gold_since")
        batch_op.drop_column("pause_reason")
        batch_op.drop_column("paused_at")
    op.drop_index("ix_items_gold", table_name="items")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("gold")
