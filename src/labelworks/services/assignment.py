"""Leasing the next task, submitting an annotation, skipping."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from threading import Lock
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.domain.assignment import (
    AssignmentState,
    SubmitOutcome,
    decide_submit,
    lease_expiry,
)
from labelworks.domain.errors import (
    AnnotatorPaused,
    AssignmentClosed,
    InvalidAnnotation,
    InvalidInput,
    LeaseLost,
    NotFound,
)
from labelworks.domain.escalation import Flag
from labelworks.domain.gold import gold_draw
from labelworks.domain.schema import FieldSpec, validate_annotation
from labelworks.domain.spec import ProjectSpec
from labelworks.services import consensus, retests, reviews
from labelworks.services.access import actor_of, admit, project_for
from labelworks.services.auth import Credential, hashes, refused
from labelworks.services.escalations import flag as flag_item
from labelworks.services.experiment_treatments import suggestions_hidden
from labelworks.services.gold import GoldOutcome, feedback_for, feedback_shown, score_gold
from labelworks.services.guidelines import check_acknowledged
from labelworks.services.privacy import payload_for, restored, suggestions_for
from labelworks.services.progress import Progress, items_shared, progress_in
from labelworks.services.project_archive import refuse_archived
from labelworks.services.qualification import count_answer, no_questions_left, rule_of, stage_of
from labelworks.services.specs import stored_spec
from labelworks.storage import assignments as assignment_store
from labelworks.storage import items as item_store
from labelworks.storage import leases as lease_store
from labelworks.storage import qualification as qualification_store
from labelworks.storage import retests as retest_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.leases import Standing
from labelworks.storage.projects import ProjectRow

MAX_KEY_LENGTH = 200
_SYSTEM = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class Task:
    """A leased item, as the annotator's client receives it."""

    assignment_id: int
    project: str
    item_id: int
    payload: dict[str, Any]
    pre_annotations: list[dict[str, Any]]
    expires_at: datetime
    guideline_version: int | None
    fields: Sequence[FieldSpec] = ()
    allow_remote_media: bool = False
    progress: Progress | None = None
    # What the project's privacy policy found, for the caller (services/privacy.py).
    pii: Sequence[str] = ()
    pii_note: str | None = None


@dataclass(frozen=True, slots=True)
class SubmitResult:
    annotation_id: int
    assignment_id: int
    item_id: int
    created: bool
    after_expiry: bool
    # In a training project only: whether the answer was right, and the expert's answer.
    feedback: GoldOutcome | None = None


def _worker_project(
    conn: Connection, project_name: str, annotator_id: int, actor: Actor | None
) -> tuple[ProjectRow, Actor]:
    """The project, if the role policy lets this user label in it, and the user."""
    if actor is None or actor.id != annotator_id:
        user = user_store.by_id(conn, annotator_id)
        if user is None or not user.active:
            raise NotFound(f"user {annotator_id} does not exist")
        actor = actor_of(user)
    return project_for(conn, actor, project_name, Action.LABEL), actor


def _enter(
    conn: Connection,
    project_name: str,
    annotator: int | Credential,
    actor: Actor | None,
    at: datetime,
) -> tuple[int, ProjectRow, Standing | None, Actor]:
    """Who labels, in which project, their standing there (``None``: not a member) and
    who they are, with the (project, annotator) lock taken: one statement for a request's
    credential. A paused annotator is refused here, with the reason."""
    if not isinstance(annotator, Credential):
        project, caller = _worker_project(conn, project_name, annotator, actor)
        standing = lease_store.hold(conn, project.id, annotator, at)
        annotator_id = annotator
    else:
        seat = lease_store.seat(conn, **hashes(annotator), name=project_name, now=at)
        if seat.user is None:
            raise refused(annotator)
        caller = actor_of(seat.user)
        project = admit(caller, project_name, Action.LABEL, seat.project, member=seat.member)
        annotator_id, standing = caller.id, seat.standing
    if standing is not None and standing.paused is not None:
        raise AnnotatorPaused(f"you are paused in project '{project.name}': {standing.paused}")
    return annotator_id, project, standing, caller


