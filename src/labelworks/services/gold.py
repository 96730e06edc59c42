"""Gold questions: marking gold items, scoring gold answers, auto-pause, reinstating, and
sending a paused annotator's work back for others to redo.

Expert answers are read only by managers outside any vendor (``_answer_keeper``): an
annotator, a reviewer (who also labels) or a vendor's own manager never gets them, except
as a training project's feedback. Both pass through the project's privacy policy.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, sees_person, wall
from labelworks.domain.annotation import validate_annotation
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.gold import PauseRule, is_correct, pause_reason, score_answer, wilson_bounds
from labelworks.domain.identity import email_key
from labelworks.domain.spec import ProjectSpec
from labelworks.services import audit, webhooks
from labelworks.services.access import actor_of, project_for
from labelworks.services.privacy import annotation_value_for, restored, text_for
from labelworks.services.specs import stored_spec
from labelworks.storage import gold as gold_store
from labelworks.storage import items as item_store
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.assignments import AssignmentRow
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.gold import GoldAnswer
from labelworks.storage.projects import ProjectRow

MAX_EXPLANATION = 10_000
MAX_REASON = 2_000
MAX_PAGE = 500

__all__ = [
    "AnnotatorGold",
    "GoldAnswer",
    "GoldOutcome",
    "GoldReport",
    "Share",
    "gold_answers",
    "gold_report",
    "mark_gold",
    "pause_annotator",
    "reinstate_annotator",
    "requeue_annotations",
    "score_gold",
    "unmark_gold",
]


def _answer_keeper(conn: Connection, actor: Actor | None, name: str) -> ProjectRow:
    """The project, if the actor may read and write its expert answers."""
    project = project_for(conn, actor, name, Action.MANAGE)
    if wall(actor) is not None:
        raise PermissionDenied("gold answers are kept from vendors' staff")
    return project


def _project_item(conn: Connection, project: ProjectRow, item_id: int) -> item_store.ItemRow:
    item = item_store.get(conn, item_id)
    if item is None or item_store.project_of(conn, item_id) != project.id:
        raise NotFound(f"item {item_id} does not exist in project '{project.name}'")
    return item


def check_answer(
    spec: ProjectSpec,
    value: Any,
    payload: dict[str, Any],
    where: str,
    *,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """An expert answer must be a valid annotation of the item (same rules as a submit);
    the answer to store, spans marked on the item as ``actor`` was shown it (masked)
    given the stored text (``privacy.restored``)."""
    if not isinstance(value, dict) or not value:
        raise InvalidInput(f"{where}: the gold answer must be a non-empty object of field values")
    answer = restored(actor, spec, value, (), payload=payload)
    validate_annotation(spec.fields, answer, payload)
    return answer


def mark_gold(
    db: Database,
    project_name: str,
    item_id: int,
    *,
    value: dict[str, Any],
    explanation: str = "",
    actor: Actor | None = None,
) -> None:
    """Make an item gold with the expert's answer (replacing an earlier answer); it leaves
    the work queue and is served to each annotator once, at the project's ``gold_rate``."""
    if len(explanation) > MAX_EXPLANATION:
        raise InvalidInput(f"explanation must be at most {MAX_EXPLANATION} characters")
    with db.write() as conn:
        project = _answer_keeper(conn, actor, project_name)
        item = _project_item(conn, project, item_id)
        spec = stored_spec(project.spec)
        value = check_answer(spec, value, item.payload, f"item {item_id}", actor=actor)
        gold_store.mark(
            conn,
            project_id=project.id,
            item_id=item_id,
            value=value,
            explanation=explanation,
            by=None if actor is None else actor.id,
            now=utcnow(),
        )
        audit.record(conn, project, actor, "gold.mark", f"item {item_id}", item_id=item_id)


def unmark_gold(
    db: Database, project_name: str, item_id: int, *, actor: Actor | None = None
) -> None:
    """Return a gold item to ordinary work; its gold results stay in the record."""
    with db.write() as conn:
        project = _answer_keeper(conn, actor, project_name)
        _project_item(conn, project, item_id)
        if not gold_store.unmark(conn, item_id, project.overlap, utcnow()):
            raise NotFound(f"item {item_id} is not gold")
        audit.record(conn, project, actor, "gold.unmark", f"item {item_id}", item_id=item_id)


