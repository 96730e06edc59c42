"""Acceptance and delivery through the service layer, on every database: criteria met and
not met on constructed projects, refusal naming each unmet criterion, forced deliveries
recorded as such, the delivered files' contents, and all-or-nothing writing."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from tests.services.builders import add_annotators, jsonl, make_project

from labelworks import __version__
from labelworks.domain.acceptance import (
    Criterion,
    agreement_criterion,
    all_final_criterion,
    escalations_criterion,
    gold_accuracy_criterion,
)
from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import AcceptanceNotMet, Conflict, InvalidInput, PermissionDenied
from labelworks.formats.delivery import parquet_row_as_jsonl
from labelworks.services import adjudication, delivery, ingestion
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.users import add_user
from labelworks.stats.agreement import bootstrap_ci, krippendorff_alpha
from labelworks.stats.ratings import Ratings
from labelworks.storage.engine import Database
from labelworks.storage.tables import deliveries

T0 = datetime(2026, 1, 1, 12, 0, 0)
LABELS = ["positive", "negative", "neutral"]
ACCEPTANCE = {
    "agreement": {"metric": "krippendorff_alpha", "lower_bound": 0.8},
    "gold_accuracy": 0.7,
    "all_final": True,
    "no_open_escalations": True,
}
FILES = [
    "delivery.json",
    "labels.jsonl",
    "labels.parquet",
    "quality_report.html",
    "quality_report.json",
]


def _world(db: Database, *, disagree: set[int], b_gold_right: int, n: int = 9) -> list[int]:
    """Project 'sentiment' (overlap 2, final labels by majority, adjudication when the two
    split) with items t0..t(n-1) whose truth cycles through LABELS and gold items g0, g1
    (answer positive, served first at gold rate 1). ann0 answers everything right; ann1
    answers the truth except on the items in ``disagree`` and gets ``b_gold_right`` gold
    items right. Returns the ordinary items' ids."""
    dynamic = {"min": 2, "max": 2, "confidence": 0.9}
    quality = {"dynamic_overlap": dynamic, "gold_rate": 1.0, "acceptance": ACCEPTANCE}
    project = make_project(db, quality=quality)
    rows = [{"text": f"t{i}", "external_id": f"x{i}"} for i in range(n)]
    rows += [{"text": f"g{i}", "gold": {"sentiment": "positive"}} for i in range(2)]
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="items.jsonl")
    a, b = add_annotators(db, project, 2)
    _work(db, project, a, _truth)

    def b_answers(text: str) -> str:
        k = int(text[1:])
        if text.startswith("g"):
            return "positive" if k < b_gold_right else "negative"
        return LABELS[(k + 1) % 3] if k in disagree else _truth(text)

    _work(db, project, b, b_answers)
    return list(range(1, n + 1))


def _truth(text: str) -> str:
    return "positive" if text.startswith("g") else LABELS[int(text[1:]) % 3]


def _work(db: Database, project: str, annotator: int, answer: Any) -> None:
    k = 0
    while task := next_task_for(db, project, annotator, now=T0 + timedelta(seconds=k)):
        submit_annotation(
            db,
            task.assignment_id,
            annotator,
            value={"sentiment": answer(task.payload["text"])},
            seconds=1.0,
            idempotency_key=f"{annotator}-{k}",
            now=T0 + timedelta(seconds=k),
        )
        k += 1


def _alpha(pairs: list[tuple[str, str]]) -> tuple[float, float, float]:
    """The bootstrap the criterion must report, computed straight from the stats core."""
    r = Ratings.from_matrix([list(p) for p in pairs], categories=LABELS)
    return bootstrap_ci(krippendorff_alpha, r, n_resamples=1000, seed=20260601)


