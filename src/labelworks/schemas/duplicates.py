"""Request and response bodies of the near-duplicate routes of ``/api/v1``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The services' bounds (services.duplicates), stated again so the SDK never imports them.
MAX_KEY = 200
NO_NUL = r"^[^\x00]*$"


class DuplicateMemberOut(BaseModel):
    id: int
    external_id: str | None
    preview: str = Field(description="the text's start, or the image's path")


class DuplicateClusterOut(BaseModel):
    size: int
    representative: int = Field(description="the earliest item, the one keep-one keeps")
    members: list[DuplicateMemberOut]


class SkippedItemOut(BaseModel):
    id: int
    reason: str


class DuplicateReportOut(BaseModel):
    """Clusters of near-duplicate items; ``skipped`` counts items without a text or a
    readable image under the key (the first 20 are named in ``skipped_items``)."""

    project: str
    kind: Literal["text", "image"]
    key: str
    threshold: float
    max_distance: int | None = Field(description="images: the Hamming distance allowed")
    scanned: int
    duplicates: int = Field(description="items keep-one would remove")
    skipped: int
    skipped_items: list[SkippedItemOut]
    clusters: list[DuplicateClusterOut]


class KeepOneIn(BaseModel):
    """Which duplicates: by ``text_key`` or ``image_key`` (one of them) at ``threshold``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    text_key: str | None = Field(default=None, min_length=1, max_length=MAX_KEY, pattern=NO_NUL)
    image_key: str | None = Field(default=None, min_length=1, max_length=MAX_KEY, pattern=NO_NUL)
    threshold: float = Field(default=0.85, gt=0, le=1)


class KeptOneOut(DuplicateReportOut):
    removed: list[int] = Field(description="the items deleted, every member but the earliest")
