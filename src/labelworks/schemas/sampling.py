"""Request and response bodies of the sampling route of ``/api/v1``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The services' bounds (services.sampling), stated again so the SDK never imports them.
MAX_KEY = 200
MAX_SAMPLE = 100_000
NO_NUL = r"^[^\x00]*$"


class SampleIn(BaseModel):
    """What to sample and where to copy it (see ``services.sampling``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    strategy: Literal["random", "stratified", "diverse", "uncertain"]
    n: int = Field(ge=1, le=MAX_SAMPLE)
    into: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    by: str | None = Field(default=None, min_length=1, max_length=MAX_KEY, pattern=NO_NUL)
    vectors: str | None = Field(default=None, min_length=1, max_length=MAX_KEY, pattern=NO_NUL)
    measure: Literal["least", "margin", "entropy"] = "least"
    equal: bool = False
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    preview: bool = Field(default=False, description="pick, but copy nothing")


class StratumOut(BaseModel):
    stratum: str
    available: int
    sampled: int


class PickOut(BaseModel):
    item: int
    reason: str | float = Field(description="the stratum, k-center distance or uncertainty")


class SampleOut(BaseModel):
    project: str
    into: str
    strategy: str
    n: int
    seed: int | None
    preview: bool
    allocation: list[StratumOut]
    picks: list[PickOut]
    inserted: int
    skipped_duplicates: int
    suggestions: int = Field(description="the copies' pre-annotations carried over")
    suggestions_left: int = Field(
        description="pre-annotations not carried: the target's fields do not take them"
    )
