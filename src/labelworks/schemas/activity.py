"""A project's activity as the Overview shows it: per day, labels, recent events."""

from __future__ import annotations

from pydantic import BaseModel

from labelworks.schemas.api import UtcDatetime


class DayOut(BaseModel):
    day: str
    annotations: int
    cumulative: int


class LabelCountOut(BaseModel):
    label: str
    annotations: int


class VendorDayOut(BaseModel):
    day: str
    vendor: str | None
    annotations: int


class GoldWeekOut(BaseModel):
    week: str
    correct: int
    answered: int
    accuracy: float
    low: float
    high: float


class EventOut(BaseModel):
    at: UtcDatetime
    kind: str
    who: str | None
    text: str


class ActivityOut(BaseModel):
    """The last 30 days (oldest first, every day present), annotations done and needed,
    the last 7 days' total, the first categorical field's label counts, the days split by
    the annotators' vendors (``vendor`` null for the organisation's own people), gold
    accuracy per ISO week of the last 12 with its 95% Wilson interval, and the newest
    events (imports, spec and guideline changes, and quality actions for those who may
    read the audit trail)."""

    project: str
    days: list[DayOut]
    done: int
    needed: int
    last_week: int
    label_field: str | None
    labels: list[LabelCountOut]
    vendor_days: list[VendorDayOut]
    gold_weeks: list[GoldWeekOut]
    recent: list[EventOut]
