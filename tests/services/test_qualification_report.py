"""The qualification report's words: the rule as people read it (pass mark counted with the
domain's exact comparison, retries as "once", "twice" or a number) and each standing."""

from __future__ import annotations

from datetime import datetime

from labelworks.domain.qualification import Rule
from labelworks.services.qualification_report import (
    MemberQualification,
    QualificationReport,
    State,
    pass_mark,
    rule_words,
    standing_words,
)


def _report(rule: Rule | None, training: bool = False) -> QualificationReport:
    return QualificationReport("p", rule, training, gold_items=12)


def _member(state: State, **given: object) -> MemberQualification:
    values: dict[str, object] = {
        "email": "a@example.com",
        "name": "",
        "role": "annotator",
        "vendor": None,
        "state": state,
        "qualified_at": None,
        "failed_attempts": 0,
        "attempt": None,
        "answered": 0,
        "correct": 0,
        "questions_left": 12,
        "gold_answered": 0,
        "gold_correct": 0,
        **given,
    }
    return MemberQualification(**values)  # type: ignore[arg-type]


def test_pass_marks_are_exact() -> None:
    """0.8 of 5 needs 4 (not 5 from 4.000000000000001); 0.66 of 3 needs 2; 0.5 of 3 needs 2."""
    rules = [Rule(5, 0.8, 0), Rule(3, 0.66, 0), Rule(3, 0.5, 0), Rule(1, 1.0, 0)]
    assert [pass_mark(r) for r in rules] == [4, 2, 2, 1]


def test_the_rule_in_words() -> None:
    """Each kind of rule, training, and no test at all."""
    assert [
        rule_words(_report(Rule(5, 0.8, 0))),
        rule_words(_report(Rule(1, 1.0, 2))),
        rule_words(_report(Rule(10, 0.9, 3))),
        rule_words(_report(None, training=True)),
        rule_words(_report(None)),
    ] == [
        "Before live work, each annotator answers 5 gold questions they have not seen and "
        "passes with at least 4 right (80%); after a failed attempt they wait for a manager "
        "to let them try again",
        "Before live work, each annotator answers 1 gold question they have not seen and "
        "passes with at least 1 right (100%); a failed attempt may be retried twice, on "
        "fresh questions, then they wait for a manager to let them try again",
        "Before live work, each annotator answers 10 gold questions they have not seen and "
        "passes with at least 9 right (90%); a failed attempt may be retried 3 times, on "
        "fresh questions, then they wait for a manager to let them try again",
        "Training project: every task is a gold question, and each answer is followed by "
        "the expert's answer and explanation",
        "No qualification test: annotators start on live work (set quality.qualification "
        "in the spec to require one)",
    ]


def test_each_standing_in_words() -> None:
    """Blocked, between attempts, mid-attempt, passed, training and untested."""
    rule = _report(Rule(5, 0.8, 2))
    assert [
        standing_words(_member(State.BLOCKED, failed_attempts=3), rule),
        standing_words(_member(State.TESTING, failed_attempts=1, attempt=2), rule),
        standing_words(_member(State.TESTING, attempt=1, answered=3, correct=2), rule),
        standing_words(_member(State.NOT_STARTED, attempt=1), rule),
        standing_words(_member(State.QUALIFIED, qualified_at=datetime(2026, 1, 1)), rule),
        standing_words(
            _member(State.TRAINING, gold_answered=7, gold_correct=5), _report(None, True)
        ),
        standing_words(_member(State.UNTESTED), _report(None)),
    ] == [
        "3 failed attempts: blocked until a manager lets them try again",
        "attempt 2 of 3: not started (1 failed attempt)",
        "attempt 1 of 3: answered 3 of 5, 2 right",
        "attempt 1 of 3: not started",
        "passed",
        "7 of 12 questions answered, 5 right",
        "no test",
    ]
