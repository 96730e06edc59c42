"""A person's coaching page in a project, and the notes managers write on it.

Who sees whose page: a project's managers (and admins) see anyone behind their wall — a
vendor's manager only that vendor's people; anyone else is "does not exist", exactly as an
unknown address, so the page is no oracle for who works for another vendor. An annotator
or a reviewer sees only their own page: the team's weekly medians are on it, never another
person's figures or name (notes show their author as "a manager").

What the page holds: the person's wrong gold answers and their annotations rejected or
fixed in review, each with the guideline section it is about (``domain.coaching``); their
weekly trend against the team's median (the team: the people behind the person's own
vendor wall in the project — their vendor's people, or everyone for in-house staff); and
the notes log. The expert's answer and explanation of a gold item reach only those who
may read gold answers anyway (managers outside any vendor, admins, a local operator), or
everyone in a training project, whose annotators got them as feedback when they answered:
for the others the mistake is listed with the fields that missed, and the answer is kept,
so gold stays a fair test. Item content, values and comments pass through the project's
privacy policy as the viewer may see them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, allowed, sees_person, wall
from labelworks.domain.coaching import TrendWeek, note_body, sections_of, weekly_trend
from labelworks.domain.errors import NotFound, PermissionDenied
from labelworks.domain.fields import FieldSpec
from labelworks.domain.gold import wilson_bounds
from labelworks.domain.identity import email_key
from labelworks.services.access import project_for
from labelworks.services.coaching_mistakes import (
    CoachingMistake,
    GuidelineRef,
    MistakeView,
    payload_summary,
)
from labelworks.services.people_analytics import person_figures
from labelworks.services.specs import stored_spec
from labelworks.storage import coaching as store
from labelworks.storage import spec_history as history_store
from labelworks.storage import users as user_store
from labelworks.storage.coaching import NoteRow
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow
from labelworks.storage.users import UserRow

MAX_MISTAKES = 50  # of each kind, newest first; the totals say how many there are
WEEKS = 12  # ISO weeks of trend, the current one included

__all__ = [
    "MAX_MISTAKES",
    "WEEKS",
    "CoachingMistake",
    "CoachingNote",
    "CoachingPage",
    "GuidelineRef",
    "Headline",
    "add_note",
    "coaching_page",
    "payload_summary",
]


@dataclass(frozen=True, slots=True)
class CoachingNote:
    id: int
    body: str
    created_at: datetime
    author: str  # an email, or "a manager" / "an admin" / "an operator" when not shown


@dataclass(frozen=True, slots=True)
class Headline:
    """The person's answers in the project, all time: annotations submitted (kept or set
    aside), gold answers with accuracy and its 95% Wilson interval, reviews decided and
    the share accepted as submitted with its interval (``None`` with nothing to divide)."""

    annotations: int
    gold_answered: int
    gold_correct: int
    gold_accuracy: float | None
    gold_interval: tuple[float, float] | None
    reviews_decided: int
    accepted: int
    fixed: int
    rejected: int
    acceptance: float | None
    acceptance_interval: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class CoachingPage:
    """One person's coaching page in one project, as the viewer may see it. ``own``: the
    viewer is the person; ``team_vendor``: whose people the medians cover (``None``:
    everyone in the project); ``may_add_note``: the viewer manages the person;
    ``may_open_guidelines``: the guideline version pages open for the viewer."""

    project: str
    email: str
    name: str
    vendor: str | None
    own: bool
    team_vendor: str | None
    may_add_note: bool
    may_open_guidelines: bool
    expert_answers_shown: bool
    guideline_version: int | None
    headline: Headline
    trend: list[TrendWeek]
    gold_mistakes: list[CoachingMistake]
    gold_mistakes_total: int
    review_mistakes: list[CoachingMistake]
    review_mistakes_total: int
    notes: list[CoachingNote]
    fields: list[FieldSpec]
    allow_remote_media: bool
    # The person's people-analytics figures (``PersonRecord.to_dict()``), when known.
    figures: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The page as the API's ``CoachingOut`` has it (times as ``datetime``)."""
        h = self.headline
        return {
            "project": self.project,
            "email": self.email,
            "name": self.name,
            "vendor": self.vendor,
            "own": self.own,
            "team_vendor": self.team_vendor,
            "may_add_note": self.may_add_note,
            "expert_answers_shown": self.expert_answers_shown,
            "guideline_version": self.guideline_version,
            "headline": {
                "annotations": h.annotations,
                "gold": _share(h.gold_correct, h.gold_answered, h.gold_interval),
                "acceptance": _share(h.accepted, h.reviews_decided, h.acceptance_interval),
                "fixed": h.fixed,
                "rejected": h.rejected,
            },
            "figures": self.figures,
            "trend": [asdict(w) for w in self.trend],
            "gold_mistakes": [asdict(m) for m in self.gold_mistakes],
            "gold_mistakes_total": self.gold_mistakes_total,
            "review_mistakes": [asdict(m) for m in self.review_mistakes],
            "review_mistakes_total": self.review_mistakes_total,
            "notes": [asdict(n) for n in self.notes],
        }


