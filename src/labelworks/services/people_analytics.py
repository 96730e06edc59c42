"""People analytics: per annotator, per project and across projects, for a period —
throughput, time per item, gold accuracy, review acceptance, agreement with the final
label and test–retest consistency, each with its interval; where each person stands in
the team (a percentile with its interval, never a bare rank); their weeks; their
Dawid–Skene confusion matrix; and the warning signs, each explained
(``stats.people``, ``stats.people_signs``).

Who sees what: reading the report takes the review right on the project; behind a vendor
wall every figure — the team the percentiles compare with included — is that vendor's
people's. An annotator may read their own record (``person_figures``) and nobody else's.

Reading a million annotations takes seconds (bench/people.py), so reports are kept per
(project, vendor wall, period, floor) with the annotation count they were made at
(``services.kept_reports``): a view uses the kept report while the count is unchanged (a
small project's) or for a minute (a big one's, refreshed in the background while views get
the last one); the pages of a big project do not wait even for the first. Reviews decided
and leases taken do not move the count: they show within the minute.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, Role, allowed, wall
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.period import EVERYTHING, Period
from labelworks.services.access import project_for, visible_project_ids
from labelworks.services.kept_reports import INLINE_UP_TO, kept, kept_or_later
from labelworks.services.people_records import (
    Gathered,
    PersonRecord,
    Week,
    figures,
    gather,
    ordered,
)
from labelworks.services.specs import stored_spec
from labelworks.stats.people_team import TeamFigures, TeamInput, team_figures
from labelworks.storage import people_stats as store
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.people_stats import Person
from labelworks.storage.projects import ProjectRow
from labelworks.storage.users import is_member

__all__ = [
    "PeopleReport",
    "PersonRecord",
    "Week",
    "kept_people_overall",
    "kept_people_report",
    "people_overall",
    "people_report",
    "person_figures",
]

MAX_FLOOR_SECONDS = 3600.0


@dataclass(frozen=True)
class PeopleReport:
    """A report: one project's (``project`` set) or several's (``project`` ``None``),
    for ``period``, behind ``wall``. ``empty`` with ``message`` when nobody worked in the
    period (the figures are then all zero or ``None``, never a division by zero)."""

    project: str | None
    projects: list[str]
    period: Period
    wall: str | None
    empty: bool
    message: str | None
    kinds: list[str]
    label_field: str | None
    guideline_version: int | None
    team: TeamFigures
    people: list[PersonRecord]
    weeks: list[Week]
    computed_at: datetime
    warned: int = field(default=0)

    def person(self, email: str) -> PersonRecord | None:
        wanted = email.strip().lower()
        return next((p for p in self.people if p.email.lower() == wanted), None)

    def to_dict(self) -> dict[str, Any]:
        t = self.team
        return {
            "project": self.project,
            "projects": list(self.projects),
            "period": self.period.to_dict(),
            "vendor": self.wall,
            "empty": self.empty,
            "message": self.message,
            "kinds": list(self.kinds),
            "label_field": self.label_field,
            "guideline_version": self.guideline_version,
            "team": {
                "people": len(self.people),
                "warned": self.warned,
                "annotations": t.annotations,
                "throughput": t.throughput.to_dict(),
                "median_seconds": t.median_seconds,
                "gold": t.gold.to_dict(),
                "review": t.review.to_dict(),
                "agreement": t.agreement.to_dict(),
                "retest": t.retest.to_dict(),
                "histogram": {"edges": list(t.edges), "counts": list(t.counts)},
            },
            "weeks": [w.to_dict() for w in self.weeks],
            "people": [p.to_dict() for p in self.people],
            "computed_at": self.computed_at.isoformat(),
        }


def _check_floor(floor_seconds: float | None) -> None:
    if floor_seconds is not None and not 0 < floor_seconds <= MAX_FLOOR_SECONDS:
        raise InvalidInput(
            f"floor_seconds must be above 0 and at most {MAX_FLOOR_SECONDS:.0f}",
            details={"field": "floor_seconds"},
        )


# ---- one project ------------------------------------------------------------------------


def people_report(
    db: Database,
    project: str,
    *,
    actor: Actor | None = None,
    period: Period | None = None,
    floor_seconds: float | None = None,
) -> PeopleReport:
    """The project's people for ``period`` (everything by default): the review right;
    behind a vendor wall, that vendor's people only. ``floor_seconds``: the time per item
    under which answers are implausibly fast (default: a quarter of the team's median)."""
    key, count, make = _project_work(db, project, actor, period, floor_seconds)
    return kept(key, count, make)


def kept_people_report(
    db: Database,
    project: str,
    *,
    actor: Actor | None = None,
    period: Period | None = None,
    inline_up_to: int = INLINE_UP_TO,
) -> PeopleReport | None:
    """``people_report`` for the page: ``None`` while a big project's first report is
    being made in the background (see ``_kept_or_later``)."""
    key, count, make = _project_work(db, project, actor, period, None)
    return kept_or_later(key, count, make, inline_up_to)


def _project_work(
    db: Database,
    project: str,
    actor: Actor | None,
    period: Period | None,
    floor_seconds: float | None,
) -> tuple[Hashable, Callable[[], int], Callable[[], PeopleReport]]:
    """The cache key, the annotation counter and the maker of a project's report, after
    checking the caller may read it."""
    _check_floor(floor_seconds)
    chosen = period or EVERYTHING
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.REVIEW)
    walled = wall(actor)
    key = ("project", db.cache_scope, row.id, walled, chosen.since, chosen.until, floor_seconds)
    return (
        key,
        lambda: _count(db, [row.id]),
        lambda: _project_report(db, row, chosen, walled, floor_seconds),
    )


