"""The Quality page's Qualification card: the rule in words and where each member stands
(a "Let them try again" form for the blocked), or in a training project each trainee's
progress and score. The browser face of ``services.qualification_report``; the Quality
page (``web.quality``) renders it and takes the form."""

from __future__ import annotations

from dataclasses import dataclass, field

from labelworks.domain.access import Actor
from labelworks.services import gold
from labelworks.services.qualification_report import (
    MemberQualification,
    QualificationReport,
    State,
    qualification_report,
    rule_words,
    standing_words,
)
from labelworks.storage.engine import Database

# Each state's pill: its words and colour.
PILLS: dict[State, tuple[str, str]] = {
    State.BLOCKED: ("Blocked", "bad"),
    State.TESTING: ("Taking the test", "warn"),
    State.NOT_STARTED: ("Not started", ""),
    State.QUALIFIED: ("Passed", "good"),
    State.TRAINING: ("Training", ""),
    State.UNTESTED: ("No test", ""),
}


@dataclass(frozen=True, slots=True)
class MemberRow:
    member: MemberQualification
    pill: tuple[str, str]
    words: str
    passed: str | None  # "2026-01-01 12:00 UTC"


@dataclass(frozen=True, slots=True)
class TraineeRow:
    member: MemberQualification
    progress: str  # "3 of 6"
    score: str | None  # "67%", None before their first answer
    fields: list[tuple[str, str, str]]  # (field, "2 of 3", "67%") from the gold report


@dataclass(frozen=True, slots=True)
class QualificationView:
    report: QualificationReport
    rule: str
    counts: dict[State, int]
    members: list[MemberRow] = field(default_factory=list)
    trainees: list[TraineeRow] = field(default_factory=list)


def _percent(correct: int, total: int) -> str:
    return f"{round(100 * correct / total)}%"


def _trainee(
    m: MemberQualification, total: int, by_email: dict[str, gold.AnnotatorGold]
) -> TraineeRow:
    scored = by_email.get(m.email)
    return TraineeRow(
        member=m,
        progress=f"{m.gold_answered} of {total}",
        score=_percent(m.gold_correct, m.gold_answered) if m.gold_answered else None,
        fields=[]
        if scored is None
        else [
            (name, f"{s.correct} of {s.total}", _percent(s.correct, s.total))
            for name, s in scored.fields.items()
            if s.total
        ],
    )


def qualification_view(
    db: Database, project: str, actor: Actor, gold_report: gold.GoldReport
) -> QualificationView:
    """The card's content for ``actor`` (the review right; vendor walls apply)."""
    report = qualification_report(db, project, actor=actor)
    counts = {state: 0 for state in State}
    for m in report.members:
        counts[m.state] += 1
    if report.training:
        by_email = {a.email: a for a in gold_report.annotators}
        trainees = [_trainee(m, report.gold_items, by_email) for m in report.members]
        return QualificationView(report, rule_words(report), counts, trainees=trainees)
    rows = [
        MemberRow(
            member=m,
            pill=PILLS[m.state],
            words=standing_words(m, report),
            passed=None
            if m.qualified_at is None
            else f"{m.qualified_at.strftime('%Y-%m-%d %H:%M')} UTC",
        )
        for m in report.members
    ]
    return QualificationView(report, rule_words(report), counts, members=rows)
