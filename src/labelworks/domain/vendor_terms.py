"""A vendor's contract: the rate card (what an accepted annotation and an active hour cost,
in one currency), the service levels it promised, and a contact; money that refuses to be
added across currencies; and the periods statements and scorecards are drawn over.

Amounts are ``Decimal``: a statement is a sum of thousands of small prices, and binary
floats would make its lines and its total disagree in the last cent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.fields import FIELD_KINDS, StrictInt
from labelworks.domain.period import week_of
from labelworks.domain.plan_spec import CURRENCY

MAX_RATE = 1_000_000.0
MAX_HOURS = 24.0 * 366
MAX_VOLUME = 100_000_000
MAX_CONTACT = 500
# A line of a statement is kept to a hundredth of a cent: per-hour work makes fractions,
# and rounding each line (not the total) keeps the lines summing to the total exactly.
LINE_STEP = Decimal("0.0001")
# Who is not a vendor's: people with no vendor, shown under this name.
INTERNAL = "internal"
NO_NUL = r"^[^\x00]*$"
# Numbers as JSON gives them: an int or a float, never a bool or a numeric string.
Number = Annotated[float, Field(strict=True)]


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Adding two currencies is refused, never converted."""

    amount: Decimal
    currency: str

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise InvalidInput(
                f"cannot add {other.currency} to {self.currency}: these rate cards are in "
                "two currencies, and labelworks does not convert between them"
            )
        return Money(self.amount + other.amount, self.currency)

    def per(self, count: int) -> Money | None:
        """The amount shared over ``count`` (``None`` for none: nothing to divide by)."""
        if count <= 0:
            return None
        return Money(self.amount / count, self.currency)

    def text(self, places: int = 2) -> str:
        step = Decimal(1).scaleb(-places)
        return f"{self.amount.quantize(step, rounding=ROUND_HALF_UP):,} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of ``amounts``, all in ``currency`` (another currency is refused)."""
    found = Money(Decimal(0), currency)
    for amount in amounts:
        found = found + amount
    return found


def decimal_of(value: float) -> Decimal:
    """A rate as the decimal it was written as (0.05, not 0.05000000000000000277)."""
    return Decimal(repr(value))


