"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/`` must match these.

The quality operations' tables live in ``quality_tables`` and are re-exported here, so
importing this module defines the whole schema."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from labelworks.storage.job_tables import jobs
from labelworks.storage.metadata import metadata
from labelworks.storage.model_tables import (
    assist_models,
    eval_runs,
    llm_replies,
    predictions,
    prompts,
)
from labelworks.storage.operations_tables import (
    coaching_notes,
    event_marks,
    experiment_units,
    experiments,
    vendor_terms,
    webhook_deliveries,
    webhooks,
)
from labelworks.storage.quality_tables import (
    audit_events,
    consensus_models,
    deliveries,
    escalations,
    final_labels,
    gold_answers,
    gold_results,
    lot_samples,
    lots,
    retests,
    reviews,
    set_aside_annotations,
)

vendors = Table(
    "vendors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("role", String(20), nullable=False),
    Column("vendor_id", Integer, ForeignKey("vendors.id"), nullable=True),
    Column("team_id", Integer, ForeignKey("teams.id"), nullable=True),
    Column("password_hash", String(300), nullable=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("role IN ('admin','manager','reviewer','annotator')", name="role"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("label", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime, nullable=True),
)

# Server-side web sessions: the cookie carries a random id whose hash is looked up here, so
# logging out, changing a password or deactivating a user ends a session at once.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
)

# Failed logins, shared by every server process (an in-memory counter per process would
# multiply the allowance by the number of workers). ``identity`` is the normalised email.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("identity", String(320), nullable=False),
    Column("client", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_login_failures_identity_created_at", "identity", "created_at"),
    Index("ix_login_failures_created_at", "created_at"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("spec", Text, nullable=False),
    Column("overlap", Integer, nullable=False),
    Column("lease_minutes", Integer, nullable=False),
    Column("priority", Integer, nullable=False, server_default=text("0")),
    Column("spec_revision", Integer, nullable=False, server_default=text("1")),
    Column("guideline_version", Integer, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # Archived: read-only, no leases, no imports (migration 0016).
    Column("archived_at", DateTime, nullable=True),
    CheckConstraint("overlap >= 1", name="overlap_positive"),
)

spec_revisions = Table(
    "spec_revisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("spec", Text, nullable=False),
    Column("forced", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("project_id", "revision"),
)

guideline_versions = Table(
    "guideline_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("changelog", Text, nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("project_id", "version"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    # The member's submissions on the UTC day ``done_day`` (YYYY-MM-DD): "done today",
    # kept by each submit rather than counted (migration 0005).
    Column("done_day", String(10), nullable=True),
    Column("done_count", Integer, nullable=False, server_default=text("0")),
    # Paused (auto-pause on gold, or by a manager): no tasks until reinstated. Gold answers
    # before ``gold_since`` (the last reinstatement) do not count towards the next pause.
    Column("paused_at", DateTime, nullable=True),
    Column("pause_reason", Text, nullable=True),
    Column("gold_since", DateTime, nullable=True),
    # Qualification (migration 0008): when they passed, failed attempts so far, and the
    # current attempt's gold answers and correct ones.
    Column("qualified_at", DateTime, nullable=True),
    Column("qual_attempt", Integer, nullable=False, server_default=text("0")),
    Column("qual_answered", Integer, nullable=False, server_default=text("0")),
    Column("qual_correct", Integer, nullable=False, server_default=text("0")),
    # The guideline version the member last acknowledged (migration 0009); their first
    # task acknowledges the version they start under.
    Column("ack_version", Integer, nullable=True),
    Index("ix_memberships_user_id", "user_id"),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("source", Text, nullable=False),
    Column("format", String(20), nullable=False),
    Column("rows", Integer, nullable=False, server_default=text("0")),
    Column("inserted", Integer, nullable=False, server_default=text("0")),
    Column("skipped", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime, nullable=False),
)

# ``pool`` drives next_task_for through one partial index: NULL when the item is full
# (submitted + leased >= overlap), 0 when started, 1 when untouched, so "in progress first,
# then priority, then import order" is an index range scan regardless of project size.
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(512), nullable=True),
    Column("payload", Text, nullable=False),
    Column("metadata", Text, nullable=False, server_default="{}"),
    Column("content_hash", String(64), nullable=False),
    Column("priority", Integer, nullable=False, server_default=text("0")),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=True),
    Column("import_line", Integer, nullable=True),
    Column("n_submitted", Integer, nullable=False, server_default=text("0")),
    Column("n_leased", Integer, nullable=False, server_default=text("0")),
    Column("pool", SmallInteger, nullable=True, server_default=text("1")),
    # A gold item is out of the queue (pool NULL, counters still): only the gold draw
    # serves it, to each annotator once (migration 0006).
    Column("gold", Boolean, nullable=False, server_default=text("false")),
    # The item's own overlap when dynamic overlap asked for more annotations than the
    # project's (NULL: the project's), migration 0007.
    Column("target", SmallInteger, nullable=True),
    # The spec's routing wrote ``priority`` (not a manager's bulk action), migration 0021.
    Column("routed", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("project_id", "content_hash"),
    UniqueConstraint("project_id", "external_id"),
    Index(
        "ix_items_next",
        "project_id",
        "pool",
        text("priority DESC"),
        "id",
        sqlite_where=text("pool IS NOT NULL"),
        postgresql_where=text("pool IS NOT NULL"),
    ),
    Index("ix_items_project_complete", "project_id", "n_submitted"),
    # Keyset pages of one project's items (browsing, export) without a table scan.
    Index("ix_items_project_id_id", "project_id", "id"),
    Index(
        "ix_items_gold",
        "project_id",
        "id",
        sqlite_where=text("gold"),
        postgresql_where=text("gold"),
    ),
)

pre_annotations = Table(
    "pre_annotations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("score", Float, nullable=True),
    Column("value", Text, nullable=False),
    # Set when the suggestion shows a prediction (spec ``predictions.suggest``), migration 0020.
    Column("prediction_id", Integer, nullable=True),
    Index("ix_pre_annotations_item_id", "item_id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("annotator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("state", String(12), nullable=False),
    Column("leased_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("closed_at", DateTime, nullable=True),
    Column("skip_reason", Text, nullable=True),
    Column("lease_count", Integer, nullable=False, server_default=text("1")),
    Column("guideline_version", Integer, nullable=True),
    # A consistency audit re-serving the annotator's own earlier item (migration 0015).
    Column("retest", Boolean, nullable=False, server_default=text("false")),
    # One row per (item, annotator) ever, plus at most one retest: the structural guarantee
    # that nobody gets an item twice by accident.
    UniqueConstraint("item_id", "annotator_id", "retest"),
    CheckConstraint("state IN ('leased','submitted','skipped','expired','late')", name="state"),
    Index("ix_assignments_project_state_expires", "project_id", "state", "expires_at"),
    Index("ix_assignments_annotator", "annotator_id", "project_id", "state"),
)

annotations_table = Table(
    "annotations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("assignment_id", Integer, ForeignKey("assignments.id"), nullable=False, unique=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("annotator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("value", Text, nullable=False),
    Column("seconds", Float, nullable=True),
    Column("guideline_version", Integer, nullable=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("after_expiry", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime, nullable=False),
    Index("ix_annotations_item_id", "item_id"),
    # Per-annotator counts, and "done today" without walking all of someone's history.
    Index("ix_annotations_project_annotator_created", "project_id", "annotator_id", "created_at"),
)

# Work refused because the lease expired and the item filled meanwhile: kept, never dropped.
late_submissions = Table(
    "late_submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("assignment_id", Integer, ForeignKey("assignments.id"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("annotator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("value", Text, nullable=False),
    Column("seconds", Float, nullable=True),
    Column("guideline_version", Integer, nullable=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("assignment_id", "idempotency_key"),
    Index("ix_late_submissions_project_id", "project_id"),
    # Deleting an item cascades here (bulk delete of items): found by item, not scanned.
    Index("ix_late_submissions_item_id", "item_id"),
)

__all__ = [
    "annotations_table",
    "api_tokens",
    "assignments",
    "assist_models",
    "audit_events",
    "coaching_notes",
    "consensus_models",
    "deliveries",
    "escalations",
    "eval_runs",
    "event_marks",
    "experiment_units",
    "experiments",
    "final_labels",
    "gold_answers",
    "gold_results",
    "guideline_versions",
    "imports",
    "items",
    "jobs",
    "late_submissions",
    "llm_replies",
    "login_failures",
    "lot_samples",
    "lots",
    "memberships",
    "metadata",
    "pre_annotations",
    "predictions",
    "projects",
    "prompts",
    "retests",
    "reviews",
    "sessions",
    "set_aside_annotations",
    "spec_revisions",
    "teams",
    "users",
    "vendor_terms",
    "vendors",
    "webhook_deliveries",
    "webhooks",
]
