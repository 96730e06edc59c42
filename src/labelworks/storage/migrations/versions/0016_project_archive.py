"""Archived projects: ``projects.archived_at`` (NULL while the project is in use); and an
index on ``item_id`` of each table whose rows an item's deletion cascades to, so deleting
items (the Items tab's bulk delete) finds them instead of scanning each table per item.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CASCADED = (
    "gold_results",
    "set_aside_annotations",
    "reviews",
    "escalations",
    "retests",
    "late_submissions",
)


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    for table in CASCADED:
        op.create_index(f"ix_{table}_item_id", table, ["item_id"])


def downgrade() -> None:
    for table in CASCADED:
        op.drop_index(f"ix_{table}_item_id", table_name=table)
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("archived_at")
