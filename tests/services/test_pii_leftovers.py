"""The privacy policy where it was still missing, on every database: spans marked on masked
text (submits, review fixes, escalation answers) and the span error, training feedback,
the adjudication desk's decisions, final labels, lot samples, gold answers, the audit
trail, and searches that would test guesses against stored text."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from tests.services.builders import jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidAnnotation, InvalidInput
from labelworks.domain.escalation import Flag
from labelworks.domain.pii import MASK
from labelworks.services import assignment, escalations, quality_view
from labelworks.services.adjudication import adjudicate
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.audit import audit_trail
from labelworks.services.catalog import item_detail, list_items
from labelworks.services.escalations import edge_cases
from labelworks.services.final_labels import final_labels
from labelworks.services.gold import gold_answers, mark_gold
from labelworks.services.ingestion import import_items
from labelworks.services.lots import audit_sample, create_lot, lot_view
from labelworks.services.reviews import decide_review, review_queue
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
EMAIL = "ann@example.com"
TEXT = f"Write to {EMAIL} today"  # the email is characters 9..24
SHOWN = f"Write to {MASK * 15} today"
AT = {"start": 9, "end": 24, "label": "CONTACT"}
WORD = {"start": 0, "end": 5, "label": "WORD", "text": "Write"}
CALL = "call 020 7946 0958 first"
CALL_SHOWN = f"call {MASK * 13} first"
OWNER = "bob@example.com"
# Reviewers and managers see values masked; admins as stored; vendors' staff masked.
POLICY: dict[str, Any] = {
    "detect": ["email", "phone"],
    "audiences": {"reviewer": "redact", "manager": "redact"},
}
FIELDS = [
    {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative"]},
    {"name": "ents", "kind": "spans", "labels": ["CONTACT", "WORD"], "required": False},
    {"name": "why", "kind": "text", "required": False},
]
DYNAMIC = {"dynamic_overlap": {"min": 2, "max": 4, "confidence": 0.9}}


def _world(db: Database, rows: int = 1, **spec: Any) -> dict[str, Actor]:
    """Project 'contacts' (the policy above) with ``rows`` items holding an email in their
    text and metadata (numbered ``n``: equal payloads would be one item), and people in
    house and behind 'acme'."""
    make_project(db, name="contacts", privacy=POLICY, fields=FIELDS, **spec)
    items = [{"text": TEXT, "n": n, "metadata": {"owner": OWNER}} for n in range(rows)]
    if items:
        import_items(db, "contacts", jsonl(items), format="jsonl", source="rows.jsonl")
    people: dict[str, Actor] = {}
    for who, role, vendor in (
        ("admin", "admin", None),
        ("boss", "manager", None),
        ("rev", "reviewer", None),
        ("ann0", "annotator", None),
        ("ann1", "annotator", None),
        ("ann2", "annotator", None),
        ("ann3", "annotator", None),
        ("acme0", "annotator", "acme"),
    ):
        user = add_user(db, f"{who}@corp.test", role=role, vendor=vendor, projects=["contacts"])
        people[who] = Actor(user.user.id, user.user.email, Role(role), vendor=vendor)
    return people


def _submit(db: Database, who: Actor, value: dict[str, Any], k: int) -> assignment.SubmitResult:
    task = next_task_for(db, "contacts", who.id, now=T0 + timedelta(seconds=k))
    assert task is not None
    return submit_annotation(
        db,
        task.assignment_id,
        who.id,
        value=value,
        seconds=1.0,
        idempotency_key=f"k{k}",
        now=T0 + timedelta(seconds=k),
    )


def _stored_values(db: Database, people: dict[str, Actor], item_id: int) -> list[Any]:
    """The item's annotations' values as stored (the admin sees them so)."""
    detail = item_detail(db, "contacts", item_id, actor=people["admin"])
    return [a.value for a in detail.annotations]


def test_a_span_marked_on_masked_text_is_stored_with_the_stored_text(db: Database) -> None:
    """The acme annotator (redact) is served the masked text; spans sent with the masked
    slice, and with any other text under the mask, are stored with the stored slice."""
    people = _world(db, rows=2, overlap=1)
    served = next_task_for(db, "contacts", people["acme0"].id, now=T0)
    assert served is not None
    for k, under_mask in enumerate((MASK * 15, "bob@example.org")):
        value = {"sentiment": "positive", "ents": [WORD, {**AT, "text": under_mask}]}
        _submit(db, people["acme0"], value, k)
    stored = {"sentiment": "positive", "ents": [WORD, {**AT, "text": EMAIL}]}
    assert (
        served.payload["text"],
        _stored_values(db, people, 1),
        _stored_values(db, people, 2),
    ) == (
        SHOWN,
        [stored],
        [stored],
    )


def test_a_wrong_span_text_is_refused_without_quoting_the_item(db: Database) -> None:
    """A text wrong where nothing is masked is refused naming the span and its offsets,
    never the item's text; a right and a wrong guess under the mask get the same refusal,
    so it tells nothing about what the mask hides; nothing is stored."""
    people = _world(db, overlap=1)
    task = next_task_for(db, "contacts", people["acme0"].id, now=T0)
    assert task is not None
    refusals = []
    for k, guess in enumerate((EMAIL, "bob@example.org")):
        wrong = {**WORD, "text": "Wrote"}
        value = {"sentiment": "positive", "ents": [{**AT, "text": guess}, wrong]}
        with pytest.raises(InvalidAnnotation) as refused:
            submit_annotation(
                db,
                task.assignment_id,
                people["acme0"].id,
                value=value,
                seconds=1.0,
                idempotency_key=f"k{k}",
                now=T0,
            )
        refusals.append(str(refused.value))
    expected = "field 'ents[1].text': does not match the text of 'text' at 0..5"
    assert (refusals, _stored_values(db, people, 1)) == ([expected, expected], [])


def test_a_matching_span_costs_no_screening_on_the_submit_path(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A span whose text is the stored one is accepted without reading the annotator or
    screening the payload, even from someone who sees the item masked."""
    people = _world(db, overlap=1)
    task = next_task_for(db, "contacts", people["acme0"].id, now=T0)
    assert task is not None

    def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the normal submit path screened the payload")

    monkeypatch.setattr(assignment, "restored", forbidden)
    monkeypatch.setattr(assignment.user_store, "by_id", forbidden)
    value = {"sentiment": "negative", "ents": [WORD]}
    submit_annotation(
        db,
        task.assignment_id,
        people["acme0"].id,
        value=value,
        seconds=1.0,
        idempotency_key="k",
        now=T0,
    )
    monkeypatch.undo()
    assert _stored_values(db, people, 1) == [value]


