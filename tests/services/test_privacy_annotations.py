"""The privacy policy on what people submitted and on item metadata, on every database:
the item page, the review, adjudication and escalation queues, writes that carry masked
values back, row exports and the screening report."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.services.builders import jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.escalation import Flag
from labelworks.domain.pii import MASK
from labelworks.services import escalations, quality_view
from labelworks.services.adjudication import adjudication_queue
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.catalog import item_detail
from labelworks.services.exports import ExportFormat, export_project
from labelworks.services.ingestion import import_items
from labelworks.services.pii_report import AffectedItem, screen_project
from labelworks.services.reviews import decide_review, review_queue
from labelworks.services.users import add_user
from labelworks.storage import consensus as consensus_store
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
TEXT = "Call me on +44 20 7946 0958 or mail ann@example.com"
SHOWN = f"Call me on {MASK * 16} or mail {MASK * 15}"
META = {"owner": "bob@example.com", "source": "crm", "media": {"x": {"phash": "cy@ex.io"}}}
META_SHOWN = {"owner": MASK * 15, "source": "crm", "media": {"x": {"phash": "cy@ex.io"}}}
WHY = "she wrote from ann@example.com"
WHY_SHOWN = f"she wrote from {MASK * 15}"
CALL = "call 020 7946 0958 first"
CALL_SHOWN = f"call {MASK * 13} first"
POLICY: dict[str, Any] = {
    "detect": ["email", "phone"],
    "audiences": {"manager": "flag", "reviewer": "redact", "annotator": "flag"},
}
FIELDS = [
    {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative", "neutral"]},
    {"name": "why", "kind": "text", "required": False},
]


def _world(db: Database, **spec: Any) -> dict[str, Actor]:
    """Project 'sentiment' (the policy above, a free-text ``why``) with one item holding
    PII in its payload, metadata and suggestion, and people in house and behind 'acme'."""
    make_project(db, privacy=POLICY, fields=FIELDS, **spec)
    row = {
        "text": TEXT,
        "metadata": META,
        "pre_annotations": [{"model": "m", "value": {"sentiment": "neutral", "why": WHY}}],
    }
    import_items(db, "sentiment", jsonl([row]), format="jsonl", source="rows.jsonl")
    people: dict[str, Actor] = {}
    for who, role, vendor in (
        ("admin", "admin", None),
        ("boss", "manager", None),
        ("rev", "reviewer", None),
        ("acmeboss", "manager", "acme"),
        ("acmerev", "reviewer", "acme"),
        ("ann0", "annotator", None),
        ("ann1", "annotator", None),
        ("ann2", "annotator", None),
        ("ann3", "annotator", None),
        ("acme0", "annotator", "acme"),
    ):
        user = add_user(
            db, f"{who}@corp.test", role=role, vendor=vendor, projects=["sentiment"]
        ).user
        people[who] = Actor(user.id, user.email, Role(role), vendor=vendor)
    return people


def _submit(
    db: Database, who: Actor, value: dict[str, Any], k: int, flag: Flag | None = None
) -> None:
    task = next_task_for(db, "sentiment", who.id, now=T0 + timedelta(seconds=k))
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        who.id,
        value=value,
        seconds=1.0,
        idempotency_key=f"k{k}",
        flag=flag,
        now=T0 + timedelta(seconds=k),
    )


def test_the_item_page_screens_metadata_and_annotations_per_audience(db: Database) -> None:
    """An admin (show) reads everything as stored; a manager (flag) too, with one warning
    naming every place something was found; the acme manager (redact) reads masked values
    with the same places; the stored item is unchanged."""
    people = _world(db, overlap=1)
    _submit(db, people["ann0"], {"sentiment": "negative", "why": WHY}, 0)
    seen = {
        who: item_detail(db, "sentiment", 1, actor=people[who])
        for who in ("admin", "boss", "acmeboss")
    }
    with db.read() as conn:
        stored = item_store.get(conn, 1)
    assert stored is not None
    assert {
        who: (d.payload["text"], d.metadata, [a.value for a in d.annotations], d.pii, d.pii_note)
        for who, d in seen.items()
    } == {
        "admin": (TEXT, META, [{"sentiment": "negative", "why": WHY}], (), None),
        "boss": (
            TEXT,
            META,
            [{"sentiment": "negative", "why": WHY}],
            ("email", "phone"),
            "This item may hold personal data (email, phone) in text, metadata, annotations; "
            "handle it with care.",
        ),
        "acmeboss": (
            SHOWN,
            META_SHOWN,
            [],  # behind the acme wall: in-house annotations are not theirs to see
            ("email", "phone"),
            "Personal data masked (email, phone) in text, metadata.",
        ),
    }
    assert (stored.payload["text"], stored.metadata) == (TEXT, META)


def test_a_vendor_reviewer_gets_values_and_comments_masked_and_a_fix_keeps_the_original(
    db: Database,
) -> None:
    """The acme reviewer's queue masks the annotation's free text; their fix, sent from the
    masked form with a new label, keeps the stored text; its comment is masked for them and
    for the in-house reviewer (redact) but not for the admin."""
    people = _world(db, overlap=1, quality={"review": {"first_n": 1}})
    _submit(db, people["acme0"], {"sentiment": "negative", "why": WHY}, 0)
    (pending,) = review_queue(db, "sentiment", actor=people["acmerev"])
    decide_review(
        db,
        "sentiment",
        pending.id,
        decision="fix",
        value={**(pending.value or {}), "sentiment": "positive"},
        comment=CALL,
        actor=people["acmerev"],
    )
    decided = {
        who: review_queue(db, "sentiment", actor=people[who], status=None)[0]
        for who in ("admin", "acmerev", "rev")
    }
    assert (pending.payload["text"], pending.value) == (
        SHOWN,
        {"sentiment": "negative", "why": WHY_SHOWN},
    )
    assert {w: (r.value, r.fixed_value, r.comment) for w, r in decided.items()} == {
        "admin": (
            {"sentiment": "negative", "why": WHY},
            {"sentiment": "positive", "why": WHY},
            CALL,
        ),
        "acmerev": (
            {"sentiment": "negative", "why": WHY_SHOWN},
            {"sentiment": "positive", "why": WHY_SHOWN},
            CALL_SHOWN,
        ),
        "rev": (
            {"sentiment": "negative", "why": WHY_SHOWN},
            {"sentiment": "positive", "why": WHY_SHOWN},
            CALL_SHOWN,
        ),
    }


def _split(db: Database, people: dict[str, Actor]) -> list[dict[str, Any]]:
    """The item split 2:2 at its most annotations (4), each answer with its own reason."""
    given = [
        {"sentiment": "positive", "why": WHY},
        {"sentiment": "negative", "why": "no"},
        {"sentiment": "positive", "why": CALL},
        {"sentiment": "negative", "why": "nope"},
    ]
    for k, value in enumerate(given):
        _submit(db, people[f"ann{k}"], value, k)
    return given


DYNAMIC = {"dynamic_overlap": {"min": 2, "max": 4, "confidence": 0.9}}


def test_adjudication_masks_answers_and_taking_one_stores_it_as_given(db: Database) -> None:
    """An in-house reviewer (redact) sees the proposal and answers masked, the admin as
    stored; the reviewer taking C's masked answer decides the item with C's stored one."""
    people = _world(db, quality=DYNAMIC)
    given = _split(db, people)
    (masked,) = adjudication_queue(db, "sentiment", actor=people["rev"])
    (stored,) = adjudication_queue(db, "sentiment", actor=people["admin"])
    taken = quality_view.decide_case(db, "sentiment", 1, pick="C", actor=people["rev"])
    with db.read() as conn:
        final = consensus_store.final_of(conn, 1)
    assert final is not None
    assert (masked.payload["text"], masked.proposal["why"], masked.annotations) == (
        SHOWN,
        WHY_SHOWN,
        [
            ("A", {"sentiment": "positive", "why": WHY_SHOWN}),
            ("B", given[1]),
            ("C", {"sentiment": "positive", "why": CALL_SHOWN}),
            ("D", given[3]),
        ],
    )
    assert (stored.annotations, taken, final.value, final.status) == (
        list(zip("ABCD", given, strict=True)),
        {"sentiment": "positive", "why": CALL_SHOWN},
        given[2],
        "adjudicated",
    )


def test_escalations_mask_comments_answers_and_notes_and_resolving_restores(
    db: Database,
) -> None:
    """A flag's comment and the annotator's answer are masked for the in-house reviewer
    (redact); their answer sent back as shown is stored as given, and the resolved case
    comes back masked to them while the admin reads it as stored."""
    people = _world(db, overlap=1)
    flag = Flag("ambiguous", f"Is {CALL} personal?")
    _submit(db, people["ann0"], {"sentiment": "neutral", "why": WHY}, 0, flag=flag)
    (case,) = escalations.escalation_queue(db, "sentiment", actor=people["rev"])
    resolved = escalations.resolve_escalation(
        db,
        "sentiment",
        case.id,
        answer=case.annotation,
        note=f"yes: {CALL}",
        actor=people["rev"],
    )
    (library,) = escalations.edge_cases(db, "sentiment", actor=people["admin"])
    assert (case.payload["text"], case.comment, case.annotation) == (
        SHOWN,
        f"Is {CALL_SHOWN} personal?",
        {"sentiment": "neutral", "why": WHY_SHOWN},
    )
    assert (resolved.answer, resolved.note, library.answer, library.note, library.comment) == (
        {"sentiment": "neutral", "why": WHY_SHOWN},
        f"yes: {CALL_SHOWN}",
        {"sentiment": "neutral", "why": WHY},
        f"yes: {CALL}",
        flag.comment,
    )


def _rows(fmt: ExportFormat, data: bytes) -> list[dict[str, Any]]:
    """An export read back, JSON cells decoded."""
    if fmt == "jsonl":
        return [json.loads(line) for line in data.splitlines()]
    if fmt == "csv":
        rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(data.decode())))
    else:
        rows = pq.read_table(io.BytesIO(data)).to_pylist()
    keys = ("payload", "metadata", "pre_annotations", "annotations", "final", "aggregate")
    return [{k: json.loads(v) if k in keys else v for k, v in r.items()} for r in rows]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_row_exports_mask_metadata_and_every_value_for_a_redacting_caller(
    db: Database, fmt: ExportFormat
) -> None:
    """The in-house reviewer's (redact) export masks the payload, metadata and the values
    of suggestions, annotations, the final label and the aggregate; the admin's holds
    them as stored."""
    people = _world(db, quality=DYNAMIC)
    given = _split(db, people)
    quality_view.decide_case(db, "sentiment", 1, pick="A", actor=people["admin"])
    out = {}
    for who in ("rev", "admin"):
        stream = io.BytesIO()
        export_project(db, "sentiment", stream, format=fmt, actor=people[who], aggregate="majority")
        (row,) = _rows(fmt, stream.getvalue())
        out[who] = (
            row["payload"]["text"],
            row["metadata"],
            [p["value"]["why"] for p in row["pre_annotations"]],
            [a["value"]["why"] for a in row["annotations"]],
            row["final"]["value"]["why"],
            row["aggregate"]["value"]["why"],
        )
    assert out == {
        "rev": (
            SHOWN,
            META_SHOWN,
            [WHY_SHOWN],
            [WHY_SHOWN, "no", CALL_SHOWN, "nope"],
            WHY_SHOWN,
            WHY_SHOWN,
        ),
        "admin": (TEXT, META, [WHY], [g["why"] for g in given], WHY, WHY),
    }


def test_the_report_counts_findings_in_metadata_and_annotations(db: Database) -> None:
    """Findings in metadata and annotations' values are counted under ``metadata.<key>``
    and ``annotations.<field>`` beside the payload's, with masked samples; media
    processing's facts are not screened."""
    people = _world(db, overlap=1)
    _submit(db, people["ann0"], {"sentiment": "negative", "why": WHY}, 0)
    report = screen_project(db, "sentiment", actor=people["boss"])
    assert (
        report.affected,
        report.findings,
        report.by_kind,
        report.by_key,
        report.listed,
    ) == (
        1,
        4,
        {"email": 3, "phone": 1},
        {"text": 2, "metadata.owner": 1, "annotations.why": 1},
        [
            AffectedItem(
                1,
                None,
                ["email", "phone"],
                ["text", "metadata.owner", "annotations.why"],
                [f"+{MASK * 14}8", f"a{MASK * 13}m", f"b{MASK * 13}m"],
            )
        ],
    )


def test_the_report_behind_a_vendor_wall_counts_that_vendors_annotations_only(
    db: Database,
) -> None:
    """The acme manager's scan counts the payload and metadata but not the in-house
    annotator's answer; an acme annotator's answer is counted for them."""
    people = _world(db, overlap=2)
    _submit(db, people["ann0"], {"sentiment": "negative", "why": WHY}, 0)
    before = screen_project(db, "sentiment", actor=people["acmeboss"]).by_key
    _submit(db, people["acme0"], {"sentiment": "negative", "why": CALL}, 1)
    after = screen_project(db, "sentiment", actor=people["acmeboss"]).by_key
    assert (before, after) == (
        {"text": 2, "metadata.owner": 1},
        {"text": 2, "metadata.owner": 1, "annotations.why": 1},
    )