def _share(correct: int, total: int, interval: tuple[float, float] | None) -> dict[str, Any]:
    return {
        "correct": correct,
        "total": total,
        "share": correct / total if total else None,
        "low": None if interval is None else interval[0],
        "high": None if interval is None else interval[1],
    }


@dataclass(frozen=True, slots=True)
class _Viewer:
    project: ProjectRow
    person: UserRow
    manages: bool
    reviews: bool  # the viewer has the review right (the guideline pages, edge cases)


def _viewer(
    conn: Connection, actor: Actor | None, project_name: str, email: str, *, manage: bool
) -> _Viewer:
    """The project and the person, if the actor may see (``manage``: write about) them."""
    if actor is None:
        project = project_for(conn, None, project_name, Action.VIEW)
        manages = reviews = True
    else:
        project = project_for(conn, actor, project_name, Action.MANAGE if manage else Action.VIEW)
        member = user_store.is_member(conn, project.id, actor.id)
        manages = allowed(actor, Action.MANAGE, member=member)
        reviews = allowed(actor, Action.REVIEW, member=member)
        # Refused before the person is looked up, so the answer is the same for everyone.
        if not manages and email_key(email) != email_key(actor.email):
            raise PermissionDenied("you may see only your own coaching page")
    person = user_store.by_email(conn, email_key(email))
    if person is None or not sees_person(actor, person.vendor):
        raise NotFound(f"user '{email}' does not exist")
    if not user_store.is_member(conn, project.id, person.id) and not store.worked_in(
        conn, project.id, person.id
    ):
        raise NotFound(f"user '{email}' has no work in project '{project.name}'")
    return _Viewer(project, person, manages, reviews)


def add_note(
    db: Database,
    project_name: str,
    email: str,
    body: str,
    *,
    actor: Actor | None = None,
) -> CoachingNote:
    """Add a coaching note about a person (managers of the project and admins, behind
    their wall); ``body`` is trimmed and must be 1 to ``MAX_NOTE`` characters. Notes are
    never edited: a correction is another note."""
    with db.write() as conn:
        seen = _viewer(conn, actor, project_name, email, manage=True)
        text = note_body(body)
        now = utcnow()
        note_id = store.add_note(
            conn,
            user_id=seen.person.id,
            project_id=seen.project.id,
            author_id=None if actor is None else actor.id,
            body=text,
            now=now,
        )
    author = "an operator" if actor is None else actor.email
    return CoachingNote(note_id, text, now, author)