def next_task_for(
    db: Database,
    project_name: str,
    annotator: int | Credential,
    *,
    now: datetime | None = None,
    actor: Actor | None = None,
    rng: random.Random | None = None,
) -> Task | None:
    """Lease the next item for the annotator, or ``None`` when nothing is left for them.

    ``annotator`` is a user id (trusted callers; ``actor`` is who acts for them) or the
    credential of the request, checked in the same transaction as the lease.

    An annotator who already holds a live lease in the project gets that one back, so a
    reloaded page or a retried request never hoards items.

    ``rng`` draws the gold decisions; only simulations pass a seeded one (the default is
    the operating system's, so nobody can predict when gold comes).
    """
    draws = rng or _SYSTEM

    def work(conn: Connection) -> Task | None:
        at = now or utcnow()
        # The (project, annotator) lock comes first, in every lease and submit: one
        # annotator's requests in a project run one at a time.
        annotator_id, project, standing, caller = _enter(conn, project_name, annotator, actor, at)
        refuse_archived(project, "new work")
        if _reclaim_due(db.cache_scope, project.id, at):
            lease_store.reclaim_expired(conn, project.id, project.overlap, at)
        spec = stored_spec(project.spec)
        check_acknowledged(conn, project, standing, annotator_id)
        stage = stage_of(spec, standing, project.name)
        lease = retests.lease(conn, spec, stage.gold_only, project, annotator_id, at, draws)
        lease = lease or lease_store.lease_next(
            conn,
            project_id=project.id,
            annotator_id=annotator_id,
            overlap=project.overlap,
            now=at,
            expires_at=lease_expiry(at, project.lease_minutes),
            guideline_version=project.guideline_version,
            gold=gold_draw(spec.quality.gold_rate, draws),
            gold_point=draws.random(),
            gold_only=stage.gold_only,
        )
        if lease is None:
            if stage.gold_only and not spec.quality.training:
                raise no_questions_left(project.name)
            return None
        pre = lease.pre_annotations
        if pre is None:
            pre = item_store.pre_annotations_of(conn, lease.item_id)
        if pre and suggestions_hidden(
            conn, db.cache_scope, project.id, annotator_id, lease.item_id
        ):
            pre = []  # the arm of a running experiment that is not shown suggestions
        done_today = None if standing is None else standing.done_today
        shared = items_shared(project, spec)
        progress = progress_in(
            conn,
            db.cache_scope,
            project.id,
            annotator_id,
            done_today,
            shared=shared,
            lease_id=lease.assignment_id,
        )
        if stage.note is not None:
            progress = replace(progress, note=stage.note)
        return _task(project, lease, pre, progress, caller)

    return db.run_write(work)


# Lapsed leases are reclaimed on the way to the next task, at most once a second per
# project: a lease that lapsed less than a second ago can wait, and the sweep is one more
# statement on the busiest path.
RECLAIM_EVERY = timedelta(seconds=1)
_last_reclaim: dict[tuple[str, int], datetime] = {}
_reclaim_lock = Lock()


def _reclaim_due(scope: str, project_id: int, at: datetime) -> bool:
    key = (scope, project_id)
    with _reclaim_lock:
        last = _last_reclaim.get(key)
        if last is not None and last <= at < last + RECLAIM_EVERY:
            return False
        _last_reclaim[key] = at
        return True


def _task(
    project: ProjectRow,
    lease: lease_store.Lease,
    pre_annotations: list[dict[str, Any]],
    progress: Progress,
    caller: Actor,
) -> Task:
    spec = stored_spec(project.spec)
    shown = payload_for(caller, spec, json.loads(lease.payload))
    return Task(
        assignment_id=lease.assignment_id,
        project=project.name,
        item_id=lease.item_id,
        payload=shown.payload,
        pre_annotations=suggestions_for(caller, spec, pre_annotations),
        expires_at=lease.expires_at,
        guideline_version=lease.guideline_version,
        fields=spec.fields,
        allow_remote_media=spec.allow_remote_media,
        progress=progress,
        pii=shown.kinds,
        pii_note=shown.warning,
    )


