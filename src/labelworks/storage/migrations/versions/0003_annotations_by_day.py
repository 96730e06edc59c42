"""Annotations indexed by project, annotator and time ("done today" stays cheap).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 21:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_annotations_project_annotator_created",
            ["project_id", "annotator_id", "created_at"],
            unique=False,
        )
        batch_op.drop_index("ix_annotations_project_annotator")


def downgrade() -> None:
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_annotations_project_annotator", ["project_id", "annotator_id"], unique=False
        )
        batch_op.drop_index("ix_annotations_project_annotator_created")
