"""``labelworks escalations`` and ``labelworks edge-cases`` end to end on an embedded SQLite
data directory: listing flags, resolving them (with an answer, a section, gold), the
library and its search; bad input changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.config import Settings
from labelworks.domain.escalation import Flag
from labelworks.services import assignment
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC = """\
name: sentiment
description: Sentiment of product reviews
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
overlap: 1
"""
TEXTS = ["Great, it broke on day two.", "Bore da! Gwych.", "fine"]
ITEMS = "".join(json.dumps({"external_id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS))


def lw(data_dir: Path, *args: str) -> Result:
    """Run ``labelworks --data-dir DATA_DIR ARGS`` with a wide terminal and no env overrides."""
    return CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), *args],
        env={"COLUMNS": "220", "LABELWORKS_DATABASE_URL": None, "LABELWORKS_DATA_DIR": None},
    )


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory with project 'sentiment' (items r0-r2, ids 1-3) whose annotator
    flagged r0 as ambiguous on a skip and r1 as an edge case on a submit."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    db = Database(Settings(data_dir=folder).effective_database_url)
    ann = add_user(db, "ann@example.com", role="annotator", vendor="acme", projects=["sentiment"])
    who = ann.user.id
    first = assignment.next_task_for(db, "sentiment", who)
    assert first is not None
    assignment.skip_task(db, first.assignment_id, who, flag=Flag("ambiguous", "Sarcastic [b]?"))
    second = assignment.next_task_for(db, "sentiment", who)
    assert second is not None
    assignment.submit_annotation(
        db,
        second.assignment_id,
        who,
        value={"sentiment": "positive"},
        seconds=2.0,
        idempotency_key="k",
        flag=Flag("edge_case", "Written in Welsh."),
    )
    db.dispose()
    yield folder


def _listed(data_dir: Path, *args: str) -> list[dict[str, Any]]:
    result = lw(data_dir, *args, "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    for row in rows:
        for key in ("created_at", "resolved_at"):
            if row.get(key) is not None:
                assert datetime.fromisoformat(row.pop(key)).utcoffset() is not None
    return rows


def test_list_shows_the_queue(data_dir: Path) -> None:
    """The queue as a table (markup in comments shown literally) and as JSON."""
    table = lw(data_dir, "escalations", "list", "sentiment")
    rows = _listed(data_dir, "escalations", "list", "sentiment")
    assert table.exit_code == 0, table.output
    assert [line.split("│")[1:4] for line in table.stdout.splitlines() if "│ 1 " in line] == [
        [" 1  ", " 1: Great, it broke on day two. ", " ambiguous "]
    ]
    assert "Sarcastic [b]?" in flat(table.stdout)
    assert [
        (r["id"], r["item_id"], r["external_id"], r["kind"], r["comment"], r["vendor"])
        for r in rows
    ] == [
        (1, 1, "r0", "ambiguous", "Sarcastic [b]?", "acme"),
        (2, 2, "r1", "edge_case", "Written in Welsh.", "acme"),
    ]
    assert {(r["status"], r["url"], r["flagged_by"]) for r in rows} == {
        ("open", None, "ann@example.com")
    }


def test_resolve_then_search_the_library(data_dir: Path, tmp_path: Path) -> None:
    """resolve with --value and --section, then with --value-file and --make-gold; the
    library lists both, finds one by its section ignoring case, and gold has the item."""
    answer = tmp_path / "answer.json"
    answer.write_text('{"sentiment": "neutral"}\n')
    first = lw(
        data_dir,
        "escalations",
        "resolve",
        "sentiment",
        "1",
        "--note",
        "Sarcasm about a defect is negative.",
        "--value",
        '{"sentiment": "negative"}',
        "--section",
        "3.2 Sarcasm",
    )
    second = lw(
        data_dir,
        "escalations",
        "resolve",
        "sentiment",
        "2",
        "--note",
        "Language does not matter.",
        "--value-file",
        str(answer),
        "--make-gold",
    )
    library = _listed(data_dir, "edge-cases", "sentiment")
    found = _listed(data_dir, "edge-cases", "sentiment", "--search", "SARCASM")
    table = lw(data_dir, "edge-cases", "sentiment", "--search", "welsh")
    gold = json.loads(lw(data_dir, "gold", "list", "sentiment", "--json").stdout)
    assert [flat(r.stdout) for r in (first, second)] == [
        "escalation 1 of sentiment is resolved; in the edge-case library at "
        "/projects/sentiment/edge-cases#case-1",
        "escalation 2 of sentiment is resolved; the item is now a gold question; in the "
        "edge-case library at /projects/sentiment/edge-cases#case-2",
    ]
    assert [(c["id"], c["answer"], c["guideline_section"], c["made_gold"]) for c in library] == [
        (1, {"sentiment": "negative"}, "3.2 Sarcasm", False),
        (2, {"sentiment": "neutral"}, None, True),
    ]
    assert [(c["id"], c["url"], "flagged_by" in c) for c in found] == [
        (1, "/projects/sentiment/edge-cases#case-1", False)
    ]
    assert "Written in Welsh." in flat(table.stdout) and "#case-2" in table.stdout
    assert [(g["item_id"], g["value"], g["explanation"]) for g in gold] == [
        (2, {"sentiment": "neutral"}, "Language does not matter.")
    ]
    assert _listed(data_dir, "escalations", "list", "sentiment") == []


def test_bad_resolutions_change_nothing(data_dir: Path) -> None:
    """Bad JSON, both answer options, an answer the schema refuses, a missing note, an
    unknown id and a second resolution each exit with their code and one line."""
    attempts = {
        "bad json": ["1", "--note", "n", "--value", "{nope"],
        "both": ["1", "--note", "n", "--value", "{}", "--value-file", "x.json"],
        "bad answer": ["1", "--note", "n", "--value", '{"sentiment": "meh"}'],
        "blank note": ["1", "--note", "  "],
        "gold without answer": ["1", "--note", "n", "--make-gold"],
        "unknown": ["99", "--note", "n"],
    }
    codes = {
        name: lw(data_dir, "escalations", "resolve", "sentiment", *args).exit_code
        for name, args in attempts.items()
    }
    assert lw(data_dir, "escalations", "resolve", "sentiment", "1", "--note", "ok").exit_code == 0
    again = lw(data_dir, "escalations", "resolve", "sentiment", "1", "--note", "again")
    assert codes == {
        "bad json": 2,
        "both": 2,
        "bad answer": 2,
        "blank note": 2,
        "gold without answer": 2,
        "unknown": 3,
    }
    assert (again.exit_code, flat(again.stderr)) == (
        4,
        "error [conflict] escalation 1 is already resolved",
    )
    assert [r["id"] for r in _listed(data_dir, "escalations", "list", "sentiment")] == [2]
