"""The events where they happen, on every database: an item's final label (consensus and
adjudication, once per news), a lot's decision, an annotator paused by hand or by the
gold rule, and the once-only announcements of an SLA breach and a forecast slipping."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tests.services.builders import add_annotators, jsonl, load_texts, make_project

from labelworks.services import consensus, ingestion
from labelworks.services import gold as gold_service
from labelworks.services import webhooks as service
from labelworks.services.adjudication import adjudicate
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.lots import audit_sample, create_lot, lot_view
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
POS, NEG = {"sentiment": "positive"}, {"sentiment": "negative"}


def _hook(db: Database, project: str, *events: str) -> None:
    service.create_webhook(db, project, url="https://hooks.example.com/lw", events=list(events))


def _events(db: Database, project: str) -> list[tuple[str, dict[str, Any]]]:
    """(event, data) of the project's deliveries, oldest first."""
    return [(d.event, d.data) for d in reversed(service.delivery_log(db, project))]


def _submit(db: Database, project: str, who: int, value: dict[str, str], k: int) -> int:
    at = T0 + timedelta(seconds=k)
    task = next_task_for(db, project, who, now=at)
    assert task is not None
    submit_annotation(
        db, task.assignment_id, who, value=value, seconds=1.0, idempotency_key=f"{who}-{k}", now=at
    )
    return task.item_id


def _project_id(db: Database, name: str) -> int:
    with db.read() as conn:
        found = project_store.by_name(conn, name)
    assert found is not None
    return found.id


def test_a_final_label_is_announced_once_and_a_refit_that_agrees_is_silent(db: Database) -> None:
    """Two agreeing votes finalise the item: one item.finalised with the label; refitting
    decides the same again and sends nothing more."""
    project = make_project(db, quality={"consensus": "majority"})
    ingestion.import_items(
        db,
        project,
        jsonl([{"external_id": "r-1", "text": "great"}]),
        format="jsonl",
        source="a.jsonl",
    )
    _hook(db, project, "item.finalised", "lot.accepted")
    a, b = add_annotators(db, project, 2)
    _submit(db, project, a, POS, 0)
    assert _events(db, project) == []
    item = _submit(db, project, b, POS, 1)
    consensus.refit_project(db, project)
    ((event, data),) = _events(db, project)
    assert (event, {k: v for k, v in data.items() if k != "decided_at"}) == (
        "item.finalised",
        {
            "item_id": item,
            "external_id": "r-1",
            "status": "final",
            "method": "majority",
            "confidence": 1.0,
            "value": POS,
            "decided_by": None,
        },
    )
    assert data["decided_at"] == "2026-01-01T12:00:01Z"


def test_an_adjudication_that_changes_the_label_is_announced(db: Database) -> None:
    """An expert correcting a final label sends item.finalised, status adjudicated, with
    their decision; one confirming the same label sends nothing."""
    project = make_project(db, quality={"consensus": "majority"})
    load_texts(db, project, ["meh"])
    a, b = add_annotators(db, project, 2)
    item = _submit(db, project, a, POS, 0)
    _submit(db, project, b, POS, 1)
    _hook(db, project, "item.finalised")
    adjudicate(db, project, item, value=POS, note="agree")
    adjudicate(db, project, item, value=NEG, note="sarcasm")
    ((event, data),) = _events(db, project)
    assert (event, data["status"], data["method"], data["value"], data["decided_by"]) == (
        "item.finalised",
        "adjudicated",
        "adjudication",
        NEG,
        None,
    )


def _labelled(db: Database, n: int) -> str:
    project = make_project(db, overlap=1)
    load_texts(db, project, [f"t{i}" for i in range(n)])
    (a,) = add_annotators(db, project, 1)
    for k in range(n):
        _submit(db, project, a, POS, k)
    return project


def test_a_lots_decision_is_announced_with_its_evidence(db: Database) -> None:
    """Auditing the whole sample clean sends lot.accepted with the plan and the finding."""
    project = _labelled(db, 30)
    _hook(db, project, "lot.accepted", "lot.rejected")
    lot = create_lot(db, project, name="week 1", import_id=1, aql=0.02, ltpd=0.2, seed=1)
    samples = lot_view(db, project, lot.id).samples
    for s in samples:
        decided = audit_sample(db, project, lot.id, s.annotation_id, defect=False)
    ((event, data),) = _events(db, project)
    assert decided.decision is not None
    assert (event, {k: v for k, v in data.items() if k != "decided_at"}) == (
        "lot.accepted",
        {
            "lot_id": lot.id,
            "name": "week 1",
            "size": 30,
            "selector": {"import_id": 1, "vendor": None, "since": None, "until": None},
            "sample_size": len(samples),
            "acceptance_number": lot.plan["acceptance_number"],
            "defects": 0,
            "rate_upper_bound": decided.decision["rate_upper_bound"],
            "summary": decided.decision["summary"],
        },
    )