def gold_answers(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[GoldAnswer]:
    """A page of the project's gold items with their expert answers and how often each was
    answered correctly."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    with db.read() as conn:
        project = _answer_keeper(conn, actor, project_name)
        answers = gold_store.page(conn, project.id, after=after, limit=limit)
    spec = stored_spec(project.spec)
    return [
        replace(
            g,
            value=annotation_value_for(actor, spec, g.value),
            explanation=text_for(actor, spec, g.explanation),
        )
        for g in answers
    ]


@dataclass(frozen=True, slots=True)
class GoldOutcome:
    """A scored gold answer: right or not, per field, and the expert's answer and why."""

    correct: bool
    fields: dict[str, bool]
    expert: dict[str, Any]
    explanation: str


def score_gold(
    conn: Connection,
    spec: ProjectSpec,
    a: AssignmentRow,
    annotation_id: int,
    value: dict[str, Any],
    now: datetime,
    *,
    may_pause: bool = True,
) -> GoldOutcome | None:
    """Score a just-submitted answer of a gold item and pause its annotator when the
    project's ``auto_pause`` rule says so (inside the submit's transaction); a
    qualification answer (``may_pause`` false) never pauses: failing the test has its own
    consequence. ``None`` if the item stopped being gold meanwhile."""
    found = gold_store.answer_of(conn, a.item_id)
    if found is None:
        return None
    scores = score_answer(spec.fields, found[0], value)
    outcome = GoldOutcome(is_correct(scores), scores, found[0], found[1])
    gold_store.record_result(
        conn,
        project_id=a.project_id,
        item_id=a.item_id,
        annotator_id=a.annotator_id,
        annotation_id=annotation_id,
        scores=scores,
        correct=outcome.correct,
        now=now,
    )
    rule = spec.quality.auto_pause
    if rule is None or not may_pause:
        return outcome
    correct, total = gold_store.window(conn, a.project_id, a.annotator_id)
    reason = pause_reason(PauseRule(rule.min_gold, rule.below), correct, total)
    if reason is not None:
        gold_store.pause(conn, a.project_id, a.annotator_id, reason, now)
        who = user_store.by_id(conn, a.annotator_id)
        audit.record(
            conn,
            (a.project_id, a.guideline_version),
            None,
            "annotator.auto_pause",
            who.email if who is not None else f"user {a.annotator_id}",
            reason=reason,
            correct=correct,
            total=total,
        )
        webhooks.emit(
            conn, a.project_id, "annotator.paused",
            {"annotator": who.email if who else None, "vendor": who.vendor if who else None,
             "reason": reason,
             "automatic": True, "gold_correct": correct, "gold_total": total, "paused_at": now},
        )  # fmt: skip
    return outcome


def feedback_for(
    conn: Connection, spec: ProjectSpec, item_id: int, value_json: str
) -> GoldOutcome | None:
    """The outcome of an answer already scored (a retried training submit), recorded
    nowhere again; ``None`` if the item stopped being gold."""
    found = gold_store.answer_of(conn, item_id)
    if found is None:
        return None
    scores = score_answer(spec.fields, found[0], json.loads(value_json))
    return GoldOutcome(is_correct(scores), scores, found[0], found[1])


def feedback_shown(
    conn: Connection, spec: ProjectSpec, annotator_id: int, outcome: GoldOutcome | None
) -> GoldOutcome | None:
    """Training feedback as its annotator may see it: the expert's answer and explanation
    screened by the project's privacy policy (the annotator is read only under one)."""
    if outcome is None or spec.privacy is None:
        return outcome
    user = user_store.by_id(conn, annotator_id)
    who = None if user is None else actor_of(user)
    return replace(
        outcome,
        expert=annotation_value_for(who, spec, outcome.expert),
        explanation=text_for(who, spec, outcome.explanation),
    )


@dataclass(frozen=True, slots=True)
class Share:
    """``correct`` of ``total`` with the 95% Wilson interval."""

    correct: int
    total: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_bounds(self.correct, self.total) if self.total else None


@dataclass(frozen=True, slots=True)
class AnnotatorGold:
    email: str
    name: str
    vendor: str | None
    overall: Share
    fields: dict[str, Share]
    paused: str | None
    paused_at: datetime | None


@dataclass(frozen=True, slots=True)
class GoldReport:
    project: str
    gold_items: int
    gold_rate: float | None
    auto_pause: dict[str, Any] | None
    annotators: list[AnnotatorGold] = field(default_factory=list)


def gold_report(db: Database, project_name: str, *, actor: Actor | None = None) -> GoldReport:
    """Each annotator's gold accuracy, overall and per field, with 95% Wilson intervals,
    and who is paused and why (behind a vendor wall: that vendor's people only)."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        walled = wall(actor)
        results = gold_store.results(conn, project.id, walled)
        paused = {p.annotator_id: p for p in gold_store.pauses(conn, project.id, walled)}
        n_gold = gold_store.count(conn, project.id)
    spec = stored_spec(project.spec)
    people: dict[int, tuple[str, str, str | None]] = {}
    overall: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_field: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for r in results:
        people[r.annotator_id] = (r.email, r.name, r.vendor)
        overall[r.annotator_id][0] += int(r.correct)
        overall[r.annotator_id][1] += 1
        for name, ok in r.fields.items():
            per_field[r.annotator_id][name][0] += int(ok)
            per_field[r.annotator_id][name][1] += 1
    for p in paused.values():
        people.setdefault(p.annotator_id, (p.email, p.name, p.vendor))
    rows = [
        AnnotatorGold(
            email=email,
            name=name,
            vendor=vendor,
            overall=Share(*overall[uid]) if uid in overall else Share(0, 0),
            fields={k: Share(*v) for k, v in sorted(per_field[uid].items())},
            paused=paused[uid].reason if uid in paused else None,
            paused_at=paused[uid].paused_at if uid in paused else None,
        )
        for uid, (email, name, vendor) in people.items()
    ]
    rows.sort(key=lambda r: (r.paused is None, r.overall.accuracy or 0.0, r.email))
    rule = spec.quality.auto_pause
    return GoldReport(
        project=project.name,
        gold_items=n_gold,
        gold_rate=spec.quality.gold_rate,
        auto_pause=None if rule is None else rule.model_dump(),
        annotators=rows,
    )


def member_of(
    conn: Connection, actor: Actor | None, project: ProjectRow, email: str
) -> user_store.UserRow:
    """The project member with this email, if the actor may see them (vendor walls)."""
    user = user_store.by_email(conn, email_key(email))
    if user is None or not sees_person(actor, user.vendor):
        raise NotFound(f"user '{email}' does not exist")
    if not project_store.by_name_with_membership(conn, project.name, user.id)[1]:
        raise NotFound(f"user '{email}' is not a member of project '{project.name}'")
    return user


def pause_annotator(
    db: Database, project_name: str, email: str, *, reason: str, actor: Actor | None = None
) -> None:
    """Pause a member by hand: no tasks until reinstated; ``reason`` is shown to them."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must be 1 to {MAX_REASON} characters")
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        user = member_of(conn, actor, project, email)
        if actor is not None and user.id == actor.id:
            raise InvalidInput("you cannot pause yourself")
        by = "a manager" if actor is None else actor.email
        now = utcnow()
        gold_store.pause(conn, project.id, user.id, f"paused by {by}: {reason}", now)
        audit.record(conn, project, actor, "annotator.pause", user.email, reason=reason)
        webhooks.emit(
            conn, project.id, "annotator.paused",
            {"annotator": user.email, "vendor": user.vendor, "reason": reason,
             "automatic": False, "paused_by": by, "paused_at": now},
        )  # fmt: skip


