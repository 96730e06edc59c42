"""Items whose priority the spec's routing wrote (``items.routed``), told apart from those a
manager set by hand: going back to sequential order resets only these.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "items",
        sa.Column("routed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("routed")