def _owned_work(
    conn: Connection, assignment_id: int, annotator: int | Credential, at: datetime
) -> assignment_store.Work:
    """The caller's assignment with its item and project, locked for this transaction
    after the (project, annotator) lock, in a lease's lock order."""
    if isinstance(annotator, Credential):
        user, mine = assignment_store.submitter(
            conn, **hashes(annotator), assignment_id=assignment_id, now=at
        )
        if user is None:
            raise refused(annotator)
        annotator_id = user.id
    else:
        annotator_id, mine = annotator, assignment_store.owned(conn, assignment_id, annotator)
    work = assignment_store.work_of(conn, assignment_id) if mine else None
    if work is None or work.assignment.annotator_id != annotator_id:
        # Someone else's assignment is reported as missing: ids are not an oracle.
        raise NotFound(f"assignment {assignment_id} does not exist")
    return work


def submit_annotation(
    db: Database,
    assignment_id: int,
    annotator: int | Credential,
    *,
    value: dict[str, Any],
    seconds: float | None,
    idempotency_key: str,
    flag: Flag | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> SubmitResult:
    """Record an annotation for a leased item.

    ``rng`` samples annotations for review; only simulations pass a seeded one.

    ``annotator`` is the submitter's user id or the request's credential. A retry with the
    same ``idempotency_key`` returns the first result and creates nothing. A submit after
    the lease was reclaimed still counts while the item has room; otherwise the value is
    kept as a late submission and ``LeaseLost`` is raised. A ``flag`` (the item is
    ambiguous or an edge case) goes to the escalation queue with the annotation.
    """
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"idempotency_key must be 1 to {MAX_KEY_LENGTH} characters")
    if seconds is not None and not (seconds >= 0):
        raise InvalidInput("seconds must be a non-negative number")

    def work(conn: Connection) -> SubmitResult | LeaseLost:
        at = now or utcnow()
        w = _owned_work(conn, assignment_id, annotator, at)
        a = w.assignment
        if w.retest:
            given = _checked(conn, stored_spec(w.spec), a, value, json.loads(w.payload))
            done = retests.submit(
                conn, a, value=given, seconds=seconds, key=idempotency_key, now=at
            )
            if flag is not None and done.created:
                flag_item(conn, a, flag, at)
            return SubmitResult(done.retest_id, a.id, a.item_id, done.created, done.after_expiry)
        late = a.state is AssignmentState.LATE
        if late and assignment_store.recorded_late(conn, a.id, idempotency_key) is not None:
            return _lease_lost(a)
        # Only a submitted assignment has an annotation whose key a retry could match.
        recorded = (
            assignment_store.recorded_annotation(conn, a.id)
            if a.state is AssignmentState.SUBMITTED
            else None
        )
        outcome = decide_submit(
            state=a.state,
            expires_at=a.expires_at,
            now=at,
            n_submitted=w.n_submitted,
            n_leased=w.n_leased,
            overlap=w.overlap,
            previous_key=None if recorded is None else recorded[1],
            key=idempotency_key,
        )
        spec = stored_spec(w.spec)
        if outcome is SubmitOutcome.REPLAY:
            assert recorded is not None
            # A training answer's retry gets the feedback the first one got.
            feedback = None
            if w.gold and spec.quality.training:
                scored = feedback_for(conn, spec, a.item_id, recorded[2])
                feedback = feedback_shown(conn, spec, a.annotator_id, scored)
            return SubmitResult(recorded[0], a.id, a.item_id, False, False, feedback)
        if outcome is SubmitOutcome.CLOSED:
            raise AssignmentClosed(f"assignment {a.id} was already {a.state.value}")
        given = _checked(conn, spec, a, value, json.loads(w.payload))
        if outcome is SubmitOutcome.REFUSE_ITEM_FULL:
            assignment_store.record_late(
                conn,
                a,
                value=given,
                seconds=seconds,
                key=idempotency_key,
                reason="lease expired and the item reached its overlap",
                now=at,
            )
            if flag is not None:
                flag_item(conn, a, flag, at)
            return _lease_lost(a)
        after_expiry = outcome is SubmitOutcome.ACCEPT_AFTER_EXPIRY
        annotation_id = assignment_store.record_submission(
            conn,
            a,
            value=given,
            seconds=seconds,
            key=idempotency_key,
            now=at,
            overlap=w.overlap,
            after_expiry=after_expiry,
            still_leased=a.state is AssignmentState.LEASED,
        )
        if flag is not None:
            flag_item(conn, a, flag, at)
        feedback = None
        if w.gold:
            qualifying = not spec.quality.training and _qualifying(conn, spec, a)
            scored = score_gold(conn, spec, a, annotation_id, given, at, may_pause=not qualifying)
            if scored is not None and qualifying:
                count_answer(conn, spec, a.project_id, a.annotator_id, scored.correct, at)
            if spec.quality.training:
                feedback = feedback_shown(conn, spec, a.annotator_id, scored)
        else:
            reviews.sample(conn, spec, a, annotation_id, rng or _SYSTEM, at)
            if consensus.method_of(spec) is not None and w.n_submitted + 1 >= w.overlap:
                consensus.settle(conn, db.cache_scope, spec, a.project_id, a.item_id, at)
                settled.append((a.project_id, spec))
        return SubmitResult(
            annotation_id,
            a.id,
            a.item_id,
            created=True,
            after_expiry=after_expiry,
            feedback=feedback,
        )

    settled: list[tuple[int, ProjectSpec]] = []
    result = db.run_write(work)
    for project_id, project_spec in settled[-1:]:
        # After the commit, outside the request's transaction: fitting never stalls it.
        if consensus.refit_due(db.cache_scope, project_id, project_spec):
            consensus.start_refit(db, project_id, project_spec)
    if isinstance(result, LeaseLost):
        # Raised only after the late submission is committed: the work is kept.
        raise result
    return result


