"""A project for coaching pages, made through the services, small enough to compute by hand:
three gold items and six ordinary ones, three acme annotators, one globex annotator, an
acme manager, an in-house manager and an in-house reviewer.

Two ISO weeks of work, both before ``today``'s week:

- the first (``weeks[0]``): everyone answers the three gold items (gold rate 1 serves
  gold first). Ann (acme) gets one of three right, Ben three, Cy two, Gil (globex) none.
  Seconds: Ann 4, 6, 11; Ben 3, 3, 3; Cy 10, 12, 14; Gil 9, 9, 9.
- the second (``weeks[1]``): each acme annotator labels two ordinary items, all reviewed
  (``first_n: 2``). Ann's first is rejected ("wrong label", with a comment naming the
  Sarcasm section), her second fixed to neutral; she flagged it, and an expert resolved
  the flag naming the "mixed feelings" section. Ben's and Cy's are accepted. Seconds:
  Ann 30, 50; Ben 20, 22; Cy 60, 80.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tests.services.builders import jsonl

from labelworks.domain.access import Actor, Role
from labelworks.domain.escalation import Flag
from labelworks.domain.spec import spec_from_dict
from labelworks.services import catalog, escalations, gold, ingestion, reviews
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

PROJECT = "coach"
GUIDELINES = """# Sentiment

Label the feeling the writer means.

## Sarcasm

Sarcasm flips the literal words: label what is meant, not what is said.

## Mixed feelings

