"""Consistency audits: an assignment may be a retest of the annotator's own earlier item,
and retest answers are kept in their own table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_STATES = "state IN ('leased','submitted','skipped','expired','late')"


def _assignments_before() -> sa.Table:
    """The assignments table as 0001 made it: SQLite rebuilds it from this definition
    rather than from reflection, which would lose the CHECK constraint."""
    return sa.Table(
        "assignments",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("annotator_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("leased_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("lease_count", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("guideline_version", sa.Integer(), nullable=True),
        sa.CheckConstraint(_STATES, name="ck_assignments_state"),
        sa.UniqueConstraint("item_id", "annotator_id", name="uq_assignments_item_id_annotator_id"),
        sa.Index("ix_assignments_project_state_expires", "project_id", "state", "expires_at"),
        sa.Index("ix_assignments_annotator", "annotator_id", "project_id", "state"),
    )


def upgrade() -> None:
    retest: sa.Column[bool] = sa.Column(
        "retest", sa.Boolean(), server_default=sa.text("false"), nullable=False
    )
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "assignments", copy_from=_assignments_before(), recreate="always"
        ) as batch_op:
            batch_op.add_column(retest)
            batch_op.drop_constraint("uq_assignments_item_id_annotator_id", type_="unique")
            batch_op.create_unique_constraint(
                "uq_assignments_item_id_annotator_id_retest", ["item_id", "annotator_id", "retest"]
            )
    else:
        op.add_column("assignments", retest)
        op.drop_constraint("uq_assignments_item_id_annotator_id", "assignments", type_="unique")
        op.create_unique_constraint(
            "uq_assignments_item_id_annotator_id_retest",
            "assignments",
            ["item_id", "annotator_id", "retest"],
        )
    op.create_table(
        "retests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=True),
        sa.Column("first_value", sa.Text(), nullable=True),
        sa.Column("first_at", sa.DateTime(), nullable=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("guideline_version", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_retests_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_retests_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_retests_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["annotator_id"], ["users.id"], name=op.f("fk_retests_annotator_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retests")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_retests_assignment_id")),
    )
    op.create_index("ix_retests_project_id_annotator_id", "retests", ["project_id", "annotator_id"])


def downgrade() -> None:
    op.drop_index("ix_retests_project_id_annotator_id", table_name="retests")
    op.drop_table("retests")
    # Retest assignments have no place in the older schema (their answers went above).
    op.execute("DELETE FROM assignments WHERE retest")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("assignments", recreate="always") as batch_op:
            batch_op.drop_constraint("uq_assignments_item_id_annotator_id_retest", type_="unique")
            batch_op.drop_column("retest")
            batch_op.create_unique_constraint(
                "uq_assignments_item_id_annotator_id", ["item_id", "annotator_id"]
            )
    else:
        op.drop_constraint(
            "uq_assignments_item_id_annotator_id_retest", "assignments", type_="unique"
        )
        op.drop_column("assignments", "retest")
        op.create_unique_constraint(
            "uq_assignments_item_id_annotator_id", "assignments", ["item_id", "annotator_id"]
        )
