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


class EventOut(BaseModel):
    at: UtcDatetime
    kind: str
    who: str | None
    text: str


class ActivityOut(BaseModel):
    """The last 30 days (oldest first, every day present), annotations done and needed,
    the last 7 days' total, the first categorical field's label counts, and the newest
    events (imports, spec and guideline changes, and quality actions for those who may
    read the audit trail)."""

    project: str
    days: list[DayOut]
    done: int
    needed: int
    last_week: int
    label_field: str | None
    labels: list[LabelCountOut]
    recent: list[EventOut]
