"""Escalation and the edge-case library.

An annotator flags an item as ambiguous or an edge case with their skip or submit
(``flag``, inside that transaction). Experts work the queue: each flag is resolved once,
with a note, optionally an answer (checked like an annotation; ``make_gold`` makes the item
a gold question with it) and the guideline section that must change. Resolved flags are the
project's edge-case library, searchable, each at ``domain.escalation.case_url``.

Experts are reviewers, managers and admins outside any vendor: the queue and the library
show every vendor's items together, which vendor walls keep from vendors' staff; annotators
see none of it. A case whose item is a gold question (made so here or anywhere else) is
seen only by those who may read gold answers (managers and admins outside vendors), and
only they make one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, allowed, wall
from labelworks.domain.annotation import validate_annotation
from labelworks.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from labelworks.domain.escalation import STATUSES, Flag, resolution_text
from labelworks.domain.fields import FieldSpec
from labelworks.domain.spec import ProjectSpec
from labelworks.services import audit
from labelworks.services.access import project_for
from labelworks.services.privacy import (
    annotation_value_for,
    check_search,
    restored,
    rows_for,
    text_for,
)
from labelworks.services.specs import stored_spec
from labelworks.storage import escalations as store
from labelworks.storage import gold as gold_store
from labelworks.storage import projects as project_store
from labelworks.storage.assignments import AssignmentRow
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.escalations import EscalationRow
from labelworks.storage.projects import ProjectRow

MAX_PAGE = 200
MAX_QUERY = 200
LIBRARY = "library"  # escalation_desk's status for the edge-case library

__all__ = [
    "Desk",
    "EscalationRow",
    "check_may_resolve",
    "edge_cases",
    "escalation_desk",
    "escalation_queue",
    "flag",
    "open_count_for",
    "open_escalations",
    "resolve_escalation",
]


def flag(conn: Connection, a: AssignmentRow, what: Flag, now: datetime) -> None:
    """Record the annotator's flag on the item of their assignment, and its audit event,
    in the transaction of the skip or submit that carries it."""
    store.record(
        conn,
        project_id=a.project_id,
        item_id=a.item_id,
        annotator_id=a.annotator_id,
        assignment_id=a.id,
        kind=what.kind,
        comment=what.comment,
        now=now,
    )
    where = (a.project_id, a.guideline_version)
    subject = f"item {a.item_id}"
    audit.record(conn, where, a.annotator_id, "escalation.flag", subject, kind=what.kind)


def open_escalations(conn: Connection, project_id: int) -> int:
    """How many of the project's escalations are open (acceptance: ``no_open_escalations``)."""
    return store.open_count(conn, project_id)


def _expert(conn: Connection, actor: Actor | None, name: str) -> ProjectRow:
    project = project_for(conn, actor, name, Action.REVIEW)
    if wall(actor) is not None:
        raise PermissionDenied("escalations show every vendor's items; vendors' staff may not")
    return project


def _keeps_gold(actor: Actor | None, member: bool) -> bool:
    """Whether the actor may see and set gold answers (``services.gold``'s rule)."""
    return actor is None or (wall(actor) is None and allowed(actor, Action.MANAGE, member=member))


def _member(conn: Connection, actor: Actor | None, project: ProjectRow) -> bool:
    if actor is None or actor.is_admin:
        return True
    return project_store.by_name_with_membership(conn, project.name, actor.id)[1]


def check_may_resolve(db: Database, project_name: str, *, actor: Actor | None = None) -> None:
    """The queue's rule alone, in a transaction of its own (interfaces ask before they read
    a resolution): the review right and no vendor wall."""
    with db.read() as conn:
        _expert(conn, actor, project_name)