class SlaTargets(BaseModel):
    """The service levels: ``percentile`` % of annotations submitted within
    ``lease_to_submit_hours`` of their lease, and of items given a final label within
    ``import_to_final_hours`` of their import; gold accuracy at least ``quality_floor``;
    at least ``weekly_volume`` accepted annotations each full ISO week. Each is optional."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    percentile: Number = Field(default=90.0, ge=50.0, le=99.9)
    lease_to_submit_hours: Number | None = Field(default=None, gt=0, le=MAX_HOURS)
    import_to_final_hours: Number | None = Field(default=None, gt=0, le=MAX_HOURS)
    quality_floor: Number | None = Field(default=None, ge=0, le=1)
    weekly_volume: StrictInt | None = Field(default=None, ge=1, le=MAX_VOLUME)

    @property
    def any(self) -> bool:
        return any(
            v is not None
            for v in (
                self.lease_to_submit_hours,
                self.import_to_final_hours,
                self.quality_floor,
                self.weekly_volume,
            )
        )


class VendorTerms(BaseModel):
    """A vendor's contract. ``per_annotation`` prices an accepted annotation by the kind of
    each field it answers (``choice``, ``spans``, … as in the label schema); ``per_hour``
    prices the active hours of accepted annotations. Either, both, or neither (no price
    known yet) may be given; every amount is in ``currency``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    currency: str
    per_annotation: dict[str, Number] = Field(default_factory=dict)
    per_hour: Number | None = Field(default=None, ge=0, le=MAX_RATE)
    sla: SlaTargets = Field(default_factory=SlaTargets)
    contact: str = Field(default="", max_length=MAX_CONTACT, pattern=NO_NUL)

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, code: str) -> str:
        if not re.fullmatch(CURRENCY, code):
            raise ValueError(
                f"currency must be an ISO 4217 code, three capital letters (USD, EUR), not {code!r}"
            )
        return code

    @field_validator("per_annotation")
    @classmethod
    def _known_kinds(cls, rates: dict[str, float]) -> dict[str, float]:
        for kind, rate in rates.items():
            if kind not in FIELD_KINDS:
                raise ValueError(f"unknown field kind {kind!r} (kinds: {', '.join(FIELD_KINDS)})")
            if not 0 <= rate <= MAX_RATE:
                raise ValueError(f"the rate of {kind} must be between 0 and {MAX_RATE:,.0f}")
        return rates

    @property
    def priced(self) -> bool:
        """Whether the card prices anything."""
        return bool(self.per_annotation) or self.per_hour is not None

    def price(self, kinds: Sequence[str], seconds: float | None) -> Money | None:
        """What one accepted annotation answering fields of ``kinds`` (one entry per field)
        and taking ``seconds`` of active time costs, to ``LINE_STEP``; ``None`` when the
        card prices annotations but not one of these kinds, or prices nothing."""
        if not self.priced:
            return None
        amount = Decimal(0)
        if self.per_annotation:
            for kind in kinds:
                if kind not in self.per_annotation:
                    return None
                amount += decimal_of(self.per_annotation[kind])
        if self.per_hour is not None and seconds:
            amount += decimal_of(self.per_hour) * decimal_of(seconds) / 3600
        return Money(amount.quantize(LINE_STEP, rounding=ROUND_HALF_UP), self.currency)

    def missing(self, kinds: Iterable[str]) -> list[str]:
        """The ``kinds`` a card that prices annotations has no rate for."""
        if not self.per_annotation:
            return []
        return sorted({k for k in kinds if k not in self.per_annotation})


def terms_from_dict(data: Mapping[str, Any]) -> VendorTerms:
    """Validated terms, or ``InvalidInput`` naming the first wrong field."""
    try:
        return VendorTerms.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(message, location=Location(field=field or None)) from None


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in naive UTC (``None``: unbounded), and how it was asked for."""

    label: str
    start: datetime | None = None
    end: datetime | None = None

    def holds(self, moment: datetime) -> bool:
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )


ALL_TIME = Period("all time")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DAYS = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
PERIOD_FORMS = "YYYY-MM (a month), YYYY-Www (an ISO week), YYYY-MM-DD..YYYY-MM-DD or 'all'"


def period_of(text: str | None) -> Period:
    """The period ``text`` names: a month (``2026-11``), an ISO week (``2026-W48``), days
    ``2026-11-01..2026-11-30`` (both included) or ``all``/nothing for all time."""
    if text is None or text.strip() in ("", "all"):
        return ALL_TIME
    text = text.strip()
    try:
        if m := _MONTH.match(text):
            year, month = int(m[1]), int(m[2])
            start = datetime(year, month, 1)
            end = datetime(year + month // 12, month % 12 + 1, 1)
            return Period(text, start, end)
        if m := _WEEK.match(text):
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            start = datetime(monday.year, monday.month, monday.day)
            return Period(text, start, start + timedelta(days=7))
        if m := _DAYS.match(text):
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if last < first:
                raise ValueError("the period ends before it starts")
            start = datetime(first.year, first.month, first.day)
            return Period(text, start, datetime(last.year, last.month, last.day) + timedelta(1))
    except ValueError as exc:
        raise InvalidInput(f"period {text!r}: {exc}", location=_PERIOD) from None
    raise InvalidInput(f"period {text!r} is not one of {PERIOD_FORMS}", location=_PERIOD)


_PERIOD = Location(field="period")


def weeks_between(start: date, end: date) -> list[str]:
    """The ISO weeks from the one holding ``start`` to the one holding ``end``, in order."""
    monday = start - timedelta(days=start.weekday())
    found = []
    while monday <= end:
        found.append(week_of(monday))
        monday += timedelta(days=7)
    return found
