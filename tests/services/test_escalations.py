"""Escalation through the service layer, on every database: flags with a skip and with a
submit, nothing extra on submits without one, resolving (with and without making the item
gold), the edge-case library's search, and who may work the queue."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import (
    Conflict,
    InvalidAnnotation,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from labelworks.domain.escalation import Flag, case_url
from labelworks.services import acceptance, assignment, audit, escalations, gold
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, assignments
from labelworks.storage.tables import escalations as escalations_table

T0 = datetime(2026, 3, 1, 9, 0, 0)
UNCLEAR = Flag("ambiguous", "Sarcastic? 'Great, it broke on day two.'")
UNCOVERED = Flag("edge_case", "The review is in Welsh; the guidelines say nothing.")


def _actor(db: Database, email: str, role: str, vendor: str | None, project: str) -> Actor:
    user = add_user(db, email, role=role, vendor=vendor, projects=[project]).user
    return Actor(user.id, user.email, Role(role), vendor=vendor)


def _lease(db: Database, project: str, who: int, at: datetime = T0) -> assignment.Task:
    task = assignment.next_task_for(db, project, who, now=at)
    assert task is not None
    return task


def _summary(row: escalations.EscalationRow) -> dict[str, Any]:
    """A row without its timestamps (checked apart)."""
    found = asdict(row)
    del found["created_at"], found["resolved_at"]
    return found


def _flagged(db: Database, project: str, n: int) -> tuple[list[int], list[int]]:
    """``n`` items flagged by skips of the first annotator (UNCLEAR, then UNCOVERED, ...);
    returns (the escalation ids, the annotators)."""
    annotators = add_annotators(db, project, 2)
    for k in range(n):
        task = _lease(db, project, annotators[0], T0 + timedelta(minutes=k))
        what = UNCLEAR if k % 2 == 0 else UNCOVERED
        assignment.skip_task(db, task.assignment_id, annotators[0], flag=what, now=T0)
    ids = [e.id for e in escalations.escalation_queue(db, project)]
    return ids, annotators


def test_a_flag_rides_on_a_skip_once(db: Database) -> None:
    """Skipping with a flag closes the assignment and opens one escalation with the item,
    kind, comment and who; a retried skip adds nothing."""
    project = make_project(db)
    load_texts(db, project, ["Great, it broke on day two.", "fine"])
    (ann,) = add_annotators(db, project, 1)
    task = _lease(db, project, ann)
    for _ in range(2):
        assignment.skip_task(db, task.assignment_id, ann, reason="unsure", flag=UNCLEAR, now=T0)
    queue = escalations.escalation_queue(db, project)
    with db.read() as conn:
        state = conn.execute(
            select(assignments.c.state, assignments.c.skip_reason).where(
                assignments.c.id == task.assignment_id
            )
        ).one()
        still_open = escalations.open_escalations(conn, 1)
    assert [_summary(e) for e in queue] == [
        {
            "id": 1,
            "item_id": task.item_id,
            "external_id": None,
            "payload": {"text": "Great, it broke on day two."},
            "kind": "ambiguous",
            "comment": UNCLEAR.comment,
            "flagged_by": "ann0@example.com",
            "flagged_by_name": "",
            "vendor": None,
            "status": "open",
            "answer": None,
            "note": "",
            "guideline_section": None,
            "made_gold": False,
            "resolved_by": None,
            "item_gold": False,
            "annotation": None,
        }
    ]
    assert (queue[0].created_at, queue[0].resolved_at, tuple(state), still_open) == (
        T0,
        None,
        ("skipped", "unsure"),
        1,
    )


def test_a_flag_rides_on_a_submit_once(db: Database) -> None:
    """Submitting with a flag stores the annotation and opens an escalation; a replay of
    the same submit returns the first result and opens nothing more."""
    project = make_project(db)
    load_texts(db, project, ["Bore da! Gwych."])
    (ann,) = add_annotators(db, project, 1)
    task = _lease(db, project, ann)
    results = [
        assignment.submit_annotation(
            db,
            task.assignment_id,
            ann,
            value={"sentiment": "positive"},
            seconds=4.0,
            idempotency_key="k1",
            flag=UNCOVERED,
            now=T0,
        )
        for _ in range(2)
    ]
    with db.read() as conn:
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (annotations_table, escalations_table)
        ]
    queue = escalations.escalation_queue(db, project)
    assert ([r.created for r in results], counts) == ([True, False], [1, 1])
    assert [(e.item_id, e.kind, e.comment, e.status, e.annotation) for e in queue] == [
        (task.item_id, "edge_case", UNCOVERED.comment, "open", {"sentiment": "positive"})
    ]


def test_bad_flags_are_refused_before_anything_happens() -> None:
    """A flag of an unknown kind or with a blank or over-long comment is refused by name."""
    attempts = [("odd", "why"), ("ambiguous", "   "), ("edge_case", "x" * 2001)]
    messages = []
    for kind, comment in attempts:
        with pytest.raises(InvalidInput) as caught:
            Flag(kind, comment)
        messages.append(str(caught.value))
    assert messages == [
        "flag.kind must be one of ambiguous, edge_case, not 'odd'",
        "flag.comment must be 1 to 2000 characters",
        "flag.comment must be 1 to 2000 characters",
    ]


def _statements(db: Database, work: Any) -> list[str]:
    """The statements SQLite ran while ``work()`` did (new connections get the trace);
    PostgreSQL's driver has no trace hook, so there the list stays empty."""
    seen: list[str] = []
    if not db.is_sqlite:
        work()
        return seen
    db.engine.dispose()

    def trace(conn: Any, _record: Any) -> None:
        conn.set_trace_callback(seen.append)

    event.listen(db.engine, "connect", trace)
    try:
        work()
    finally:
        event.remove(db.engine, "connect", trace)
        db.engine.dispose()
    return seen


