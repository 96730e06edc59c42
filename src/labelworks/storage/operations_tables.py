"""Tables of running the operation (SQLAlchemy Core): vendors' contracts, coaching notes,
webhooks and their deliveries, and experiments on the operation. Migrations must match."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from labelworks.storage.metadata import metadata

# A vendor's contract: its rate card in one currency and its service levels. JSON columns
# are validated by ``domain.vendor_terms`` before they are written.
vendor_terms = Table(
    "vendor_terms",
    metadata,
    Column("vendor_id", Integer, ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True),
    Column("currency", String(3), nullable=False),
    # {field kind: price of one accepted annotation}, JSON.
    Column("per_annotation", Text, nullable=False, server_default="{}"),
    Column("per_hour", Float, nullable=True),
    # {lease_to_submit_hours, import_to_final_hours, quality_floor, weekly_volume}, JSON.
    Column("sla", Text, nullable=False, server_default="{}"),
    Column("contact", Text, nullable=False, server_default=""),
    Column("updated_at", DateTime, nullable=False),
)

# Notes a manager writes on a person's coaching page; project_id is null for notes about
# the person in general.
coaching_notes = Table(
    "coaching_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_coaching_notes_user", "user_id", "created_at"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", String(128), nullable=False),
    # The event names it is sent, JSON list.
    Column("events", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_webhooks_project", "project_id"),
)

# One row per event sent to one webhook: the delivery log, and the queue of retries.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime, nullable=True),
    Column("response_status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("delivered_at", DateTime, nullable=True),
    CheckConstraint("status IN ('pending','delivered','failed')", name="status"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_hook", "webhook_id", "id"),
)

# Events raised once per subject (an SLA breach of a week, a forecast past its deadline),
# so a condition that holds for days is announced once.
event_marks = Table(
    "event_marks",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("created_at", DateTime, nullable=False),
)

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("unit", String(12), nullable=False),
    # [{"name", "description"}], JSON: the two arms.
    Column("arms", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("seed", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("stopped_at", DateTime, nullable=True),
    CheckConstraint("unit IN ('annotator','item')", name="unit"),
    CheckConstraint("status IN ('running','stopped')", name="status"),
    UniqueConstraint("project_id", "name"),
)

# The recorded split: which arm each annotator (or item) of an experiment is in.
experiment_units = Table(
    "experiment_units",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("unit_id", Integer, primary_key=True),
    Column("arm", String(64), nullable=False),
    Column("assigned_at", DateTime, nullable=False),
)
