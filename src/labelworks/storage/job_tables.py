"""The jobs table (migration 0017): long work run in the background by Huey consumers.

A row is the job's truth: Huey only carries its id. ``state`` moves queued → running →
succeeded | failed | cancelled (a retry puts a failed attempt back to queued); ``done`` and
``total`` are its progress; ``cancel_requested`` asks a running job to stop at its next
progress report; ``heartbeat_at`` shows a running job is still alive.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)

from labelworks.storage.metadata import metadata

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    Column("state", String(16), nullable=False),
    Column("params", Text, nullable=False, server_default="{}"),
    Column("result", Text, nullable=True),
    Column("error", Text, nullable=True),
    # The stable code of the error that failed it (labelworks.domain.errors), when it was
    # one of the work's own refusals (migration 0019).
    Column("error_code", String(40), nullable=True),
    Column("done", BigInteger, nullable=False, server_default="0"),
    Column("total", BigInteger, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False, server_default="1"),
    Column("cancel_requested", Boolean, nullable=False, server_default=false()),
    Column("started_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("worker", String(200), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("started_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    Column("heartbeat_at", DateTime, nullable=True),
    CheckConstraint("state IN ('queued','running','succeeded','failed','cancelled')", name="state"),
    Index("ix_jobs_state_id", "state", "id"),
    Index("ix_jobs_project_id_id", "project_id", "id"),
)
