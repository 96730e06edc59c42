"""Request and response bodies of the job routes of ``/api/v1``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobOut(BaseModel):
    """A background job: what it does, how far it got, and how it ended."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    project: str | None
    state: JobState
    params: dict[str, Any]
    unit: str = Field(default="items", description="what done and total count: items, bytes, …")
    done: int = Field(description="units of work done")
    total: int | None = Field(description="units in all, once known")
    result: dict[str, Any] | None
    error: str | None
    error_code: str | None = Field(
        default=None,
        description="the error's stable code when the work itself refused (as the API's "
        "answers carry), null for an unexpected failure",
    )
    attempts: int
    max_attempts: int
    cancel_requested: bool
    started_by: str | None = Field(description="who started it (null: a local operator)")
    worker: str | None
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None


class ExportJobIn(BaseModel):
    """An export to run in the background: a row format (jsonl, csv, parquet) or a dataset
    format (coco, yolo, voc, conll, docbin, hf, labelstudio)."""

    model_config = ConfigDict(extra="forbid")

    format: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    labels: Literal["final", "all"] = "final"
    aggregate: Literal["majority", "dawid_skene"] | None = None
    val_fraction: float = Field(
        default=0.2,
        ge=0,
        lt=1,
        allow_inf_nan=False,
        description="yolo: the share of images without a metadata split that go to validation",
    )


class StartJobIn(BaseModel):
    """A job to start on a project by its kind, with that kind's parameters. Imports are
    not among the kinds: their parameters name a server path, so only the server starts
    them, for an upload it kept."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["export", "media", "duplicates", "pii", "sample", "train"]
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="export: format, labels, aggregate; media: force, workers; duplicates: "
        "text_key or image_key, threshold, keep_one; pii: none; sample: strategy, n, into, by, "
        "vectors, measure, equal, seed (as the CLI's options); train: none (the spec's "
        "assist section says what to learn)",
    )