def test_a_rejected_lot_is_announced_as_rejected(db: Database) -> None:
    """Every sample defective: lot.rejected with the defects counted."""
    project = _labelled(db, 20)
    _hook(db, project, "lot.rejected")
    lot = create_lot(db, project, name="bad", import_id=1, aql=0.02, ltpd=0.2, seed=1)
    samples = lot_view(db, project, lot.id).samples
    for s in samples:
        audit_sample(db, project, lot.id, s.annotation_id, defect=True)
    ((event, data),) = _events(db, project)
    assert (event, data["name"], data["defects"]) == ("lot.rejected", "bad", len(samples))


def test_pauses_by_hand_and_by_the_gold_rule_are_announced(db: Database) -> None:
    """A manager's pause and the auto-pause each send annotator.paused, saying which."""
    project = make_project(
        db, overlap=1, quality={"gold_rate": 1.0, "auto_pause": {"min_gold": 3, "below": 0.7}}
    )
    rows = [{"text": f"r{i}", **({"gold": POS} if i < 4 else {})} for i in range(8)]
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="g.jsonl")
    _hook(db, project, "annotator.paused")
    failing, other = add_annotators(db, project, 2)
    for k in range(3):
        _submit(db, project, failing, NEG, k)
    gold_service.pause_annotator(db, project, "ann1@example.com", reason="spot check")
    (auto, manual) = _events(db, project)
    assert (auto[0], {k: v for k, v in auto[1].items() if k not in ("reason", "paused_at")}) == (
        "annotator.paused",
        {
            "annotator": "ann0@example.com",
            "vendor": None,
            "automatic": True,
            "gold_correct": 0,
            "gold_total": 3,
        },
    )
    assert auto[1]["reason"].startswith("paused: 0 of 3 gold answers correct")
    assert {k: v for k, v in manual[1].items() if k != "paused_at"} == {
        "annotator": "ann1@example.com",
        "vendor": None,
        "reason": "spot check",
        "automatic": False,
        "paused_by": "a manager",
    }
    assert other != failing


def test_a_forecast_slip_is_announced_once_per_deadline(db: Database) -> None:
    """The same deadline slipping on two days is one event; a new deadline slipping is
    another."""
    project = make_project(db)
    _hook(db, project, "forecast.slipped")
    project_id = _project_id(db, project)

    def slip(deadline: date, forecast: date) -> bool:
        with db.write() as conn:
            return service.announce_forecast_slip(
                conn, project_id, deadline=deadline, forecast=forecast, confidence=0.9,
                p50=forecast - timedelta(days=3), remaining=1200,
            )  # fmt: skip

    news = [
        slip(date(2026, 3, 1), date(2026, 3, 9)),
        slip(date(2026, 3, 1), date(2026, 3, 12)),
        slip(date(2026, 3, 15), date(2026, 3, 20)),
    ]
    sent = [data for _, data in _events(db, project)]
    assert news == [True, False, True]
    assert sent == [
        {"deadline": "2026-03-01", "forecast": "2026-03-09", "confidence": 0.9,
         "p50": "2026-03-06", "remaining": 1200, "days_late": 8},
        {"deadline": "2026-03-15", "forecast": "2026-03-20", "confidence": 0.9,
         "p50": "2026-03-17", "remaining": 1200, "days_late": 5},
    ]  # fmt: skip


def test_nothing_is_queued_or_read_without_a_subscriber(db: Database) -> None:
    """Events of a project whose webhooks do not subscribe to them leave no delivery."""
    project = make_project(db, quality={"consensus": "majority"})
    load_texts(db, project, ["a"])
    _hook(db, project, "sla.breached")
    a, b = add_annotators(db, project, 2)
    _submit(db, project, a, POS, 0)
    _submit(db, project, b, POS, 1)
    assert _events(db, project) == []