def test_a_reviewers_fix_and_an_experts_answer_keep_spans_marked_on_masked_text(
    db: Database,
) -> None:
    """The in-house reviewer (redact) fixes an annotation with a new span over the masked
    email and resolves a flagged item with one: both are stored with the stored text."""
    people = _world(db, rows=2, overlap=1, quality={"review": {"first_n": 1}})
    _submit(db, people["ann0"], {"sentiment": "positive"}, 0)
    (pending,) = review_queue(db, "contacts", actor=people["rev"])
    masked_span = {**AT, "text": pending.payload["text"][9:24]}
    fix = {"sentiment": "positive", "ents": [masked_span]}
    decide_review(db, "contacts", pending.id, decision="fix", value=fix, actor=people["rev"])
    task = next_task_for(db, "contacts", people["ann0"].id, now=T0)
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        people["ann0"].id,
        value={"sentiment": "negative"},
        seconds=1.0,
        idempotency_key="flagged",
        now=T0,
        flag=Flag("ambiguous", "who is this?"),
    )
    (case,) = escalations.escalation_queue(db, "contacts", actor=people["rev"])
    resolved = escalations.resolve_escalation(
        db,
        "contacts",
        case.id,
        answer={"sentiment": "negative", "ents": [masked_span]},
        note="a contact",
        actor=people["rev"],
    )
    (decided,) = review_queue(db, "contacts", actor=people["admin"], status=None)
    (library,) = edge_cases(db, "contacts", actor=people["admin"])
    real = [{**AT, "text": EMAIL}]
    assert (masked_span["text"], decided.fixed_value, library.answer, resolved.answer) == (
        MASK * 15,
        {"sentiment": "positive", "ents": real},
        {"sentiment": "negative", "ents": real},
        {"sentiment": "negative", "ents": [masked_span]},
    )


