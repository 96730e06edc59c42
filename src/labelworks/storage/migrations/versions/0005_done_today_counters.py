"""Each membership keeps its annotator's submissions of the day ("done today").

The annotators' page shows it after every submit; counting the day's annotations each time
costs a range scan that grows through the day (and a heap visit per row on PostgreSQL), so
the count is kept beside the membership row that every lease and submit already locks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:10:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_day", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("done_count", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    memberships = sa.table(
        "memberships",
        sa.column("project_id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("done_day", sa.String),
        sa.column("done_count", sa.Integer),
    )
    annotations = sa.table(
        "annotations",
        sa.column("project_id", sa.Integer),
        sa.column("annotator_id", sa.Integer),
        sa.column("created_at", sa.DateTime),
    )
    today = (
        sa.select(sa.func.count())
        .where(
            annotations.c.project_id == memberships.c.project_id,
            annotations.c.annotator_id == memberships.c.user_id,
            annotations.c.created_at >= midnight,
        )
        .scalar_subquery()
    )
    op.execute(memberships.update().values(done_day=midnight.date().isoformat(), done_count=today))


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("done_count")
        batch_op.drop_column("done_day")
