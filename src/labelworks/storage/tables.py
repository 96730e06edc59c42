"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/`` must match these."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# Deterministic constraint names so Alembic migrations are the same on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
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
    # One row per (item, annotator) ever: the structural guarantee that nobody gets an item twice.
    UniqueConstraint("item_id", "annotator_id"),
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
)

# The expert answer of a gold item; never read by an annotator- or vendor-facing route.
gold_answers = Table(
    "gold_answers",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("value", Text, nullable=False),
    Column("explanation", Text, nullable=False, server_default=""),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_gold_answers_project_id", "project_id"),
)

# One row per annotation of a gold item, scored when it was submitted: ``fields`` maps each
# field of the expert answer to whether the annotator matched it (JSON).
gold_results = Table(
    "gold_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("annotator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("annotation_id", Integer, nullable=False, unique=True),
    Column("correct", Boolean, nullable=False),
    Column("fields", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index(
        "ix_gold_results_project_id_annotator_id_created_at",
        "project_id",
        "annotator_id",
        "created_at",
    ),
)

# Annotations taken out of the data set (e.g. a paused annotator's work, sent back for
# others to redo): kept whole, never deleted, so nothing submitted is lost.
set_aside_annotations = Table(
    "set_aside_annotations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("annotation_id", Integer, nullable=False),
    Column("assignment_id", Integer, nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("annotator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("value", Text, nullable=False),
    Column("seconds", Float, nullable=True),
    Column("guideline_version", Integer, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_aside_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("set_aside_at", DateTime, nullable=False),
    Index("ix_set_aside_annotations_project_id", "project_id"),
)

# An item's final label (migration 0007): decided by the project's consensus method when
# the item reached its overlap, or sent to adjudication, or decided there by an expert.
final_labels = Table(
    "final_labels",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("value", Text, nullable=False),
    Column("method", String(20), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("fields", Text, nullable=False),
    Column("n_annotations", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("annotation_ids", Text, nullable=False),
    Column("decided_at", DateTime, nullable=False),
    # The adjudicator who decided it (NULL: the consensus method) and their note.
    Column("decided_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    CheckConstraint("status IN ('final','adjudication','adjudicated')", name="status"),
    Index("ix_final_labels_project_id_status", "project_id", "status"),
)

# The project's fitted consensus model (priors, confusions, weights per categorical field,
# JSON), refitted in the background as annotations accumulate.
consensus_models = Table(
    "consensus_models",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("method", String(20), nullable=False),
    Column("models", Text, nullable=False),
    Column("n_annotations", Integer, nullable=False),
    Column("fitted_at", DateTime, nullable=False),
)

# Each delivery of a project's labels (migration 0010): where it was written, whether the
# acceptance criteria were met or the delivery forced past them, the criteria as measured
# (JSON), and who delivered it (a user, or the name a local operator gave).
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("path", Text, nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("forced", Boolean, nullable=False),
    Column("criteria", Text, nullable=False),
    Column("n_items", Integer, nullable=False),
    Column("delivered_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("delivered_by_name", String(320), nullable=False, server_default=""),
    Column("delivered_at", DateTime, nullable=False),
    Index("ix_deliveries_project_id", "project_id"),
)

# Submitted annotations sampled for review (migration 0011): ``why`` they were picked
# (``first_n``: among the annotator's first ones; ``sample``: the review rate), the
# reviewer's decision, a reason code from the spec's list, and a fix kept beside the
# original value.
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("annotation_id", Integer, nullable=False, unique=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("annotator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("why", String(20), nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason", String(200), nullable=True),
    Column("comment", Text, nullable=False, server_default=""),
    Column("fixed_value", Text, nullable=True),
    Column("reviewer_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("decided_at", DateTime, nullable=True),
    CheckConstraint("status IN ('pending','accepted','rejected','fixed')", name="status"),
    Index("ix_reviews_project_id_status", "project_id", "status"),
    Index("ix_reviews_project_id_annotator_id", "project_id", "annotator_id"),
)

# Annotators' flags (migration 0012): an item is ambiguous or an edge case, said with a
# skip or a submit of it; an expert resolves each once (an answer, a note, the guideline
# section that must change, whether the item became gold). Resolved flags are the
# project's edge-case library.
escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("annotator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("assignment_id", Integer, nullable=False, unique=True),
    Column("kind", String(12), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("status", String(10), nullable=False, server_default="open"),
    Column("resolved_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("resolved_at", DateTime, nullable=True),
    Column("answer", Text, nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    Column("guideline_section", String(200), nullable=True),
    Column("made_gold", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("kind IN ('ambiguous','edge_case')", name="kind"),
    CheckConstraint("status IN ('open','resolved')", name="status"),
    Index("ix_escalations_project_id_status_id", "project_id", "status", "id"),
)

# The audit trail (migration 0013): every quality decision on a project — who (NULL: the
# system, e.g. an auto-pause, or a local operator), what, on what, when, under which
# guideline version — append-only.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("action", String(40), nullable=False),
    Column("subject", String(200), nullable=False, server_default=""),
    Column("details", Text, nullable=False, server_default="{}"),
    Column("guideline_version", Integer, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_audit_events_project_id_id", "project_id", "id"),
)

# Lots (migration 0014): a set of annotations (an import batch, a vendor's delivery, a date
# range) judged by acceptance sampling. ``selector`` says which annotations, ``plan`` the
# sampling plan (JSON), ``decision`` the verdict and its evidence.
lots = Table(
    "lots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("selector", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("plan", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("decision", Text, nullable=True),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("decided_at", DateTime, nullable=True),
    CheckConstraint("status IN ('auditing','accepted','rejected')", name="status"),
    Index("ix_lots_project_id", "project_id"),
)

# The annotations drawn for a lot's audit, in draw order, and each auditor's verdict.
lot_samples = Table(
    "lot_samples",
    metadata,
    Column("lot_id", Integer, ForeignKey("lots.id", ondelete="CASCADE"), primary_key=True),
    Column("annotation_id", Integer, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("verdict", String(8), nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    Column("auditor_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("audited_at", DateTime, nullable=True),
)
