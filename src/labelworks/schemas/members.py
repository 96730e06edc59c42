"""Request and response bodies of the member routes of ``/api/v1``: a project's members,
a password reset by their manager, and an admin's view of someone's API tokens."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime


class MemberOut(BaseModel):
    email: str
    name: str
    role: str
    vendor: str | None
    team: str | None
    active: bool
    joined_at: UtcDatetime
    last_annotation_at: UtcDatetime | None = Field(
        description="their latest annotation in the project; null before the first"
    )


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(
        default=None,
        max_length=1000,
        description="the new password (at least 8 characters); null: generate one",
    )


class PasswordResetOut(BaseModel):
    email: str
    password: str | None = Field(
        description="the generated password, shown once; null when the caller chose it"
    )


class UserTokenOut(BaseModel):
    id: int
    label: str
    created_at: UtcDatetime