def test_an_agreeing_project_meets_every_criterion(db: Database) -> None:
    """Two annotators who agree everywhere, 3 of 4 gold answers right, every item final and
    no escalations: each criterion is met with its measured value."""
    _world(db, disagree=set(), b_gold_right=1)
    criteria = delivery.acceptance_status(db, "sentiment")
    assert criteria == [
        agreement_criterion("sentiment", "krippendorff_alpha", (1.0, 1.0, 1.0), 0.8, 9),
        gold_accuracy_criterion(3, 4, 0.7),
        all_final_criterion(9, 9, 0, keeps_final_labels=True),
        escalations_criterion(0),
    ]
    assert [c.met for c in criteria] == [True, True, True, True]


def test_unmet_criteria_refuse_the_delivery_and_list_each(db: Database, tmp_path: Path) -> None:
    """Disagreement on 3 of 9 items (sent to adjudication) and 2 of 4 gold answers right:
    agreement, gold accuracy and all_final are unmet; deliver refuses with each one's
    value in the message and details, and writes and records nothing."""
    _world(db, disagree={0, 4, 8}, b_gold_right=0)
    pairs = [
        (_truth(f"t{i}"), LABELS[(i + 1) % 3] if i in {0, 4, 8} else _truth(f"t{i}"))
        for i in range(9)
    ]
    expected = [
        agreement_criterion("sentiment", "krippendorff_alpha", _alpha(pairs), 0.8, 9),
        gold_accuracy_criterion(2, 4, 0.7),
        all_final_criterion(9, 6, 3, keeps_final_labels=True),
        escalations_criterion(0),
    ]
    assert delivery.acceptance_status(db, "sentiment") == expected
    assert [c.met for c in expected] == [False, False, False, True]
    area = _area(tmp_path)
    out = area / "out"
    with pytest.raises(AcceptanceNotMet) as caught:
        delivery.deliver(db, "sentiment", out)
    summary = "; ".join(f"{c.name}: {c.detail}" for c in expected[:3])
    assert caught.value.to_dict() == {
        "code": "acceptance_not_met",
        "message": f"project 'sentiment' does not meet its acceptance criteria: {summary} "
        "(force the delivery to deliver anyway)",
        "details": {"unmet": [c.to_dict() for c in expected[:3]]},
    }
    assert (list(area.iterdir()), _recorded(db)) == ([], 0)


def test_adjudicated_items_count_as_final(db: Database) -> None:
    """Deciding the three split items as an expert makes all_final met."""
    ids = _world(db, disagree={0, 4, 8}, b_gold_right=2)
    for i in (0, 4, 8):
        adjudication.adjudicate(db, "sentiment", ids[i], value={"sentiment": _truth(f"t{i}")})
    criteria = {c.name: c for c in delivery.acceptance_status(db, "sentiment")}
    assert criteria["all_final"] == all_final_criterion(9, 9, 0, keeps_final_labels=True)


def _area(tmp_path: Path) -> Path:
    """A directory of its own for deliveries (the SQLite database lives in tmp_path)."""
    area = tmp_path / "area"
    area.mkdir()
    return area