def _count(db: Database, project_ids: list[int]) -> int:
    with db.read() as conn:
        return sum(store.annotation_count(conn, p) for p in project_ids)


def _project_report(
    db: Database, project: ProjectRow, period: Period, walled: str | None, floor: float | None
) -> PeopleReport:
    spec = stored_spec(project.spec)
    with db.read(snapshot=True) as conn:
        part = gather(conn, project, spec, period, walled)
        people = store.people(conn, part.user_ids())
        now = utcnow()
    return _report(project.name, [part], people, period, walled, now, floor)


def _report(
    name: str | None,
    parts: list[Gathered],
    people: list[Person],
    period: Period,
    walled: str | None,
    now: datetime,
    floor: float | None,
    signs: dict[str, list[tuple[str | None, Any]]] | None = None,
) -> PeopleReport:
    kinds = sorted({g.kind for g in parts})
    if people:
        team, records, weeks = figures(parts, people, now, floor)
    else:
        team, records, weeks = team_figures(TeamInput.empty(0, kinds, [])), [], []
    if signs is not None:
        records = [_with_signs(r, signs.get(r.email, [])) for r in records]
    # Leases held now are no work done in the period: alone they leave a period empty.
    empty = not (team.annotations or team.gold.trials or team.retest.trials or _reviewed(records))
    if empty:
        records = []
    single = parts[0] if name is not None and parts else None
    return PeopleReport(
        project=name,
        projects=[g.project for g in parts],
        period=period,
        wall=walled,
        empty=empty,
        message=_empty_message(name, period) if empty else None,
        kinds=kinds,
        label_field=None if single is None else single.label_field,
        guideline_version=None if single is None else single.version,
        team=team,
        people=ordered(records),
        weeks=weeks,
        computed_at=now,
        warned=sum(1 for r in records if r.signs),
    )


def _with_signs(record: PersonRecord, signs: list[tuple[str | None, Any]]) -> PersonRecord:
    return replace(record, signs=signs)


def _reviewed(records: list[PersonRecord]) -> int:
    return sum(sum(r.reviews.values()) for r in records)


def _empty_message(name: str | None, period: Period) -> str:
    where = f"project '{name}'" if name is not None else "the projects you can see"
    if period.bounded:
        return f"Nobody worked on {where} in {period.label}: there is nothing to measure."
    return f"Nobody has worked on {where} yet: there is nothing to measure."


# ---- one person -------------------------------------------------------------------------


