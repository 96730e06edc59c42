"""Tables of the quality operations: gold, review, consensus, escalations, audit, lots
(SQLAlchemy Core). Migrations in ``migrations/`` must match these."""

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
    text,
)

from labelworks.storage.metadata import metadata

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
    # Deleting an item cascades here (bulk delete of items): found by item, not scanned.
    Index("ix_gold_results_item_id", "item_id"),
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
    # Deleting an item cascades here (bulk delete of items): found by item, not scanned.
    Index("ix_set_aside_annotations_item_id", "item_id"),
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
    # Deleting an item cascades here (bulk delete of items): found by item, not scanned.
    Index("ix_reviews_item_id", "item_id"),
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
    # Deleting an item cascades here (bulk delete of items): found by item, not scanned.
    Index("ix_escalations_item_id", "item_id"),
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

# The second answer of a consistency audit (migration 0015), beside a copy of the first:
# kept apart from ``annotations`` so consensus, counters and exports never see it twice,
# and kept whole if the first annotation is later set aside.
retests = Table(
    "retests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "assignment_id",
        Integer,
        ForeignKey("assignments.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("annotator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("first_id", Integer, nullable=True),
    Column("first_value", Text, nullable=True),
    Column("first_at", DateTime, nullable=True),
    Column("value", Text, nullable=False),
    Column("seconds", Float, nullable=True),
    Column("guideline_version", Integer, nullable=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_retests_project_id_annotator_id", "project_id", "annotator_id"),
    # Deleting an item cascades here (bulk delete of items): found by item, not scanned.
    Index("ix_retests_item_id", "item_id"),
)
