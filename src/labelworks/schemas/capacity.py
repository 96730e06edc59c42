"""Capacity planning on the wire: a project's forecast and the allocation across projects."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class WorkloadOut(BaseModel):
    """Annotations left by where they come from; ``overlap`` is the expected overlap the
    items without a target of their own were counted at."""

    overlap: float
    items: int
    items_short: int
    ordinary: float
    dynamic: float
    rework: float
    gold: float
    total: float


class OverheadsOut(BaseModel):
    """Shares of work: ``gold_rate`` of all annotations on gold items, ``review_rate`` of
    ordinary annotations reviewed, ``rejection_rate`` of decided reviews rejected,
    ``dynamic_extra`` annotations dynamic overlap added per judged item."""

    gold_rate: float
    review_rate: float
    rejection_rate: float
    dynamic_extra: float


class HistoryDayOut(BaseModel):
    day: str
    annotations: int


class ForecastOut(BaseModel):
    """Future days (from tomorrow) until the work is done at the 10th, 50th and 90th
    percentile, and the days they end on; ``null`` where no bound exists (the history has
    too few productive days to rule out a pace of zero)."""

    p10_days: float | None
    p50_days: float | None
    p90_days: float | None
    p10_date: date | None
    p50_date: date | None
    p90_date: date | None


class DeadlineOut(BaseModel):
    """The deadline read at ``confidence``: ``done_by`` the day the work is done with that
    probability, ``on_track`` whether that is in time, ``headcount_needed`` the people
    needed to make it (``null``: no number is that sure), ``passed`` when it is gone."""

    day: date
    confidence: float
    days_left: int
    done_by: date | None
    on_track: bool
    passed: bool
    headcount_needed: int | None


class CostOut(BaseModel):
    """Money at ``rate`` per annotation (``source``: ``given`` or ``rate cards``):
    ``remaining`` the work left (rework is not billed), ``spent`` the work done at the
    same rate, ``projected`` their sum, against ``budget`` when in the same currency."""

    rate: float
    currency: str | None
    source: str
    remaining: float
    spent: float
    projected: float
    budget: float | None
    budget_currency: str | None
    over_budget: bool | None


class CapacityForecastOut(BaseModel):
    """A project's capacity view. Behind a vendor wall (``vendor``) it is the vendor's
    ``share`` of the work on its own history, without the budget. ``forecast`` is null
    before any annotation (``notes`` say so)."""

    project: str
    today: date
    vendor: str | None
    done: int
    share: float
    remaining: float
    workload: WorkloadOut
    observed: OverheadsOut
    overheads: OverheadsOut
    days: list[HistoryDayOut]
    headcount_observed: float
    headcount_planned: float | None
    forecast: ForecastOut | None
    deadline: DeadlineOut | None
    cost: CostOut | None
    notes: list[str]


class ProjectLineOut(BaseModel):
    """One project of the allocation; paces in annotations a day (``need``: to meet the
    deadline, null without one)."""

    project: str
    priority: int
    deadline: date | None
    passed: bool
    remaining: float
    need: float | None
    current: float
    planned: float
    shortfall: float
    on_track: bool | None


class MoveOut(BaseModel):
    """Move ``share`` of ``person``'s day from ``source`` (null: time they had spare) to
    ``target``, and why."""

    person: str
    role: str
    vendor: str | None
    source: str | None
    target: str
    share: float
    reason: str


class CapacityOut(BaseModel):
    """The suggested allocation over the projects the caller manages, from the last
    ``window`` days of ``people``'s work."""

    today: date
    vendor: str | None
    window: int
    people: int
    projects: list[ProjectLineOut]
    moves: list[MoveOut]