def _bounds(after: int, limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    if after < 0:
        raise InvalidInput("after must be 0 or more")


def escalation_queue(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    status: str | None = "open",
    after: int = 0,
    limit: int = 50,
) -> list[EscalationRow]:
    """A page of the project's escalations, oldest first: ``open`` ones (the queue),
    ``resolved`` ones, or both (``None``); each with its item, kind, comment and who
    flagged it."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    desk = escalation_desk(db, project_name, actor=actor, status=status, after=after, limit=limit)
    return desk.cases


def edge_cases(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    query: str | None = None,
    after: int = 0,
    limit: int = 50,
) -> list[EscalationRow]:
    """A page of the project's edge-case library (its resolved escalations, oldest first);
    with ``query``, those whose comment, note, guideline section or item content holds it,
    ignoring case (ASCII letters only on SQLite, every letter on PostgreSQL)."""
    desk = escalation_desk(
        db, project_name, actor=actor, status=LIBRARY, query=query, after=after, limit=limit
    )
    return desk.cases


def resolve_escalation(
    db: Database,
    project_name: str,
    escalation_id: int,
    *,
    answer: dict[str, Any] | None = None,
    note: str,
    guideline_section: str | None = None,
    make_gold: bool = False,
    actor: Actor | None = None,
) -> EscalationRow:
    """Resolve an open escalation as an expert: a note, optionally the answer (checked like
    an annotation of the item) and the guideline section that must change; ``make_gold``
    makes the item a gold question with that answer and the note as its explanation. The
    resolved case joins the edge-case library; resolving twice is a conflict. Fields of the
    answer that are the annotator's as the expert was shown it masked are taken as stored
    (``privacy.restored``); the case comes back as the expert may see it."""
    note, section = resolution_text(note, guideline_section)
    if make_gold and answer is None:
        raise InvalidInput("making the item gold needs the answer")
    with db.write() as conn:
        project = _expert(conn, actor, project_name)
        keeps_gold = _keeps_gold(actor, _member(conn, actor, project))
        found = store.project_of(conn, escalation_id)
        current = store.one(conn, escalation_id) if found and found[0] == project.id else None
        if current is None or (current.item_gold and not keeps_gold):
            # A gold question's escalations are its answer keepers' (see the module docstring).
            raise NotFound(f"escalation {escalation_id} does not exist in project '{project.name}'")
        if make_gold and not keeps_gold:
            raise PermissionDenied("only managers and admins outside vendors make items gold")
        spec = stored_spec(project.spec)
        if answer is not None:
            if not answer:
                raise InvalidInput("answer must be a non-empty object of field values")
            # The expert may start from the annotator's answer as they were shown it.
            answer = restored(actor, spec, answer, [current.annotation], payload=current.payload)
            validate_annotation(spec.fields, answer, current.payload)
        at = utcnow()
        by = None if actor is None else actor.id
        done = store.resolve(
            conn,
            escalation_id,
            answer=answer,
            note=note,
            guideline_section=section,
            made_gold=make_gold,
            by=by,
            now=at,
        )
        if not done:
            raise Conflict(f"escalation {escalation_id} is already resolved")
        audit.record(
            conn,
            project,
            actor,
            "escalation.resolve",
            f"escalation {escalation_id}",
            item_id=current.item_id,
            made_gold=make_gold,
            guideline_section=section,
        )
        if make_gold:
            assert answer is not None
            item = f"item {current.item_id}"
            audit.record(conn, project, actor, "gold.mark", item, item_id=current.item_id)
            gold_store.mark(
                conn,
                project_id=project.id,
                item_id=current.item_id,
                value=answer,
                explanation=note,
                by=by,
                now=at,
            )
        resolved = store.one(conn, escalation_id)
        assert resolved is not None
        return _screened(actor, spec, [resolved])[0]


def open_count_for(db: Database, project_name: str, *, actor: Actor | None = None) -> int | None:
    """How many escalations wait in the project's queue, for those who may work it
    (``None`` for everyone else: pages then show no link to it)."""
    with db.read() as conn:
        try:
            project = _expert(conn, actor, project_name)
        except PermissionDenied:
            return None
        return store.open_count(conn, project.id)


def _screened(
    actor: Actor | None, spec: ProjectSpec, cases: list[EscalationRow]
) -> list[EscalationRow]:
    """Cases as the project's privacy policy lets ``actor`` see them: the item's payload,
    the annotator's comment and answer, the expert's answer and note."""
    return [
        replace(
            c,
            comment=text_for(actor, spec, c.comment),
            annotation=annotation_value_for(actor, spec, c.annotation),
            answer=annotation_value_for(actor, spec, c.answer),
            note=text_for(actor, spec, c.note),
        )
        for c in rows_for(actor, spec, cases)
    ]


@dataclass(frozen=True, slots=True)
class Desk:
    """What the queue and library pages show: a page of cases, how many are open and
    resolved, whether the viewer may make items gold, and the project's fields (for the
    answer's controls) and media setting."""

    project: str
    cases: list[EscalationRow]
    open: int
    resolved: int
    keeps_gold: bool
    fields: Sequence[FieldSpec]
    allow_remote_media: bool


def escalation_desk(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    status: str | None = "open",
    query: str | None = None,
    after: int = 0,
    limit: int = 50,
) -> Desk:
    """A page of the queue (``status``: open, resolved, or ``None`` for both), or with
    ``status="library"`` a page of the edge-case library searched for ``query``; in one
    transaction with the counts the pages show."""
    library = status == LIBRARY
    if not library and status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    query = (query or "").strip() or None
    if library and query is not None and len(query) > MAX_QUERY:
        raise InvalidInput(f"the search must be at most {MAX_QUERY} characters")
    _bounds(after, limit)
    with db.read() as conn:
        project = _expert(conn, actor, project_name)
        if library:
            check_search(actor, stored_spec(project.spec), [("search", query)])
        keeps_gold = _keeps_gold(actor, _member(conn, actor, project))
        cases = store.page(
            conn,
            project.id,
            status="resolved" if library else status,
            with_gold=keeps_gold,
            after=after,
            limit=limit,
            query=query if library else None,
        )
        counted = store.counts(conn, project.id, with_gold=keeps_gold)
    spec = stored_spec(project.spec)
    return Desk(
        project=project.name,
        cases=_screened(actor, spec, cases),
        open=counted["open"],
        resolved=counted["resolved"],
        keeps_gold=keeps_gold,
        fields=spec.fields,
        allow_remote_media=spec.allow_remote_media,
    )
