"""Qualification tests and training projects: what a member is served, and what their
answers change.

- With ``quality.qualification`` a member who has not passed is served only gold items they
  have not seen (a test question, announced as such in their progress line); each answer
  counts towards the attempt, a failed attempt starts another on fresh items up to
  ``retries`` times, then they are blocked with the reason until a manager lets them try
  again. Admins labeling outside any membership are not tested.
- With ``quality.training`` every task is a gold item and each submit is answered with the
  expert's answer and explanation (that is the point of a training project).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import Conflict, NotFound, NotQualified
from labelworks.domain.qualification import Rule, Step, blocked, intro
from labelworks.domain.spec import ProjectSpec
from labelworks.services import audit
from labelworks.services.access import project_for
from labelworks.services.gold import member_of
from labelworks.services.specs import stored_spec
from labelworks.storage import qualification as store
from labelworks.storage.engine import Database
from labelworks.storage.leases import Standing


@dataclass(frozen=True, slots=True)
class Stage:
    """How to lease for a member now: only gold items, and what to tell them."""

    gold_only: bool
    note: str | None


WORK = Stage(False, None)


def rule_of(spec: ProjectSpec) -> Rule | None:
    q = spec.quality.qualification
    return None if q is None else Rule(q.items, q.pass_, q.retries)


def stage_of(spec: ProjectSpec, standing: Standing | None, project: str) -> Stage:
    """What the member is served next; ``NotQualified`` when they may not work."""
    if spec.quality.training:
        return Stage(True, "training: each answer is followed by the expert's answer")
    rule = rule_of(spec)
    if rule is None or standing is None or standing.qualified:
        return WORK
    reason = blocked(rule, standing.failed_attempts)
    if reason is not None:
        raise NotQualified(f"project '{project}': {reason}")
    return Stage(True, intro(rule, standing.failed_attempts, standing.answered))


def no_questions_left(project: str) -> NotQualified:
    return NotQualified(
        f"project '{project}': no qualification questions you have not seen are left; "
        "ask a manager to add gold items or let you work"
    )


def count_answer(
    conn: Connection,
    spec: ProjectSpec,
    project_id: int,
    annotator_id: int,
    correct: bool,
    now: datetime,
) -> Step | None:
    """Count a gold answer towards the member's qualification attempt (inside the submit)."""
    rule = rule_of(spec)
    if rule is None:
        return None
    step = store.record_answer(conn, project_id, annotator_id, rule, correct, now)
    if step in (Step.PASSED, Step.FAILED):
        assert step is not None
        audit.record(
            conn, (project_id, None), None, f"qualification.{step.value}", f"user {annotator_id}"
        )
    return step


def allow_retry(db: Database, project_name: str, email: str, *, actor: Actor | None = None) -> None:
    """Let a member who failed the test take it again, from a fresh attempt. Refused
    (``Conflict``) where there is nothing to let them retry: a project without a test, or a
    member who may still take it — resetting them mid-attempt would throw away answers."""
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        user = member_of(conn, actor, project, email)
        rule = rule_of(stored_spec(project.spec))
        if rule is None:
            raise Conflict(
                f"project '{project_name}' has no qualification test (quality.qualification)"
            )
        now = store.standing(conn, project.id, user.id)
        if now is not None and not now.qualified and blocked(rule, now.failed_attempts) is None:
            raise Conflict(
                f"user '{email}' is not blocked in project '{project_name}': they may still "
                "take the qualification test"
            )
        if not store.allow_retry(conn, project.id, user.id):
            raise NotFound(f"user '{email}' has already qualified in project '{project_name}'")
        audit.record(conn, project, actor, "qualification.retry", user.email)
