"""Models' predictions (``predictions``), stored evaluations (``eval_runs``), and which
suggestions show a prediction (``pre_annotations.prediction_id``).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), server_default="", nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("probabilities", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_predictions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_predictions_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
        sa.UniqueConstraint(
            "item_id", "model", "version", name=op.f("uq_predictions_item_id_model_version")
        ),
    )
    op.create_index(
        "ix_predictions_project_model", "predictions", ["project_id", "model", "version"]
    )
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("against", sa.String(length=10), nullable=False),
        sa.Column("slice_key", sa.String(length=200), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("headline", sa.Float(), nullable=True),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_eval_runs_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_runs")),
    )
    op.create_index("ix_eval_runs_project_id", "eval_runs", ["project_id", "id"])
    op.add_column("pre_annotations", sa.Column("prediction_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pre_annotations") as batch:
        batch.drop_column("prediction_id")
    op.drop_index("ix_eval_runs_project_id", table_name="eval_runs")
    op.drop_table("eval_runs")
    op.drop_index("ix_predictions_project_model", table_name="predictions")
    op.drop_table("predictions")