def test_submits_and_skips_without_a_flag_do_nothing_extra(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a flag the escalation code is never reached (on SQLite: no statement names
    the table, and a flagged submit costs exactly two statements more than a plain one: the
    flag and its audit event)."""
    project = make_project(db)
    load_texts(db, project, [f"review {i}" for i in range(4)])
    first, second = add_annotators(db, project, 2)
    tasks = [_lease(db, project, who) for who in (first, second)]

    def submit(k: int, flag: Flag | None) -> None:
        who = (first, second)[k]
        assignment.submit_annotation(
            db,
            tasks[k].assignment_id,
            who,
            value={"sentiment": "neutral"},
            seconds=1.0,
            idempotency_key=f"k{k}",
            flag=flag,
            now=T0,
        )

    def unreachable(*_: Any) -> None:
        raise AssertionError("the escalation code ran for a submit without a flag")

    with monkeypatch.context() as patched:
        patched.setattr(assignment, "flag_item", unreachable)
        plain = _statements(db, lambda: submit(0, None))
        skipped = _lease(db, project, first, T0 + timedelta(minutes=1))
        assignment.skip_task(db, skipped.assignment_id, first, reason="later", now=T0)
    flagged = _statements(db, lambda: submit(1, UNCLEAR))
    with db.read() as conn:
        opened = conn.execute(select(escalations_table.c.assignment_id)).scalars().all()
    named = [s for s in plain if "escalations" in s]
    if db.is_sqlite:
        assert (named, len(flagged) - len(plain)) == ([], 2)
    assert opened == [tasks[1].assignment_id]


def test_resolving_without_gold_joins_the_library(db: Database) -> None:
    """A reviewer resolves with an answer, a note and a guideline section: the case leaves
    the queue for the library with who and when; a bad answer or a second resolution is
    refused and changes nothing."""
    project = make_project(db)
    load_texts(db, project, ["Great, it broke on day two.", "in Welsh"])
    (first, second), _ = _flagged(db, project, 2)
    reviewer = _actor(db, "rev@example.com", "reviewer", None, project)
    with pytest.raises(InvalidAnnotation):
        escalations.resolve_escalation(
            db, project, first, answer={"sentiment": "sarcastic"}, note="no", actor=reviewer
        )
    done = escalations.resolve_escalation(
        db,
        project,
        first,
        answer={"sentiment": "negative"},
        note="  Sarcasm about a defect is negative.  ",
        guideline_section="3.2 Sarcasm",
        actor=reviewer,
    )
    with pytest.raises(Conflict):
        escalations.resolve_escalation(db, project, first, note="again", actor=reviewer)
    with pytest.raises(NotFound):
        escalations.resolve_escalation(db, project, 999, note="none", actor=reviewer)
    library = escalations.edge_cases(db, project, actor=reviewer)
    queue = escalations.escalation_queue(db, project, actor=reviewer)
    assert (
        done.status,
        done.answer,
        done.note,
        done.guideline_section,
        done.made_gold,
        done.resolved_by,
        done.resolved_at is not None,
    ) == (
        "resolved",
        {"sentiment": "negative"},
        "Sarcasm about a defect is negative.",
        "3.2 Sarcasm",
        False,
        "rev@example.com",
        True,
    )
    assert ([e.id for e in library], [e.id for e in queue]) == ([first], [second])
    assert gold.gold_answers(db, project) == []
    assert case_url(project, first) == f"/projects/{project}/edge-cases#case-{first}"


def test_making_it_gold_marks_the_item_with_the_answer(db: Database) -> None:
    """``make_gold`` makes the item a gold question with the answer and the note as its
    explanation; only managers outside vendors may, reviewers then no longer see the case,
    and the answer is required."""
    project = make_project(db)
    load_texts(db, project, ["Great, it broke on day two.", "in Welsh"])
    (first, second), _ = _flagged(db, project, 2)
    reviewer = _actor(db, "rev@example.com", "reviewer", None, project)
    manager = _actor(db, "boss@example.com", "manager", None, project)
    answer = {"sentiment": "negative"}
    with pytest.raises(PermissionDenied):
        escalations.resolve_escalation(
            db, project, first, answer=answer, note="x", make_gold=True, actor=reviewer
        )
    with pytest.raises(InvalidInput):
        escalations.resolve_escalation(db, project, first, note="x", make_gold=True, actor=manager)
    done = escalations.resolve_escalation(
        db,
        project,
        first,
        answer=answer,
        note="Sarcasm is negative.",
        make_gold=True,
        actor=manager,
    )
    golden = gold.gold_answers(db, project, actor=manager)
    seen = {
        who: [e.id for e in escalations.edge_cases(db, project, actor=actor)]
        for who, actor in (("reviewer", reviewer), ("manager", manager))
    }
    with pytest.raises(NotFound):
        escalations.resolve_escalation(db, project, first, note="again", actor=reviewer)
    assert (done.made_gold, done.item_gold) == (True, True)
    assert [(g.item_id, g.value, g.explanation) for g in golden] == [
        (done.item_id, answer, "Sarcasm is negative.")
    ]
    assert seen == {"reviewer": [], "manager": [first]}
    assert [e.id for e in escalations.escalation_queue(db, project, actor=reviewer)] == [second]


def test_the_library_is_searched_in_every_text_ignoring_case(db: Database) -> None:
    """The search finds cases by comment, note, guideline section or item content, in
    any case; LIKE's wildcards are plain characters; open flags are never in the library."""
    project = make_project(db)
    texts = ["Great, it broke on day two.", "Bore da! Gwych.", "100% happy_customer", "open"]
    load_texts(db, project, texts)
    ids, _ = _flagged(db, project, 4)
    notes = [
        ("Sarcasm counts as negative.", "3.2 Sarcasm"),
        ("Label the language's sentiment.", "5 Languages"),
        ("Plain positive.", None),
    ]
    for escalation_id, (note, section) in zip(ids, notes, strict=False):
        escalations.resolve_escalation(
            db, project, escalation_id, note=note, guideline_section=section
        )
    queries = ["SARCASM", "welsh", "languages", "gwych", "100%", "y_c", "%", "open", "", "zzz"]
    found = {q: [e.id for e in escalations.edge_cases(db, project, query=q)] for q in queries}
    assert found == {
        "SARCASM": [ids[0]],
        "welsh": [ids[1]],
        "languages": [ids[1]],
        "gwych": [ids[1]],
        "100%": [ids[2]],
        "y_c": [ids[2]],
        "%": [ids[2]],
        "open": [],
        "": ids[:3],
        "zzz": [],
    }


def test_vendor_staff_annotators_and_outsiders_are_refused(db: Database) -> None:
    """The queue, the library and resolving refuse vendors' staff and annotators
    (PermissionDenied) and people outside the project (NotFound); nothing is resolved."""
    project = make_project(db)
    load_texts(db, project, ["Great, it broke on day two."])
    (first,), _ = _flagged(db, project, 1)
    make_project(db, name="elsewhere")
    people = {
        "acme manager": _actor(db, "lead@acme.example", "manager", "acme", project),
        "acme reviewer": _actor(db, "rev@acme.example", "reviewer", "acme", project),
        "annotator": _actor(db, "ann@example.com", "annotator", None, project),
        "outsider": _actor(db, "out@example.com", "manager", None, "elsewhere"),
    }
    calls = {
        "queue": lambda a: escalations.escalation_queue(db, project, actor=a),
        "library": lambda a: escalations.edge_cases(db, project, actor=a),
        "resolve": lambda a: escalations.resolve_escalation(db, project, first, note="n", actor=a),
        "check": lambda a: escalations.check_may_resolve(db, project, actor=a),
    }
    refused = {}
    for who, actor in people.items():
        for name, call in calls.items():
            with pytest.raises((PermissionDenied, NotFound)) as caught:
                call(actor)
            refused[(who, name)] = type(caught.value).__name__
        if who != "outsider":  # pages ask it only of people the project page admitted
            refused[(who, "count")] = str(escalations.open_count_for(db, project, actor=actor))
    expected: dict[tuple[str, str], str] = {}
    for who in people:
        error = "NotFound" if who == "outsider" else "PermissionDenied"
        expected |= {(who, name): error for name in calls}
        if who != "outsider":
            expected[(who, "count")] = "None"
    assert refused == expected
    assert [e.status for e in escalations.escalation_queue(db, project)] == ["open"]


def test_pages_and_statuses_are_bounded(db: Database) -> None:
    """Queue pages follow ``after``; a bad status, limit or over-long search is refused."""
    project = make_project(db)
    load_texts(db, project, [f"review {i}" for i in range(3)])
    ids, _ = _flagged(db, project, 3)
    pages = [
        [e.id for e in escalations.escalation_queue(db, project, after=after, limit=2)]
        for after in (0, ids[1])
    ]
    problems = []
    for call in (
        lambda: escalations.escalation_queue(db, project, status="closed"),
        lambda: escalations.escalation_queue(db, project, limit=0),
        lambda: escalations.edge_cases(db, project, query="x" * 201),
    ):
        with pytest.raises(InvalidInput) as caught:
            call()
        problems.append(str(caught.value))
    assert (pages, problems) == (
        [ids[:2], ids[2:]],
        [
            "status must be one of open, resolved",
            "limit must be between 1 and 200",
            "the search must be at most 200 characters",
        ],
    )


def test_open_escalations_hold_back_acceptance(db: Database) -> None:
    """``no_open_escalations`` is unmet while a flag is open and met once it is resolved."""
    project = make_project(db, quality={"acceptance": {"no_open_escalations": True}})
    load_texts(db, project, ["Great, it broke on day two."])
    (first,), _ = _flagged(db, project, 1)

    def criterion() -> tuple[str, bool, float | None]:
        (found,) = acceptance.acceptance_report(db, project).criteria
        return found.name, found.met, found.value

    before = criterion()
    escalations.resolve_escalation(db, project, first, note="Sarcasm is negative.")
    assert (before, criterion()) == (
        ("no_open_escalations", False, 1.0),
        ("no_open_escalations", True, 0.0),
    )


def test_flags_and_resolutions_are_in_the_audit_trail(db: Database) -> None:
    """A flag is audited as its annotator's, a resolution (and the gold it made) as the
    expert's, each with what it was about."""
    project = make_project(db)
    load_texts(db, project, ["Great, it broke on day two."])
    (first,), _ = _flagged(db, project, 1)
    manager = _actor(db, "boss@example.com", "manager", None, project)
    escalations.resolve_escalation(
        db,
        project,
        first,
        answer={"sentiment": "negative"},
        note="Sarcasm is negative.",
        guideline_section="3.2",
        make_gold=True,
        actor=manager,
    )
    events = [
        (e.actor, e.action, e.subject, e.details)
        for e in audit.audit_trail(db, project)
        if e.action.startswith(("escalation", "gold"))
    ]
    assert events == [
        ("ann0@example.com", "escalation.flag", "item 1", {"kind": "ambiguous"}),
        (
            "boss@example.com",
            "escalation.resolve",
            f"escalation {first}",
            {"item_id": 1, "made_gold": True, "guideline_section": "3.2"},
        ),
        ("boss@example.com", "gold.mark", "item 1", {"item_id": 1}),
    ]