def person_figures(
    db: Database,
    project: str,
    email: str,
    *,
    actor: Actor | None = None,
    period: Period | None = None,
) -> PersonRecord:
    """One person's record as the project's report has it (their percentiles among the
    people the caller's report compares). Their own record is open to any member; anyone
    else's takes the review right and must be behind the caller's wall. Someone who is
    on the project but did nothing in the period gets a record of zeros; anyone else is
    not found."""
    own = actor is not None and actor.email.strip().lower() == email.strip().lower()
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.LABEL if own else Action.REVIEW)
        who = store.person_id(conn, email, wall(actor))
        known = who is not None and _on_project(conn, row.id, who)
    if not known:
        raise NotFound(f"nobody with the email '{email}' works on project '{project}'")
    chosen = period or EVERYTHING
    walled = wall(actor)
    if own and actor is not None and actor.role is Role.ANNOTATOR:
        # An annotator's own figures, compared with the people behind their own wall.
        key = ("project", db.cache_scope, row.id, walled, chosen.since, chosen.until, None)
        report = kept(
            key,
            lambda: _count(db, [row.id]),
            lambda: _project_report(db, row, chosen, walled, None),
        )
    else:
        report = people_report(db, project, actor=actor, period=chosen)
    found = report.person(email)
    if found is not None:
        return found
    with db.read() as conn:
        (person,) = store.people(conn, [who or 0])
    return _idle_record(person, report.kinds)


def _on_project(conn: Connection, project_id: int, user_id: int) -> bool:
    return is_member(conn, project_id, user_id) or store.has_worked(conn, project_id, user_id)


def _idle_record(person: Person, kinds: list[str]) -> PersonRecord:
    (mine,) = team_figures(TeamInput.empty(1, kinds, [])).people
    return PersonRecord(
        email=person.email,
        name=person.name,
        vendor=person.vendor,
        team=person.team,
        figures=mine,
        reviews=dict.fromkeys(("accepted", "rejected", "fixed", "pending"), 0),
        weeks=[],
        confusion=None,
    )


# ---- across projects --------------------------------------------------------------------


def people_overall(
    db: Database, *, actor: Actor | None = None, period: Period | None = None
) -> PeopleReport:
    """Every person across the projects where the caller has the review right, pooled:
    counts summed, medians over all their timed work per kind of task, percentiles among
    everyone in the report; each warning sign is the project's own, named with it.
    Annotators are refused (they read their own figures per project)."""
    key, count, make = _overall_work(db, actor, period)
    return kept(key, count, make)


def kept_people_overall(
    db: Database,
    *,
    actor: Actor | None = None,
    period: Period | None = None,
    inline_up_to: int = INLINE_UP_TO,
) -> PeopleReport | None:
    """``people_overall`` for the page (``None`` while it is made in the background)."""
    key, count, make = _overall_work(db, actor, period)
    return kept_or_later(key, count, make, inline_up_to)


def _overall_work(
    db: Database, actor: Actor | None, period: Period | None
) -> tuple[Hashable, Callable[[], int], Callable[[], PeopleReport]]:
    if actor is not None and actor.role is Role.ANNOTATOR:
        raise PermissionDenied("an annotator may not read people analytics across projects")
    chosen = period or EVERYTHING
    with db.read() as conn:
        rows = _reviewable(conn, actor)
    walled = wall(actor)
    ids = tuple(sorted(p.id for p in rows))
    key = ("overall", db.cache_scope, ids, walled, chosen.since, chosen.until)
    return key, lambda: _count(db, list(ids)), lambda: _overall_report(db, rows, chosen, walled)


def _reviewable(conn: Connection, actor: Actor | None) -> list[ProjectRow]:
    visible = visible_project_ids(conn, actor)
    return [
        p
        for p in project_store.all_projects(conn)
        if visible is None
        or (p.id in visible and actor is not None and allowed(actor, Action.REVIEW, member=True))
    ]


def _overall_report(
    db: Database, projects: list[ProjectRow], period: Period, walled: str | None
) -> PeopleReport:
    parts: list[Gathered] = []
    with db.read(snapshot=True) as conn:
        for project in projects:
            parts.append(gather(conn, project, stored_spec(project.spec), period, walled))
        ids = set().union(*(g.user_ids() for g in parts)) if parts else set()
        people = store.people(conn, ids)
        now = utcnow()
    by_id = {p.id: p for p in people}
    signs: dict[str, list[tuple[str | None, Any]]] = {}
    for part in parts:
        mine = [by_id[i] for i in sorted(part.user_ids()) if i in by_id]
        if not mine:
            continue
        _, records, _ = figures([part], mine, now)
        for record in records:
            signs.setdefault(record.email, []).extend((part.project, s) for _, s in record.signs)
    return _report(None, parts, people, period, walled, now, None, signs)
