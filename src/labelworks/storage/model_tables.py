"""Tables of the models that assist labelling (SQLAlchemy Core). Migrations must match."""

from sqlalchemy import (
    Boolean,
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

# One row per training of a project's baseline model (spec ``assist``): what it learnt from
# and how well it did on folds it did not see. Its suggestions are pre-annotations.
assist_models = Table(
    "assist_models",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("trained_at", DateTime, nullable=False),
    Column("job_id", Integer, ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True),
    # Texts it learnt from, and the project's decided final labels at the time (the count
    # the next training is due from).
    Column("labels", Integer, nullable=False),
    Column("decided", Integer, nullable=False),
    Column("folds", Integer, nullable=False),
    Column("accuracy", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("macro_f1", Float, nullable=False),
    # {label: how many final labels said it}, JSON.
    Column("counts", Text, nullable=False),
    Column("suggested", Integer, nullable=False),
    # Of its suggestions, those on items decided before the next training replaced them
    # (set then), and how many of those the final label agreed with.
    Column("checked", Integer, nullable=False, server_default="0"),
    Column("confirmed", Integer, nullable=False, server_default="0"),
    Column("seconds", Float, nullable=False),
    Index("ix_assist_models_project_id_version", "project_id", "version", unique=True),
)

# Models' answers for items (``domain.predictions``), apart from annotations: one row per
# item, model and version (a push of the same again replaces it).
predictions = Table(
    "predictions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("version", String(100), nullable=False, server_default=""),
    Column("value", Text, nullable=False),
    Column("score", Float, nullable=True),
    # {field: {label: probability}}, JSON, or NULL.
    Column("probabilities", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("item_id", "model", "version"),
    Index("ix_predictions_project_model", "project_id", "model", "version"),
)

# A stored evaluation of one model version on one field against a reference (``eval run``):
# its settings and the whole report as JSON, so a run reads back as it was computed.
eval_runs = Table(
    "eval_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("version", String(100), nullable=False),
    Column("field", String(200), nullable=False),
    Column("against", String(10), nullable=False),
    Column("slice_key", String(200), nullable=True),
    Column("items", Integer, nullable=False),
    Column("headline", Float, nullable=True),
    Column("report", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200), nullable=True),
    Index("ix_eval_runs_project_id", "project_id", "id"),
)

# The prompt registry (``domain.prompts``): every version of every prompt, global (no
# project), immutable once written. ``variables`` is {name: description} and ``parameters``
# the model parameters given, both JSON; ``content_hash`` tells a push of the same content.
prompts = Table(
    "prompts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("template", Text, nullable=False),
    Column("variables", Text, nullable=False),
    Column("parameters", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200), nullable=True),
    UniqueConstraint("name", "version"),
)

# Replies of language models behind chat endpoints (``services.llm_runs``): an LLM judge's
# verdicts on campaign items (``task`` "judge:NAME", ``swapped`` for the order with the
# outputs exchanged) and prompt generations (``task`` "generate:MODEL@VERSION"). One row per
# distinct request: ``request_hash`` covers the prompt version, the model, the item and the
# whole rendered request, so a re-run finds its answers here and asks again only for what
# failed. ``parsed`` is the reply read as the task needs it (JSON), NULL unless ``ok``.
llm_replies = Table(
    "llm_replies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("task", String(320), nullable=False),
    # The item asked about; NULL for a campaign input row not imported yet (``row_key``: the
    # row's id), whose outputs a generation writes for a campaign import.
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=True),
    Column("row_key", String(400), nullable=True),
    Column("swapped", Boolean, nullable=False, server_default=text("false")),
    Column("prompt", String(64), nullable=False),
    Column("prompt_version", Integer, nullable=False),
    Column("model", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    # ok | malformed (answered, but not in the form asked for) | failed (no answer)
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=True),
    Column("parsed", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("prompt_tokens", Integer, nullable=True),
    Column("completion_tokens", Integer, nullable=True),
    Column("seconds", Float, nullable=False),
    Column("job_id", Integer, ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("project_id", "task", "request_hash"),
    Index("ix_llm_replies_task_item", "project_id", "task", "item_id"),
)