def coaching_page(
    db: Database,
    project_name: str,
    email: str,
    *,
    actor: Actor | None = None,
    today: date | None = None,
) -> CoachingPage:
    """The person's coaching page as ``actor`` may see it (see the module docstring);
    the trend covers the ``WEEKS`` ISO weeks up to the one holding ``today``."""
    day = today or utcnow().date()
    start = day - timedelta(days=day.weekday() + 7 * (WEEKS - 1))
    since = datetime(start.year, start.month, start.day)
    with db.read() as conn:
        seen = _viewer(conn, actor, project_name, email, manage=False)
        project, person = seen.project, seen.person
        spec = stored_spec(project.spec)
        tallies = store.tallies(conn, project.id, person.id)
        gold, gold_total = store.gold_mistakes(conn, project.id, person.id, MAX_MISTAKES)
        reviewed, review_total = store.review_mistakes(conn, project.id, person.id, MAX_MISTAKES)
        flagged = store.escalation_sections(
            conn, project.id, [m.item_id for m in [*gold, *reviewed]]
        )
        versions = {m.guideline_version for m in [*gold, *reviewed]} - {None}
        texts = {
            v: found.content
            for v in versions
            if v is not None and (found := history_store.guidelines_at(conn, project.id, v))
        }
        trend = weekly_trend(
            person.id,
            store.team_gold(conn, project.id, since, person.vendor),
            store.team_seconds(conn, project.id, since, person.vendor),
        )
        notes = store.notes_of(conn, person.id, project.id)
    # People analytics' figures of the person (throughput, gold and review with their
    # intervals, warning signs), under its own access rules, which agree with ours.
    figures = person_figures(db, project.name, person.email, actor=actor).to_dict()
    own = actor is not None and actor.id == person.id
    experts = actor is None or (seen.manages and wall(actor) is None) or bool(spec.quality.training)
    edge_cases = seen.reviews and wall(actor) is None
    sections = {v: sections_of(t) for v, t in texts.items()}
    shown = MistakeView(actor, spec, project, sections, flagged, edge_cases, experts, seen.reviews)
    return CoachingPage(
        project=project.name,
        email=person.email,
        name=person.name,
        vendor=person.vendor,
        own=own,
        team_vendor=person.vendor,
        may_add_note=seen.manages,
        may_open_guidelines=seen.reviews,
        expert_answers_shown=experts,
        guideline_version=project.guideline_version,
        headline=_headline(tallies),
        trend=trend,
        gold_mistakes=[shown.mistake(m, "gold") for m in gold],
        gold_mistakes_total=gold_total,
        review_mistakes=[shown.mistake(m, "review") for m in reviewed],
        review_mistakes_total=review_total,
        notes=[_note(n, actor, own) for n in notes],
        fields=list(spec.fields),
        allow_remote_media=spec.allow_remote_media,
        figures=figures,
    )


def _headline(t: store.Tallies) -> Headline:
    accepted = t.reviews.get("accepted", 0)
    decided = sum(t.reviews.values())
    return Headline(
        annotations=t.annotations,
        gold_answered=t.gold_answered,
        gold_correct=t.gold_correct,
        gold_accuracy=t.gold_correct / t.gold_answered if t.gold_answered else None,
        gold_interval=wilson_bounds(t.gold_correct, t.gold_answered) if t.gold_answered else None,
        reviews_decided=decided,
        accepted=accepted,
        fixed=t.reviews.get("fixed", 0),
        rejected=t.reviews.get("rejected", 0),
        acceptance=accepted / decided if decided else None,
        acceptance_interval=wilson_bounds(accepted, decided) if decided else None,
    )


def _note(n: NoteRow, actor: Actor | None, own: bool) -> CoachingNote:
    """A note with its author named only to a viewer who may see that person."""
    if n.author_email is None:
        author = "an operator"
    elif not own and sees_person(actor, n.author_vendor):
        author = n.author_email
    else:
        author = "an admin" if n.author_role == "admin" else "a manager"
    return CoachingNote(n.id, n.body, n.created_at, author)
