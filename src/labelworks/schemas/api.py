"""Request and response bodies of ``/api/v1``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _as_utc(value: datetime) -> datetime:
    # Storage keeps naive UTC; on the wire every timestamp says it is UTC ("...Z"/"+00:00"),
    # so browsers in other time zones read it right.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class ErrorOut(BaseModel):
    code: str
    message: str
    location: dict[str, Any] | None = None
    details: dict[str, Any] | None = None


class ProgressOut(BaseModel):
    done_today: int
    remaining: int
    # Set while the annotator is not on ordinary work: a qualification test, training.
    note: str | None = None


class ItemForTask(BaseModel):
    """An item as its annotator sees it: no id, so a gold item looks like any other task."""

    payload: dict[str, Any]
    pre_annotations: list[dict[str, Any]]
    media: dict[str, str] = Field(default_factory=dict)
    # The kinds of personal data the project's privacy policy found, and the warning the
    # labeling page shows (docs/project-spec.md, "privacy"); empty when nothing was found.
    pii: list[str] = Field(default_factory=list)
    pii_note: str | None = None


class TaskOut(BaseModel):
    assignment_id: int
    item: ItemForTask
    expires_at: UtcDatetime
    guideline_version: int | None
    progress: ProgressOut | None = None


class FlagIn(BaseModel):
    """An item flagged for an expert: ambiguous (the guidelines allow more than one
    answer) or an edge case (they do not cover it), and why."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["ambiguous", "edge_case"]
    # domain.escalation.MAX_COMMENT, stated again so the wire models import no rules.
    comment: str = Field(min_length=1, max_length=2000)


class SubmitIn(BaseModel):
    value: dict[str, Any]
    seconds: float | None = Field(default=None, ge=0)
    idempotency_key: str = Field(min_length=1, max_length=200)
    flag: FlagIn | None = Field(default=None, description="send the item to the escalation queue")


class FeedbackOut(BaseModel):
    """The expert's verdict on an answer: only in training projects."""

    correct: bool
    fields: dict[str, bool]
    expert: dict[str, Any]
    explanation: str


class SubmitOut(BaseModel):
    annotation_id: int
    assignment_id: int
    created: bool
    after_expiry: bool
    # Always present; null outside training projects, so gold and ordinary submits have
    # the same shape.
    feedback: FeedbackOut | None = None


class SkipIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)
    flag: FlagIn | None = Field(default=None, description="send the item to the escalation queue")


class ProjectOut(BaseModel):
    name: str
    description: str
    overlap: int
    lease_minutes: int
    priority: int
    spec_revision: int
    guideline_version: int | None
    updated_at: UtcDatetime
    archived_at: UtcDatetime | None = None


class ArchivedOut(BaseModel):
    """A project archived (``archived_at`` set) or brought back (``null``), with the items
    that were still waiting for annotations."""

    project: str
    archived_at: UtcDatetime | None
    open_items: int


class CountsOut(BaseModel):
    items: int
    complete: int
    annotations: int
    active_leases: int
    skips: int
    late_submissions: int
    completion: float


class ProjectDetailOut(ProjectOut):
    spec: dict[str, Any]
    counts: CountsOut | None = None


class DeletedOut(BaseModel):
    """A deleted project and how many annotations went with it (0 unless forced)."""

    project: str
    annotations: int


class ApplyOut(BaseModel):
    project: str
    action: str
    spec_revision: int
    guideline_version: int | None
    guidelines_changed: bool
    forced_changes: list[str]


class ImportOut(BaseModel):
    project: str
    rows: int
    inserted: int
    skipped_duplicates: int
    # Finished annotations restored with the items, and the annotators created for them.
    annotations: int = 0
    created_annotators: list[str] = Field(default_factory=list)


class ItemRowOut(BaseModel):
    id: int
    external_id: str | None
    status: str
    n_submitted: int
    priority: int = 0
    payload_preview: str
    created_at: UtcDatetime


class AnnotationViewOut(BaseModel):
    annotator: str
    vendor: str | None
    value: dict[str, Any]
    seconds: float | None
    guideline_version: int | None
    created_at: UtcDatetime
    after_expiry: bool


class ItemDetailOut(BaseModel):
    """One item as its page shows it: payload, metadata, pre-annotations and every
    annotation the caller may see (vendor walls apply), as the project's privacy policy
    lets them see it; gold answers have their own route."""

    id: int
    external_id: str | None
    status: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    pre_annotations: list[dict[str, Any]]
    annotations: list[AnnotationViewOut]
    # What the project's privacy policy found in the payload, metadata or annotations, and
    # the warning the item page shows (for flag and redact); empty when nothing was found.
    pii: list[str] = Field(default_factory=list)
    pii_note: str | None = None


class ItemsPageOut(BaseModel):
    items: list[ItemRowOut]
    next_after: int | None
    # The id to pass as ``before`` for the previous page (None on the first).
    prev_before: int | None = None
    # Items the filters match; with ``total_capped`` the count stopped there ("1,000+").
    total: int = 0
    total_capped: bool = False


class AnnotatorCountsOut(BaseModel):
    email: str
    submitted: int
    skipped: int
    leased: int
    seconds: float  # to 0.1 s
    # Mean seconds per submitted annotation, to 0.1 s; None before the first.
    seconds_per_item: float | None = None


class StatusOut(CountsOut):
    project: str
    overlap: int
    annotators: list[AnnotatorCountsOut]


class UserOut(BaseModel):
    email: str
    name: str
    role: str
    vendor: str | None
    team: str | None
    projects: list[str]
    active: bool = True


RoleName = Literal["admin", "manager", "reviewer", "annotator"]


class UserIn(BaseModel):
    email: str = Field(max_length=320)
    role: RoleName = "annotator"
    name: str = Field(default="", max_length=200)
    projects: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=100
    )
    vendor: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=1000)
    token: bool = Field(default=False, description="admins only: also create an API token")


class MemberIn(BaseModel):
    email: str = Field(max_length=320, description="an existing person's email")


class UserCreatedOut(BaseModel):
    user: UserOut
    token: str | None


class TokenIn(BaseModel):
    label: str = Field(default="", max_length=200)


class TokenOut(BaseModel):
    token: str


class TokenInfoOut(BaseModel):
    id: int
    label: str
    created_at: UtcDatetime
