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
