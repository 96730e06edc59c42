"""Request and response bodies of the coaching routes of ``/api/v1``: a person's coaching
page (mistakes on gold and in review with the guideline section, the weekly trend against
the team's median, the notes log) and a manager's new note."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

# The rules' bound (domain.coaching.MAX_NOTE), stated again here so the wire models never
# import the rules.
MAX_NOTE = 5_000


class NoteIn(BaseModel):
    """A coaching note: 1 to 5,000 characters once trimmed. Notes are never edited."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=MAX_NOTE, description="what was said or agreed")


class NoteOut(BaseModel):
    """A note, with its author's email, or ``a manager`` / ``an admin`` / ``an operator``
    where the caller may not see who wrote it (the person themselves, a vendor's staff
    for in-house authors)."""

    id: int
    body: str
    author: str
    created_at: UtcDatetime


class ShareOut(BaseModel):
    """``correct`` of ``total``; the share and its 95% Wilson interval are ``null`` when
    there is nothing to divide."""

    correct: int
    total: int
    share: float | None
    low: float | None
    high: float | None


class HeadlineOut(BaseModel):
    """All-time counts in the project: annotations submitted (kept or set aside), gold
    answers right, and reviews accepted as submitted of those decided."""

    annotations: int
    gold: ShareOut
    acceptance: ShareOut
    fixed: int
    rejected: int


class TrendWeekOut(BaseModel):
    """One ISO week: the person's gold accuracy (with its Wilson interval) and median
    seconds per item, the team's medians of the same (``null`` under three people), and
    how many people are behind each median."""

    week: str = Field(description="e.g. 2026-W09")
    gold_answered: int
    gold_correct: int
    accuracy: float | None
    low: float | None
    high: float | None
    team_accuracy: float | None
    team_gold_people: int
    annotations: int
    median_seconds: float | None
    team_median_seconds: float | None
    team_seconds_people: int


class GuidelineOut(BaseModel):
    """The guidelines a mistake is about: the version the person worked under and the
    project's current one, the section (its heading) with its Markdown text, where the
    section was named (``escalation``, ``explanation``, ``comment``), and links to the
    guideline page at that heading and to the edge case (each ``null`` when the caller may
    not open it)."""

    version: int | None
    current: int | None
    section: str | None
    text: str
    named_by: Literal["escalation", "explanation", "comment"] | None
    url: str | None
    edge_case_url: str | None


class MistakeOut(BaseModel):
    """A wrong gold answer (``kind: gold``) or an annotation rejected or fixed in review
    (``kind: review``), with the item as the caller may see it and the person's answer.
    Gold: ``expert`` and ``explanation`` are ``null`` where gold answers are kept from the
    caller; ``wrong_fields`` the fields that missed. Review: ``status`` (rejected or
    fixed), ``reason``, ``comment`` and ``fixed_value``."""

    kind: Literal["gold", "review"]
    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    summary: str
    at: UtcDatetime = Field(description="when it was answered (gold) or decided (review)")
    value: dict[str, Any] | None
    expert: dict[str, Any] | None
    explanation: str | None
    wrong_fields: list[str]
    review_id: int | None
    status: Literal["rejected", "fixed"] | None
    reason: str | None
    comment: str
    fixed_value: dict[str, Any] | None
    guideline: GuidelineOut


class CoachingOut(BaseModel):
    """One person's coaching page in a project. ``own``: the caller is the person;
    ``team_vendor``: whose people the team medians cover (``null``: everyone in the
    project); ``figures``: the person's people-analytics figures when the server has
    them; the mistakes are the newest 50 of each kind, the totals count them all."""

    project: str
    email: str
    name: str
    vendor: str | None
    own: bool
    team_vendor: str | None
    may_add_note: bool
    expert_answers_shown: bool
    guideline_version: int | None
    headline: HeadlineOut
    figures: dict[str, Any] | None = None
    trend: list[TrendWeekOut]
    gold_mistakes: list[MistakeOut]
    gold_mistakes_total: int
    review_mistakes: list[MistakeOut]
    review_mistakes_total: int
    notes: list[NoteOut]
