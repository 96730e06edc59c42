"""Response bodies of the qualification routes of ``/api/v1``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

QualificationState = Literal[
    "untested", "training", "not_started", "testing", "blocked", "qualified"
]


class QualificationRuleOut(BaseModel):
    """``quality.qualification``: ``items`` answers an attempt, a share ``pass`` of them
    right to pass, and ``retries`` further attempts after a failed one."""

    model_config = ConfigDict(populate_by_name=True)

    items: int
    pass_: float = Field(alias="pass")
    retries: int


class MemberQualificationOut(BaseModel):
    email: str
    name: str
    role: str
    vendor: str | None
    state: QualificationState = Field(
        description="untested (no test), training, not_started, testing, blocked or qualified"
    )
    qualified_at: UtcDatetime | None
    failed_attempts: int
    attempt: int | None = Field(description="the attempt under way while they must still pass")
    answered: int = Field(description="answers in the current attempt")
    correct: int = Field(description="right answers in the current attempt")
    questions_left: int = Field(description="gold items they have not been served yet")
    gold_answered: int = Field(description="every scored gold answer (training: the score)")
    gold_correct: int


class QualificationOut(BaseModel):
    project: str
    rule: QualificationRuleOut | None
    training: bool
    gold_items: int
    members: list[MemberQualificationOut]
