"""Wire models of guideline acknowledgement and re-queueing."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RequeueOutdatedIn(BaseModel):
    """Which annotations to send back: those made under versions older than
    ``before_version`` (default: the current one), optionally only with ``label`` in
    ``field``."""

    model_config = ConfigDict(extra="forbid")

    before_version: int | None = Field(default=None, ge=1, le=2_147_483_647)
    field: str | None = Field(default=None, min_length=1, max_length=200)
    label: str | int | None = None


class RequeuedOut(BaseModel):
    requeued: int