def test_training_feedback_masks_the_experts_answer_for_a_redacting_annotator(
    db: Database,
) -> None:
    """In a training project the acme annotator (redact) gets the expert's answer and
    explanation masked; the in-house annotator (flag) gets them as stored."""
    people = _world(db, rows=0, overlap=2, quality={"training": True})
    gold = {"sentiment": "positive", "ents": [{**AT, "text": EMAIL}]}
    row = {"text": TEXT, "gold": gold, "gold_explanation": f"{EMAIL} is a contact"}
    import_items(db, "contacts", jsonl([row]), format="jsonl", source="gold.jsonl")
    seen = {}
    for k, who in enumerate(("acme0", "ann0")):
        result = _submit(db, people[who], {"sentiment": "positive", "ents": [WORD]}, k)
        assert result.feedback is not None
        seen[who] = (result.feedback.expert, result.feedback.explanation)
    assert seen == {
        "acme0": (
            {"sentiment": "positive", "ents": [{**AT, "text": MASK * 15}]},
            f"{MASK * 15} is a contact",
        ),
        "ann0": (gold, f"{EMAIL} is a contact"),
    }


def _adjudicated(db: Database, people: dict[str, Actor]) -> dict[str, Any]:
    """The item split 2:2 at its most annotations, decided by the admin with a value and a
    note that hold personal data; the value decided."""
    for k, label in enumerate(("positive", "negative", "positive", "negative")):
        _submit(db, people[f"ann{k}"], {"sentiment": label}, k)
    value = {"sentiment": "positive", "why": f"from {EMAIL}"}
    adjudicate(db, "contacts", 1, value=value, note=CALL, actor=people["admin"])
    return value


def test_decisions_final_labels_and_the_audit_trail_are_screened(db: Database) -> None:
    """The adjudication desk's latest decisions and the final labels mask the value and
    note for the reviewer (redact), the audit trail for the manager (redact); the admin
    reads all three as stored."""
    people = _world(db, quality=DYNAMIC)
    value = _adjudicated(db, people)
    masked = {"sentiment": "positive", "why": f"from {MASK * 15}"}

    def seen(who: str, auditor: str) -> tuple[Any, ...]:
        desk = quality_view.adjudication_desk(db, "contacts", actor=people[who])
        finals, _ = final_labels(db, "contacts", actor=people[who])
        (event,) = audit_trail(db, "contacts", actor=people[auditor], action="adjudication.decide")
        return (
            [(d.value, d.note) for d in desk.decided],
            [(f.value, f.note) for f in finals],
            event.details,
        )

    assert (seen("rev", "boss"), seen("admin", "admin")) == (
        ([(masked, CALL_SHOWN)], [(masked, CALL_SHOWN)], {"value": masked, "note": CALL_SHOWN}),
        ([(value, CALL)], [(value, CALL)], {"value": value, "note": CALL}),
    )


def test_lot_samples_and_gold_answers_are_screened(db: Database) -> None:
    """A lot's sampled payload, value and auditor's note are masked for the reviewer
    (redact); the gold answers list masks answer and explanation for the manager (redact);
    the admin reads both as stored."""
    people = _world(db, rows=2, overlap=1)
    value = {"sentiment": "positive", "why": f"mail {EMAIL}"}
    _submit(db, people["ann0"], value, 0)
    lot = create_lot(db, "contacts", name="all", import_id=1, aql=0.1, ltpd=0.5, seed=1)
    (sample,) = lot_view(db, "contacts", lot.id, actor=people["admin"]).samples
    audit_sample(
        db,
        "contacts",
        lot.id,
        sample.annotation_id,
        defect=False,
        note=CALL,
        actor=people["admin"],
    )
    answer = {"sentiment": "negative", "ents": [{**AT, "text": EMAIL}]}
    mark_gold(db, "contacts", 2, value=answer, explanation=CALL, actor=people["admin"])

    def seen(reader: str, keeper: str) -> tuple[Any, ...]:
        (s,) = lot_view(db, "contacts", lot.id, actor=people[reader]).samples
        (g,) = gold_answers(db, "contacts", actor=people[keeper])
        return (s.payload, s.value, s.note, g.value, g.explanation)

    assert (seen("rev", "boss"), seen("admin", "admin")) == (
        (
            {"text": SHOWN, "n": 0},
            {"sentiment": "positive", "why": f"mail {MASK * 15}"},
            CALL_SHOWN,
            {"sentiment": "negative", "ents": [{**AT, "text": MASK * 15}]},
            CALL_SHOWN,
        ),
        ({"text": TEXT, "n": 0}, value, CALL, answer, CALL),
    )


