"""The manager's preview of the labeling page: items as annotators receive them, unleased."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from labelworks.schemas.api import ItemForTask


class PreviewOut(BaseModel):
    """One item as its annotator would get it, with its id and place (no lease, no expiry)."""

    item_id: int
    item: ItemForTask
    guideline_version: int | None
    total: int


class PreviewCheckIn(BaseModel):
    """An answer to check as a submit would, without storing it."""

    model_config = ConfigDict(extra="forbid")

    item_id: int
    value: dict[str, Any]
