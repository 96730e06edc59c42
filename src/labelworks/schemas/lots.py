"""Request and response bodies of the lot routes of ``/api/v1``: lots of annotations
judged by acceptance sampling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

# The services' bounds (services.lots), stated again here so the wire models, shared with
# the SDK, never import the services.
MAX_NAME = 200
MAX_NOTE = 2_000
MAX_ID = 2**31 - 1
# No NUL: PostgreSQL's text cannot hold one.
NO_NUL = r"^[^\x00]*$"

LotStatus = Literal["auditing", "accepted", "rejected"]
Verdict = Literal["ok", "defect"]


def _naive_utc(value: datetime) -> datetime:
    # Storage keeps naive UTC: a moment with an offset is converted, one without is UTC.
    try:
        return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError("the moment is out of range once converted to UTC") from None


Moment = Annotated[datetime, AfterValidator(_naive_utc)]


class LotIn(BaseModel):
    """A new lot: the annotations of an import, of a vendor's people and/or of a date range
    (``since`` inclusive, ``until`` exclusive; UTC unless an offset says otherwise), and the
    plan's quality levels (defect rates in (0, 1), ``aql`` < ``ltpd``) and risks."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=NO_NUL)
    aql: float = Field(gt=0, lt=1, description="acceptable quality level, a defect rate")
    ltpd: float = Field(gt=0, lt=1, description="lot tolerance percent defective, a rate")
    import_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    vendor: str | None = Field(default=None, min_length=1, max_length=MAX_NAME, pattern=NO_NUL)
    since: Moment | None = None
    until: Moment | None = None
    producer_risk: float = Field(default=0.05, gt=0, lt=1)
    consumer_risk: float = Field(default=0.10, gt=0, lt=1)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)


class SampleVerdictIn(BaseModel):
    """An auditor's verdict on one sampled annotation."""

    model_config = ConfigDict(extra="forbid")

    defect: bool
    note: str = Field(default="", max_length=MAX_NOTE, pattern=NO_NUL)


class LotOut(BaseModel):
    """A lot: which annotations it holds (``selector``), how many (``size``), its plan
    (``sample_size`` n, ``acceptance_number`` c, the risks achieved and asked for, …), its
    ``status`` and, once decided, the ``decision`` with its evidence (``accepted``,
    ``defects``, ``rate_upper_bound``, ``summary``, ``plan``)."""

    id: int
    name: str
    selector: dict[str, Any]
    size: int
    plan: dict[str, Any]
    status: LotStatus
    decision: dict[str, Any] | None
    created_at: UtcDatetime
    decided_at: UtcDatetime | None


class SampleOut(BaseModel):
    """One sampled annotation: its item's content and the value (``null`` once a rejected
    lot set it aside), and the auditor's verdict (``null`` until audited)."""

    annotation_id: int
    item_id: int | None
    payload: dict[str, Any] | None
    value: dict[str, Any] | None
    verdict: Verdict | None
    note: str


class LotDetailOut(LotOut):
    """A lot with its plan in words, its progress and its sample."""

    summary: str
    audited: int
    defects: int
    samples: list[SampleOut]
