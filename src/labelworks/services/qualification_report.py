"""The qualification report: where each member of a project stands in its qualification
test (passed and when, failed attempts, the current attempt's answers, blocked or not), and
in a training project how far each trainee has got and how well they answered.

Read with the review right, like the gold report; behind a vendor wall only that vendor's
people. It holds no expert answers: only counts of right and wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.qualification import Rule, Step, after_answer, blocked
from labelworks.services.access import project_for
from labelworks.services.qualification import rule_of
from labelworks.services.specs import stored_spec
from labelworks.storage import gold as gold_store
from labelworks.storage import qualification_report as store
from labelworks.storage.engine import Database
from labelworks.storage.qualification_report import MemberStanding

__all__ = [
    "MemberQualification",
    "QualificationReport",
    "State",
    "pass_mark",
    "qualification_report",
    "rule_words",
    "standing_words",
]


class State(StrEnum):
    """Where a member stands."""

    UNTESTED = "untested"  # the project has no qualification test
    TRAINING = "training"  # a training project: every task is a question with feedback
    NOT_STARTED = "not_started"  # must take the test and has not answered yet
    TESTING = "testing"  # in an attempt, or between attempts
    BLOCKED = "blocked"  # out of attempts until a manager allows a retry
    QUALIFIED = "qualified"  # passed: on ordinary work


@dataclass(frozen=True, slots=True)
class MemberQualification:
    email: str
    name: str
    role: str
    vendor: str | None
    state: State
    qualified_at: datetime | None
    failed_attempts: int
    # The attempt under way (1-based) while they must still pass; ``None`` otherwise.
    attempt: int | None
    # The current attempt's answers and right answers.
    answered: int
    correct: int
    # Gold items they have not been served yet (each is served to a person once).
    questions_left: int
    # Every scored gold answer: in a training project, the trainee's score.
    gold_answered: int
    gold_correct: int


@dataclass(frozen=True, slots=True)
class QualificationReport:
    project: str
    rule: Rule | None
    training: bool
    gold_items: int
    members: list[MemberQualification] = field(default_factory=list)


_ORDER = {
    State.BLOCKED: 0,
    State.TESTING: 1,
    State.NOT_STARTED: 2,
    State.TRAINING: 3,
    State.QUALIFIED: 4,
    State.UNTESTED: 5,
}


def state_of(rule: Rule | None, training: bool, m: MemberStanding) -> State:
    """A member's state under the project's rule (training comes first, as when leasing)."""
    if training:
        return State.TRAINING
    if rule is None:
        return State.UNTESTED
    if m.qualified_at is not None:
        return State.QUALIFIED
    if blocked(rule, m.failed_attempts) is not None:
        return State.BLOCKED
    return State.TESTING if m.answered or m.failed_attempts else State.NOT_STARTED


def _member(
    rule: Rule | None, training: bool, gold_items: int, m: MemberStanding
) -> MemberQualification:
    state = state_of(rule, training, m)
    in_test = state in (State.TESTING, State.NOT_STARTED)
    return MemberQualification(
        email=m.email,
        name=m.name,
        role=m.role,
        vendor=m.vendor,
        state=state,
        qualified_at=m.qualified_at,
        failed_attempts=m.failed_attempts,
        attempt=m.failed_attempts + 1 if in_test else None,
        answered=m.answered,
        correct=m.correct,
        questions_left=max(0, gold_items - m.served),
        gold_answered=m.gold_answered,
        gold_correct=m.gold_correct,
    )


def qualification_report(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> QualificationReport:
    """Each member's standing in the qualification test (blocked first, then those still
    taking it, then those who passed), or each trainee's progress in a training project;
    behind a vendor wall, that vendor's people only."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        standings = store.members(conn, project.id, wall(actor))
        gold_items = gold_store.count(conn, project.id)
    spec = stored_spec(project.spec)
    rule, training = rule_of(spec), bool(spec.quality.training)
    rows = [_member(rule, training, gold_items, m) for m in standings]
    rows.sort(key=lambda r: (_ORDER[r.state], r.email))
    return QualificationReport(
        project=project.name, rule=rule, training=training, gold_items=gold_items, members=rows
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def pass_mark(rule: Rule) -> int:
    """The fewest right answers of an attempt that pass (the domain's exact comparison)."""
    return next(
        c for c in range(rule.items + 1) if after_answer(rule, rule.items, c) is Step.PASSED
    )


def rule_words(report: QualificationReport) -> str:
    """The project's qualification rule (or training) in words, for people."""
    if report.training:
        return (
            "Training project: every task is a gold question, and each answer is followed "
            "by the expert's answer and explanation"
        )
    rule = report.rule
    if rule is None:
        return (
            "No qualification test: annotators start on live work "
            "(set quality.qualification in the spec to require one)"
        )
    times = {1: "once", 2: "twice"}.get(rule.retries, f"{rule.retries} times")
    after = (
        f"a failed attempt may be retried {times}, on fresh questions, then they wait for a "
        "manager to let them try again"
        if rule.retries
        else "after a failed attempt they wait for a manager to let them try again"
    )
    return (
        f"Before live work, each annotator answers {_plural(rule.items, 'gold question')} "
        f"they have not seen and passes with at least {pass_mark(rule)} right "
        f"({rule.pass_share:.0%}); {after}"
    )


def standing_words(m: MemberQualification, report: QualificationReport) -> str:
    """Where one member stands, in words (dates are left to the interface)."""
    rule = report.rule
    if m.state is State.TRAINING:
        return (
            f"{m.gold_answered} of {_plural(report.gold_items, 'question')} answered, "
            f"{m.gold_correct} right"
        )
    if m.state is State.UNTESTED or rule is None:
        return "no test"
    if m.state is State.QUALIFIED:
        return "passed"
    failed = _plural(m.failed_attempts, "failed attempt")
    if m.state is State.BLOCKED:
        return f"{failed}: blocked until a manager lets them try again"
    attempt = f"attempt {m.attempt} of {rule.retries + 1}"
    if not m.answered:
        return f"{attempt}: not started" + (f" ({failed})" if m.failed_attempts else "")
    return f"{attempt}: answered {m.answered} of {rule.items}, {m.correct} right"