def test_a_gold_answer_marked_on_masked_text_is_kept_with_the_stored_text(db: Database) -> None:
    """A manager (redact) marking gold with a span sent as they were shown it stores the
    stored text."""
    people = _world(db, overlap=1)
    shown = {"sentiment": "positive", "ents": [{**AT, "text": MASK * 15}]}
    mark_gold(db, "contacts", 1, value=shown, actor=people["boss"])
    (g,) = gold_answers(db, "contacts", actor=people["admin"])
    assert g.value == {"sentiment": "positive", "ents": [{**AT, "text": EMAIL}]}


SEARCHES: list[tuple[str, dict[str, Any], str]] = [
    ("q", {"text": EMAIL}, "the q filter holds personal data (email)"),
    ("label", {"label": "020 7946 0958"}, "the label filter holds personal data (phone)"),
    (
        "meta",
        {"metadata": (("owner", OWNER),)},
        "the meta.owner filter holds personal data (email)",
    ),
]


@pytest.mark.parametrize(("name", "given", "why"), SEARCHES, ids=[s[0] for s in SEARCHES])
def test_item_filters_holding_masked_data_are_refused_to_a_redacting_reader(
    db: Database, name: str, given: dict[str, Any], why: str
) -> None:
    """The reviewer (redact) filtering by a value the policy masks is refused with a
    message naming the filter and the kind, never the value; the admin's same filter runs;
    the reviewer's filters without personal data run as before."""
    people = _world(db, overlap=1)
    _submit(db, people["ann0"], {"sentiment": "positive", "why": "020 7946 0958"}, 0)
    with pytest.raises(InvalidInput) as refused:
        list_items(db, "contacts", actor=people["rev"], **given)
    admin = list_items(db, "contacts", actor=people["admin"], **given)
    plain = list_items(db, "contacts", actor=people["rev"], text="Write to")
    assert (
        refused.value.message,
        refused.value.details,
        [i.id for i in admin.items],
        [i.id for i in plain.items],
    ) == (
        f"{why}, which project 'contacts' masks for you: filter by other words",
        {"field": "meta.owner" if name == "meta" else name},
        [1],
        [1],
    )


def test_the_edge_case_search_refuses_masked_data_to_a_redacting_reader(db: Database) -> None:
    """Searching the edge-case library for an email is refused to the reviewer (redact)
    and finds the case for the admin; a plain word finds it for both."""
    people = _world(db, overlap=1)
    task = next_task_for(db, "contacts", people["ann0"].id, now=T0)
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        people["ann0"].id,
        value={"sentiment": "negative"},
        seconds=1.0,
        idempotency_key="k",
        now=T0,
        flag=Flag("ambiguous", "who?"),
    )
    (case,) = escalations.escalation_queue(db, "contacts", actor=people["admin"])
    escalations.resolve_escalation(db, "contacts", case.id, note="a contact", actor=people["admin"])
    with pytest.raises(InvalidInput) as refused:
        edge_cases(db, "contacts", actor=people["rev"], query=EMAIL)
    found = {
        (who, query): [c.id for c in edge_cases(db, "contacts", actor=people[who], query=query)]
        for who, query in (("admin", EMAIL), ("admin", "Write"), ("rev", "Write"))
    }
    assert (refused.value.message, found) == (
        "the search filter holds personal data (email), which project 'contacts' masks for "
        "you: filter by other words",
        {("admin", EMAIL): [case.id], ("admin", "Write"): [case.id], ("rev", "Write"): [case.id]},
    )
