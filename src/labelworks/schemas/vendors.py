"""Request and response bodies of ``/api/v1/vendors``: vendors' terms, scorecards, usage
statements and comparisons.

Amounts of money are decimal strings (``"1.25"``) beside their currency, so a statement's
lines add up to its total exactly; turnarounds are hours. Responses are read from the
services' results by attribute (``model_validate(result, from_attributes=True)``), so the
field names are theirs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

# The domain's bounds (domain.vendor_terms), stated again for the wire models the SDK
# shares (they never import the core).
MAX_RATE = 1_000_000.0
MAX_HOURS = 24.0 * 366
MAX_VOLUME = 100_000_000
MAX_CONTACT = 500
FIELD_KINDS = ("choice", "multi_choice", "spans", "boxes", "segments", "pairwise", "rating", "text")

_READ = ConfigDict(from_attributes=True)
Rate = Annotated[float, Field(ge=0, le=MAX_RATE, strict=True)]


class SlaIn(BaseModel):
    """Service levels: ``percentile`` % of annotations submitted within
    ``lease_to_submit_hours`` of their lease, and of items finalised within
    ``import_to_final_hours`` of their import; gold accuracy at least ``quality_floor``;
    ``weekly_volume`` annotations each full ISO week. Each is optional."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, from_attributes=True)

    percentile: float = Field(default=90.0, ge=50.0, le=99.9, strict=True)
    lease_to_submit_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS, strict=True)
    import_to_final_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS, strict=True)
    quality_floor: float | None = Field(default=None, ge=0, le=1, strict=True)
    weekly_volume: int | None = Field(default=None, ge=1, le=MAX_VOLUME, strict=True)


class VendorTermsIn(BaseModel):
    """A vendor's contract: ``currency`` (ISO 4217), ``per_annotation`` {field kind: price
    of an accepted annotation}, ``per_hour`` (price of an active hour), ``sla``, ``contact``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, from_attributes=True)

    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")
    per_annotation: dict[str, Rate] = Field(
        default_factory=dict,
        description=f"price per accepted annotation by field kind ({', '.join(FIELD_KINDS)})",
        max_length=len(FIELD_KINDS),
    )
    per_hour: float | None = Field(default=None, ge=0, le=MAX_RATE, strict=True)
    sla: SlaIn = Field(default_factory=SlaIn)
    contact: str = Field(default="", max_length=MAX_CONTACT, pattern=r"^[^\x00]*$")


class VendorOut(BaseModel):
    """A vendor and its terms (``None`` until set)."""

    model_config = _READ

    vendor: str
    terms: VendorTermsIn | None
    updated_at: UtcDatetime | None


class MoneyOut(BaseModel):
    model_config = _READ

    amount: Decimal
    currency: str


class ProportionOut(BaseModel):
    """``hits`` of ``n``, the share and its 95% Wilson interval (``None`` when ``n`` is 0)."""

    model_config = _READ

    hits: int
    n: int
    value: float | None
    low: float | None
    high: float | None


class TurnaroundOut(BaseModel):
    """Turnaround in hours: median, P90 and the value at the SLA's ``percentile``; the
    share ``within`` the ``target`` and whether it is ``met`` (``None``: no target)."""

    model_config = _READ

    n: int
    p50: float | None
    p90: float | None
    at_percentile: float | None
    percentile: float
    target: float | None
    within: float | None
    met: bool | None


class CostOut(BaseModel):
    """What the billed annotations cost (``amount`` ``None`` when none could be priced),
    per accepted annotation, and how many were billed, priced and unpriced (``missing``:
    kinds without a rate)."""

    model_config = _READ

    amount: MoneyOut | None
    per_accepted: MoneyOut | None
    billed: int
    priced: int
    unpriced: int
    missing: list[str]
    hours: float


class WeekOut(BaseModel):
    model_config = _READ

    week: str
    delivered: int
    accuracy: ProportionOut
    lease_hours: float | None
    final_hours: float | None


BreachTarget = Literal["lease_to_submit", "import_to_final", "quality_floor", "weekly_volume"]


class BreachOut(BaseModel):
    """A week that missed a target; ``certain`` is false for a quality shortfall whose
    interval still reaches the floor."""

    model_config = _READ

    week: str
    target: BreachTarget
    observed: float
    limit: float
    text: str
    certain: bool


class ScorecardOut(BaseModel):
    """A vendor's period (``internal``: the in-house people): volume by billing status,
    gold accuracy and review acceptance with intervals, turnarounds, cost, weekly trend,
    breaches and the SLA status (``met``, ``breached``, ``no targets``, ``no data``)."""

    model_config = _READ

    vendor: str
    in_house: bool
    period: str
    terms: VendorTermsIn | None
    empty: bool
    delivered: int
    billed: int
    held: int
    reworked: int
    rejected: int
    set_aside: int
    accuracy: ProportionOut
    review_acceptance: ProportionOut
    lease: TurnaroundOut
    final: TurnaroundOut
    cost: CostOut
    weeks: list[WeekOut]
    breaches: list[BreachOut]
    sla: Literal["met", "breached", "no targets", "no data"]


class ScorecardsOut(BaseModel):
    model_config = _READ

    period: str
    cards: list[ScorecardOut]


BillingStatus = Literal["billed", "held", "reworked", "rejected"]


class StatementLineOut(BaseModel):
    """One annotation of the statement: ``rate`` the per-annotation price of its field
    kinds, ``amount`` what it is billed (0 unless ``billed``; ``None`` when unpriced)."""

    model_config = _READ

    annotation_id: int
    project: str
    item_id: int
    external_id: str | None
    annotator: str
    submitted_at: UtcDatetime
    kinds: list[str]
    status: BillingStatus
    seconds: float | None
    rate: Decimal | None
    amount: Decimal | None


class StatementOut(BaseModel):
    """A vendor's usage statement: the lines, their total, and the counts behind it
    (``rejected`` and ``set_aside``: annotations out of the data set, not billed)."""

    model_config = _READ

    vendor: str
    period: str
    currency: str | None
    total: MoneyOut | None
    empty: bool
    billed: int
    held: int
    reworked: int
    rejected: int
    set_aside: int
    unpriced: int
    missing: list[str]
    lines: list[StatementLineOut]


class DifferenceOut(BaseModel):
    """Accuracy of A and B and A − B with its 95% interval; ``design`` ``paired`` (with
    McNemar's exact ``p_value``) or ``independent``."""

    model_config = _READ

    design: Literal["paired", "independent"]
    n_a: int
    n_b: int
    accuracy_a: float
    accuracy_b: float
    estimate: float
    low: float
    high: float
    p_value: float | None
    significant: bool


class ComparisonOut(BaseModel):
    model_config = _READ

    project: str
    a: str
    b: str
    items_a: int
    items_b: int
    shared: int
    difference: DifferenceOut | None
    reading: str


__all__ = [
    "ComparisonOut",
    "ScorecardOut",
    "ScorecardsOut",
    "StatementOut",
    "VendorOut",
    "VendorTermsIn",
]