When a text praises and complains at once, label it neutral.
"""
SPEC: dict[str, Any] = {
    "name": PROJECT,
    "description": "coaching fixture",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative", "neutral"]}
    ],
    "overlap": 3,
    "quality": {"gold_rate": 1.0, "review": {"first_n": 2}},
}
# text → (expert answer, explanation)
GOLD = {
    "What a lovely day, my car broke down": ("negative", "Sarcasm: read the Sarcasm section."),
    "Loved every minute": ("positive", "Plainly positive."),
    "Great food, rude staff": ("neutral", "Praise and complaint: mixed feelings."),
}
ORDINARY = [f"ordinary review {i}" for i in range(6)]
ANN, BEN, CY, GIL = (
    "ann@acme.example",
    "ben@acme.example",
    "cy@acme.example",
    "gil@globex.example",
)
BOSS, LEAD, REV = "boss@acme.example", "lead@example.com", "rev@example.com"
# Each annotator's gold answers by gold text, and their seconds, in serving order.
WRONG = {"negative": "positive", "positive": "negative", "neutral": "positive"}
GOLD_RIGHT = {ANN: 1, BEN: 3, CY: 2, GIL: 0}
GOLD_SECONDS = {ANN: [4.0, 6.0, 11.0], BEN: [3.0, 3.0, 3.0], CY: [10.0, 12.0, 14.0], GIL: [9.0] * 3}
WORK_SECONDS = {ANN: [30.0, 50.0], BEN: [20.0, 22.0], CY: [60.0, 80.0]}


@dataclass(frozen=True, slots=True)
class CoachingWorld:
    project: str
    ids: dict[str, int]  # email → user id
    tokens: dict[str, str]  # email → API token (when asked for)
    gold_items: dict[str, int]  # gold text → item id
    weeks: tuple[date, date]  # the Mondays of the two weeks of work
    rejected_item: int
    fixed_item: int
    escalation_id: int


def build(
    db: Database, today: date, *, password_hash: str | None = None, tokens: bool = False
) -> CoachingWorld:
    """The world above, its two weeks being the two before ``today``'s week; everyone
    gets ``password_hash`` and, with ``tokens``, an API token."""
    apply_spec(db, spec_from_dict(SPEC), guidelines=GUIDELINES)
    ingestion.import_items(
        db,
        PROJECT,
        jsonl([{"text": t} for t in [*GOLD, *ORDINARY]]),
        format="jsonl",
        source="coach.jsonl",
    )
    by_text = {t: catalog.list_items(db, PROJECT, text=t).items[0].id for t in GOLD}
    for text, (answer, why) in GOLD.items():
        gold.mark_gold(db, PROJECT, by_text[text], value={"sentiment": answer}, explanation=why)
    ids: dict[str, int] = {}
    made_tokens: dict[str, str] = {}
    people = [
        (ANN, "annotator", "acme"),
        (BEN, "annotator", "acme"),
        (CY, "annotator", "acme"),
        (GIL, "annotator", "globex"),
        (BOSS, "manager", "acme"),
        (LEAD, "manager", None),
        (REV, "reviewer", None),
    ]
    for email, role, vendor in people:
        made = add_user(
            db,
            email,
            role=role,
            name=email.split("@")[0].title(),
            vendor=vendor,
            projects=[PROJECT],
            password_hash=password_hash,
            with_token=tokens,
        )
        ids[email] = made.user.id
        if made.token is not None:
            made_tokens[email] = made.token
    monday = today - timedelta(days=today.weekday())
    weeks = (monday - timedelta(days=14), monday - timedelta(days=7))
    first = datetime.combine(weeks[0] + timedelta(days=1), time(10))
    for k, email in enumerate([ANN, BEN, CY, GIL]):
        right = GOLD_RIGHT[email]
        for n, spent in enumerate(GOLD_SECONDS[email]):
            start = first + timedelta(minutes=10 * k, seconds=n)
            task = next_task_for(db, PROJECT, ids[email], now=start)
            assert task is not None
            text = task.payload["text"]
            expert = GOLD[text][0]
            given = expert if text in _RIGHT_TEXTS[right] else WRONG[expert]
            # Gold comes in random order; answered in GOLD's order, whatever it was.
            at = first + timedelta(minutes=10 * k + list(GOLD).index(text), seconds=10)
            _submit(db, ids[email], task.assignment_id, given, spent, at)
    second = datetime.combine(weeks[1] + timedelta(days=1), time(10))
    worked: dict[str, list[int]] = {}
    for k, email in enumerate([ANN, BEN, CY]):
        for n, spent in enumerate(WORK_SECONDS[email]):
            at = second + timedelta(minutes=10 * k + n)
            task = next_task_for(db, PROJECT, ids[email], now=at)
            assert task is not None and task.payload["text"] not in GOLD
            flag = Flag("ambiguous", "praise or complaint?") if email == ANN and n == 1 else None
            _submit(db, ids[email], task.assignment_id, "positive", spent, at, flag)
            worked.setdefault(email, []).append(task.item_id)
    queue = {(r.annotator, r.item_id): r.id for r in reviews.review_queue(db, PROJECT)}
    rejected_item, fixed_item = worked[ANN]
    reviewer = Actor(id=ids[REV], email=REV, role=Role.REVIEWER)
    reviews.decide_review(
        db,
        PROJECT,
        queue[ANN, rejected_item],
        decision="reject",
        reason="wrong label",
        comment="Sarcasm again: the words are kind, the meaning is not.",
        actor=reviewer,
    )
    reviews.decide_review(
        db,
        PROJECT,
        queue[ANN, fixed_item],
        decision="fix",
        comment="both at once",
        value={"sentiment": "neutral"},
        actor=reviewer,
    )
    for email in (BEN, CY):
        for item in worked[email]:
            reviews.decide_review(
                db, PROJECT, queue[email, item], decision="accept", actor=reviewer
            )
    (flagged,) = escalations.escalation_queue(db, PROJECT)
    escalations.resolve_escalation(
        db,
        PROJECT,
        flagged.id,
        note="Both: neutral.",
        guideline_section="mixed feelings",
    )
    return CoachingWorld(
        project=PROJECT,
        ids=ids,
        tokens=made_tokens,
        gold_items={t: by_text[t] for t in GOLD},
        weeks=weeks,
        rejected_item=rejected_item,
        fixed_item=fixed_item,
        escalation_id=flagged.id,
    )


# Which gold texts each annotator answers right, when they get ``right`` of three.
_RIGHT_TEXTS = {
    1: {"Loved every minute"},
    2: {"Loved every minute", "What a lovely day, my car broke down"},
    3: set(GOLD),
    0: set(),
}


def _submit(
    db: Database,
    who: int,
    assignment_id: int,
    label: str,
    seconds: float,
    at: datetime,
    flag: Flag | None = None,
) -> None:
    submit_annotation(
        db,
        assignment_id,
        who,
        value={"sentiment": label},
        seconds=seconds,
        idempotency_key=f"{who}-{assignment_id}",
        flag=flag,
        now=at,
    )
