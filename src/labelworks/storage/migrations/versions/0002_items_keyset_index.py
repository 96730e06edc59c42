"""Index for keyset pages of a project's items.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 21:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_project_id_id", "items", ["project_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_items_project_id_id", table_name="items")