def _checked(
    conn: Connection,
    spec: ProjectSpec,
    a: assignment_store.AssignmentRow,
    value: dict[str, Any],
    payload: dict[str, Any],
) -> dict[str, Any]:
    """``value`` if it is a valid annotation of the item. Refused under a privacy policy,
    it is tried once more with spans marked on the payload as the annotator was shown it
    (masked) given the stored text (``privacy.restored``): only then is the annotator
    read and the payload screened, so a valid submit pays for none of it."""
    try:
        validate_annotation(spec.fields, value, payload)
        return value
    except InvalidAnnotation:
        user = None if spec.privacy is None else user_store.by_id(conn, a.annotator_id)
        fixed = (
            value if user is None else restored(actor_of(user), spec, value, (), payload=payload)
        )
        if fixed == value:
            raise
    validate_annotation(spec.fields, fixed, payload)
    return fixed


def _qualifying(conn: Connection, spec: ProjectSpec, a: assignment_store.AssignmentRow) -> bool:
    """Whether this gold answer is a qualification answer (the member has not passed)."""
    if rule_of(spec) is None:
        return False
    standing = qualification_store.standing(conn, a.project_id, a.annotator_id)
    return standing is not None and not standing.qualified


def _lease_lost(a: assignment_store.AssignmentRow) -> LeaseLost:
    return LeaseLost(
        f"the lease on assignment {a.id} expired and item {a.item_id} was completed by "
        "others; your annotation was kept as a late submission",
        details={"assignment_id": a.id, "item_id": a.item_id},
    )


def skip_task(
    db: Database,
    assignment_id: int,
    annotator: int | Credential,
    *,
    reason: str | None = None,
    flag: Flag | None = None,
    now: datetime | None = None,
) -> None:
    """Give a leased item back with an optional reason; it is never offered to them again.
    A ``flag`` (the item is ambiguous or an edge case) goes to the escalation queue."""
    if reason is not None and len(reason) > 2000:
        raise InvalidInput("reason must be at most 2000 characters")

    def work(conn: Connection) -> None:
        at = now or utcnow()
        w = _owned_work(conn, assignment_id, annotator, at)
        a = w.assignment
        if a.state is AssignmentState.SKIPPED:
            return
        if a.state in (AssignmentState.SUBMITTED, AssignmentState.LATE):
            raise AssignmentClosed(f"assignment {a.id} was already {a.state.value}")
        if w.retest:
            retest_store.skip(conn, a, reason=reason, now=at)
        else:
            assignment_store.record_skip(conn, a, reason=reason, now=at, overlap=w.overlap)
        if flag is not None:
            flag_item(conn, a, flag, at)

    db.run_write(work)
