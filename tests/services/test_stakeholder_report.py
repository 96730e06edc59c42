"""The weekly stakeholder report through the service layer, on every database: the week's
progress split by vendor, gold accuracy this week and last with Wilson intervals, the
vendors who worked, the forecast against the plan's deadline, and the risks it raises."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.services.builders import jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput
from labelworks.domain.gold import wilson_bounds
from labelworks.services import ingestion
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.stakeholder_report import render, weekly_report
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

NOW = datetime(2026, 3, 11, 12)  # a Wednesday of ISO week 2026-W11


def _work(db: Database, project: str, who: int, labels: list[str], at: datetime) -> None:
    for k, label in enumerate(labels):
        when = at + timedelta(minutes=k)
        task = next_task_for(db, project, who, now=when)
        assert task is not None
        submit_annotation(
            db,
            task.assignment_id,
            who,
            value={"sentiment": label},
            seconds=20.0,
            idempotency_key=f"{who}-{when.isoformat()}",
            now=when,
        )


def _world(db: Database) -> str:
    """Three gold items (all 'positive') served first, then 20 ordinary ones; acme's first
    annotator answered gold right last week, its second wrong this week, and an in-house
    annotator right this week; the plan's deadline is tomorrow."""
    project = make_project(
        db, overlap=1, quality={"gold_rate": 1.0}, plan={"deadline": "2026-03-12"}
    )
    rows = [{"text": f"g{i}", "gold": {"sentiment": "positive"}} for i in range(3)]
    rows += [{"text": f"t{i}"} for i in range(20)]
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="items.jsonl")
    a1 = add_user(db, "a1@acme.example", role="annotator", vendor="acme", projects=[project])
    a2 = add_user(db, "a2@acme.example", role="annotator", vendor="acme", projects=[project])
    own = add_user(db, "own@example.com", role="annotator", projects=[project])
    _work(db, project, a1.user.id, ["positive"] * 3, datetime(2026, 3, 3, 9))
    _work(db, project, a2.user.id, ["negative"] * 3 + ["positive"] * 2, datetime(2026, 3, 10, 9))
    _work(db, project, own.user.id, ["positive"] * 3, datetime(2026, 3, 10, 10))
    return project


def _share(hits: int, n: int) -> dict[str, float | int | None]:
    low, high = wilson_bounds(hits, n)
    return {"hits": hits, "n": n, "value": hits / n, "low": low, "high": high}


def test_the_week_progress_quality_vendors_and_a_forecast_past_the_deadline(
    db: Database,
) -> None:
    """This week's eight annotations split acme 5 / in-house 3 against last week's three;
    gold 3 of 6 this week and 3 of 3 last; acme is the vendor that worked; the deadline of
    tomorrow cannot be met, which is the one risk."""
    project = _world(db)
    found = weekly_report(db, project, now=NOW).to_dict()
    progress = found["progress"]
    forecast = found["forecast"]
    assert (
        found["period"],
        progress["period_annotations"],
        progress["previous_annotations"],
        progress["by_vendor"],
        progress["per_day"],
        found["quality"]["gold"],
        found["quality"]["gold_previous"],
        [(w["week"], w["hits"], w["n"]) for w in found["quality"]["gold_weeks"]],
        found["quality"]["alpha"],
        [(v["vendor"], v["delivered"]) for v in found["vendors"]],
        forecast["deadline"]["on_track"],
        forecast["p10"] <= forecast["p50"] <= forecast["p90"],
        [r["kind"] for r in found["risks"]],
    ) == (
        {"week": "2026-W11", "start": "2026-03-09", "end": "2026-03-15"},
        8,
        3,
        [{"vendor": "acme", "annotations": 5}, {"vendor": "internal", "annotations": 3}],
        [{"day": "2026-03-10", "annotations": 8}],
        _share(3, 6),
        _share(3, 3),
        [("2026-W10", 3, 3), ("2026-W11", 3, 6)],
        None,  # overlap 1: no item is annotated twice
        [("acme", 5)],
        False,
        True,
        ["forecast"],
    )


def test_a_vendor_manager_reads_their_vendors_share_only(db: Database) -> None:
    """Behind acme's wall the week holds acme's five annotations and their gold (0 of 3)."""
    project = _world(db)
    boss = add_user(db, "boss@acme.example", role="manager", vendor="acme", projects=[project])
    actor = Actor(boss.user.id, "boss@acme.example", Role.MANAGER, vendor="acme")
    found = weekly_report(db, project, actor=actor, now=NOW).to_dict()
    assert (found["progress"]["by_vendor"], found["quality"]["gold"]["hits"]) == (
        [{"vendor": "acme", "annotations": 5}],
        0,
    )


def test_formats_and_refusals(db: Database) -> None:
    """Markdown names the week and the risk; HTML is one file with its charts as inline SVG
    and no script; a week not started, a malformed week and an unknown format are refused."""
    project = _world(db)
    found = weekly_report(db, project, now=NOW)
    markdown = render(found, "md")
    html = render(found, "html")
    refusals = []
    for week in ("2026-W12", "2026-13", "2026-W54"):
        with pytest.raises(InvalidInput) as bad:
            weekly_report(db, project, week=week, now=NOW)
        refusals.append(str(bad.value))
    with pytest.raises(InvalidInput) as bad_format:
        render(found, "pdf")
    assert (
        markdown.splitlines()[0],
        "- **forecast**: At 80% confidence" in markdown,
        html.count("<svg"),
        "<script" in html,
        "http" in html.replace("http://www.w3.org", ""),
        refusals,
        str(bad_format.value),
    ) == (
        f"# {project} — weekly report 2026-W11",
        True,
        3,
        False,
        False,
        [
            "field 'period': 2026-W12 has not started yet",
            "field 'period': '2026-13' is not an ISO week such as 2026-W48",
            "field 'period': 2026 has no ISO week 54",
        ],
        "field 'format': unknown format 'pdf': use one of json, md, html",
    )