def reinstate_annotator(
    db: Database, project_name: str, email: str, *, actor: Actor | None = None
) -> None:
    """Lift a pause; the next auto-pause counts only gold answers from now on."""
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        user = member_of(conn, actor, project, email)
        if not gold_store.reinstate(conn, project.id, user.id, utcnow()):
            raise NotFound(f"user '{email}' is not paused in project '{project_name}'")
        audit.record(conn, project, actor, "annotator.reinstate", user.email)


def requeue_annotations(
    db: Database,
    project_name: str,
    email: str,
    *,
    reason: str = "sent back for re-annotation",
    actor: Actor | None = None,
) -> int:
    """Send every annotation the person made on ordinary items back for others to redo:
    the annotations are set aside (kept whole, out of exports and statistics) and each
    item's slot returns to the queue. Returns how many were sent back."""
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must be at most {MAX_REASON} characters")
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        user = member_of(conn, actor, project, email)
        n = gold_store.set_aside(
            conn,
            project_id=project.id,
            annotator_id=user.id,
            overlap=project.overlap,
            reason=reason or "sent back for re-annotation",
            by=None if actor is None else actor.id,
            now=utcnow(),
        )
        audit.record(
            conn, project, actor, "annotations.requeue", user.email, annotations=n, reason=reason
        )
        return n


def answer_text(value: dict[str, Any]) -> str:
    """An expert answer as compact JSON, for tables and CSV cells."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