def _recorded(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(deliveries)).scalar_one())


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _sha(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_delivery_writes_every_file_and_records_itself(db: Database, tmp_path: Path) -> None:
    """An accepted project's delivery: the five files; one label row per ordinary item
    (gold left out) with its final label and provenance; Parquet equal to the JSONL; the
    JSON report; an HTML page without scripts or URLs; the manifest; the record."""
    ids = _world(db, disagree=set(), b_gold_right=1, n=3)
    out = tmp_path / "deliveries" / "v1"
    result = delivery.deliver(db, "sentiment", out, operator="ops-lead")
    assert sorted(p.name for p in out.iterdir()) == FILES
    rows = _jsonl(out / "labels.jsonl")
    assert [{k: v for k, v in r.items() if k != "annotation_ids"} for r in rows] == [
        {
            "item_id": ids[i],
            "external_id": f"x{i}",
            "payload": {"text": f"t{i}"},
            "final": {"sentiment": LABELS[i]},
            "method": "majority",
            "confidence": 1.0,
            "status": "final",
        }
        for i in range(3)
    ]
    assert [len(r["annotation_ids"]) for r in rows] == [2, 2, 2]
    table = pq.read_table(out / "labels.parquet")
    assert (
        [parquet_row_as_jsonl(r) for r in table.to_pylist()],
        str(table.schema.field("annotation_ids").type),
    ) == (rows, "list<element: int64>")
    report = json.loads((out / "quality_report.json").read_text())
    assert (report["criteria"], report["counts"], report["accepted"], report["forced"]) == (
        [c.to_dict() for c in result.criteria],
        {
            "final": 3,
            "adjudicated": 0,
            "adjudication": 0,
            "pending": 0,
            "gold": 2,
            "open_escalations": 0,
        },
        True,
        False,
    )
    html = (out / "quality_report.html").read_text()
    assert (
        "<script" in html.lower(),
        "http:" in html or "https:" in html,
        "Quality report: sentiment" in html,
        html.count("<svg"),
    ) == (False, False, True, 5)
    manifest = json.loads((out / "delivery.json").read_text())
    assert manifest == {
        "delivery_id": 1,
        "project": "sentiment",
        "delivered_at": result.delivered_at.isoformat(timespec="seconds") + "Z",
        "delivered_by": "ops-lead",
        "accepted": True,
        "forced": False,
        "items": 3,
        "criteria": [c.to_dict() for c in result.criteria],
        "files": {name: _sha(out / name) for name in FILES if name != "delivery.json"},
        "labelworks_version": __version__,
    }
    (record,) = delivery.deliveries(db, "sentiment")
    assert (record.id, record.path, record.accepted, record.forced, record.n_items) == (
        1,
        str(out),
        True,
        False,
        3,
    )
    assert (record.criteria, record.delivered_by, result.files["labels.jsonl"]) == (
        manifest["criteria"],
        "ops-lead",
        (out / "labels.jsonl").stat().st_size,
    )


def test_force_delivers_past_unmet_criteria_and_says_so(db: Database, tmp_path: Path) -> None:
    """With force, an unmet project is delivered: items waiting for adjudication have no
    final value, and the manifest, the reports and the record say forced."""
    _world(db, disagree={1}, b_gold_right=2, n=3)
    manager = add_user(db, "lead@example.com", role="manager", projects=["sentiment"]).user
    actor = Actor(manager.id, manager.email, Role.MANAGER)
    out = tmp_path / "out"
    out.mkdir()  # an empty directory is fine
    result = delivery.deliver(db, "sentiment", out, force=True, actor=actor)
    rows = _jsonl(out / "labels.jsonl")
    assert [(r["status"], r["final"], r["method"], r["confidence"]) for r in rows] == [
        ("final", {"sentiment": "positive"}, "majority", 1.0),
        ("adjudication", None, None, None),
        ("final", {"sentiment": "neutral"}, "majority", 1.0),
    ]
    manifest = json.loads((out / "delivery.json").read_text())
    report = json.loads((out / "quality_report.json").read_text())
    unmet = sorted(c.name for c in result.criteria if not c.met)
    assert (manifest["forced"], manifest["accepted"], manifest["delivered_by"]) == (
        True,
        False,
        "lead@example.com",
    )
    assert (report["forced"], unmet, result.forced) == (
        True,
        ["agreement.sentiment", "all_final"],
        True,
    )
    assert "delivery was forced past them" in (out / "quality_report.html").read_text()
    (record,) = delivery.deliveries(db, "sentiment")
    assert (record.forced, record.accepted, record.delivered_by) == (
        True,
        False,
        "lead@example.com",
    )


def test_output_directory_must_be_new_or_empty(db: Database, tmp_path: Path) -> None:
    """A non-empty directory and a file are refused naming them; nothing is written or
    recorded, and no partial directory is left behind."""
    _world(db, disagree=set(), b_gold_right=1, n=3)
    area = _area(tmp_path)
    full = area / "full"
    full.mkdir()
    (full / "old.txt").write_text("keep me")
    afile = area / "afile"
    afile.write_text("x")
    with pytest.raises(Conflict) as not_empty:
        delivery.deliver(db, "sentiment", full)
    with pytest.raises(InvalidInput) as not_dir:
        delivery.deliver(db, "sentiment", afile)
    assert (str(not_empty.value), str(not_dir.value)) == (
        f"output directory '{full}' is not empty; deliver into a new or empty directory",
        f"output path '{afile}' exists and is not a directory",
    )
    assert (sorted(p.name for p in area.iterdir()), _recorded(db)) == (["afile", "full"], 0)
    assert [p.name for p in full.iterdir()] == ["old.txt"]


def test_a_failure_while_writing_leaves_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the report cannot be written, no directory, partial or final, and no record
    remain."""
    _world(db, disagree=set(), b_gold_right=1, n=3)

    def broken(report: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(delivery, "render_quality_report", broken)
    area = _area(tmp_path)
    with pytest.raises(OSError, match="disk full"):
        delivery.deliver(db, "sentiment", area / "out")
    assert (list(area.iterdir()), _recorded(db)) == ([], 0)


def test_who_may_read_acceptance_and_deliver(db: Database, tmp_path: Path) -> None:
    """A reviewer reads the criteria but may not deliver; a vendor's manager and an
    annotator may do neither."""
    _world(db, disagree=set(), b_gold_right=1, n=3)

    def actor(email: str, role: str, vendor: str | None = None) -> Actor:
        user = add_user(db, email, role=role, projects=["sentiment"], vendor=vendor).user
        return Actor(user.id, email, Role(role), vendor)

    reviewer = actor("rev@example.com", "reviewer")
    acme = actor("lead@acme.example", "manager", "acme")
    annotator = actor("ann@example.com", "annotator")
    outcomes = []
    for who in (reviewer, acme, annotator):
        for call in (
            lambda w=who: delivery.acceptance_status(db, "sentiment", actor=w),
            lambda w=who: delivery.deliver(db, "sentiment", tmp_path / "o", actor=w),
        ):
            try:
                call()
                outcomes.append("ok")
            except PermissionDenied as exc:
                outcomes.append(str(exc))
    walled = "acceptance figures combine every vendor's work; vendors' staff may not read them"
    assert outcomes == [
        "ok",
        "a reviewer may not manage project 'sentiment'",
        walled,
        walled,
        "an annotator may not review project 'sentiment'",
        "an annotator may not manage project 'sentiment'",
    ]


def test_projects_without_criteria_or_final_labels(db: Database, tmp_path: Path) -> None:
    """No acceptance section: no criteria, and delivery goes ahead; all_final in a
    project that keeps no final labels is unmet and says why; rows are 'pending'."""
    make_project(db, name="plain", overlap=1)
    make_project(db, name="strict", overlap=1, quality={"acceptance": {"all_final": True}})
    for name in ("plain", "strict"):
        ingestion.import_items(
            db, name, jsonl([{"text": "only"}]), format="jsonl", source="items.jsonl"
        )
    result = delivery.deliver(db, "plain", tmp_path / "plain")
    assert (result.criteria, result.accepted, result.forced) == ([], True, False)
    assert _jsonl(tmp_path / "plain" / "labels.jsonl") == [
        {
            "item_id": 1,
            "external_id": None,
            "payload": {"text": "only"},
            "final": None,
            "method": None,
            "confidence": None,
            "status": "pending",
            "annotation_ids": [],
        }
    ]
    assert delivery.acceptance_status(db, "strict") == [
        Criterion(
            "all_final",
            False,
            None,
            None,
            1.0,
            "the project keeps no final labels (set quality.consensus or dynamic_overlap)",
        )
    ]
