"""``labelworks gold`` end to end on an embedded SQLite data directory: marking, listing and
unmarking gold, the report, pausing, reinstating and requeueing; bad answers change nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.cli.runner import lw

from labelworks.config import Settings
from labelworks.domain.errors import AnnotatorPaused
from labelworks.domain.gold import wilson_bounds
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
quality:
  gold_rate: 1.0
  auto_pause: {min_gold: 2, below: 0.9}
"""
ITEMS = "".join(f'{{"external_id": "r{i}", "text": "review {i}"}}\n' for i in range(5))


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with project 'sentiment' (five items r0-r4, ids 1-5)."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    return folder


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    """The data directory's database, for working as an annotator."""
    database = Database(Settings(data_dir=data_dir).effective_database_url)
    yield database
    database.dispose()


def _listed(data_dir: Path) -> list[dict[str, Any]]:
    result = lw(data_dir, "gold", "list", "sentiment", "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    for row in rows:
        assert datetime.fromisoformat(row.pop("created_at")).utcoffset() is not None
    return rows


def test_mark_list_and_unmark(data_dir: Path, tmp_path: Path) -> None:
    """mark (from --value and from --value-file), list as a table and as JSON, unmark; a
    second unmark exits 3."""
    answer = tmp_path / "answer.json"
    answer.write_text('{"sentiment": "negative"}\n')
    value = '{"sentiment": "positive"}'
    why = "loved it [bold]really[/]"
    first = lw(data_dir, "gold", "mark", "sentiment", "1", "--value", value, "--explanation", why)
    second = lw(data_dir, "gold", "mark", "sentiment", "2", "--value-file", str(answer))
    table = lw(data_dir, "gold", "list", "sentiment")
    listed = _listed(data_dir)
    unmarked = lw(data_dir, "gold", "unmark", "sentiment", "2")
    again = lw(data_dir, "gold", "unmark", "sentiment", "2")
    assert [(r.exit_code, r.stdout) for r in (first, second, unmarked)] == [
        (0, 'item 1 of sentiment is gold: {"sentiment":"positive"}\n'),
        (0, 'item 2 of sentiment is gold: {"sentiment":"negative"}\n'),
        (0, "item 2 of sentiment is ordinary work again\n"),
    ]
    assert table.exit_code == 0
    assert re.search(
        r'│ 1\s*│ r0\s*│ {"sentiment":"positive"}\s*│ loved it \[bold\]really\[/\]\s*│ 0\s*│ -',
        table.stdout,
    )
    assert listed == [
        {
            "item_id": 1,
            "external_id": "r0",
            "value": {"sentiment": "positive"},
            "explanation": "loved it [bold]really[/]",
            "answered": 0,
            "correct": 0,
        },
        {
            "item_id": 2,
            "external_id": "r1",
            "value": {"sentiment": "negative"},
            "explanation": "",
            "answered": 0,
            "correct": 0,
        },
    ]
    assert [r["item_id"] for r in _listed(data_dir)] == [1]
    assert (again.exit_code, flat(again.stderr)) == (3, "error [not_found] item 2 is not gold")


def test_bad_answers_exit_2_naming_the_option_and_change_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    """Bad JSON, a non-object, NaN, neither or both options, a missing file and a label the
    schema lacks: one line each, exit 2, and no item becomes gold."""
    missing = tmp_path / "none.json"
    cases = {
        "bad JSON": ["--value", '{"sentiment": positive}'],
        "not an object": ["--value", '["positive"]'],
        "NaN": ["--value", '{"sentiment": NaN}'],
        "neither": [],
        "both": ["--value", "{}", "--value-file", str(missing)],
        "missing file": ["--value-file", str(missing)],
        "unknown label": ["--value", '{"sentiment": "meh"}'],
        "empty answer": ["--value", "{}"],
    }
    seen = {
        name: (r.exit_code, flat(r.stderr), r.stdout)
        for name, args in cases.items()
        for r in [lw(data_dir, "gold", "mark", "sentiment", "1", *args)]
    }
    assert seen == {
        "bad JSON": (
            2,
            "error [invalid_input] --value, line 1: invalid JSON: Expecting value (column 15)",
            "",
        ),
        "not an object": (
            2,
            "error [invalid_input] --value: the expert answer must be a JSON object of field "
            'values, e.g. {"sentiment": "pos"}',
            "",
        ),
        "NaN": (2, "error [invalid_input] --value: invalid JSON: NaN is not valid JSON", ""),
        "neither": (
            2,
            "error [invalid_input] give the expert answer with --value JSON or --value-file PATH",
            "",
        ),
        "both": (
            2,
            "error [invalid_input] give the expert answer with --value JSON or --value-file PATH",
            "",
        ),
        "missing file": (
            2,
            f"error [invalid_input] --value-file {missing}: cannot read the file: "
            "No such file or directory",
            "",
        ),
        "unknown label": (
            2,
            "error [invalid_annotation] field 'sentiment': 'meh' is not one of the labels "
            "'positive', 'negative', 'neutral'",
            "",
        ),
        "empty answer": (
            2,
            "error [invalid_input] item 1: the gold answer must be a non-empty object of field "
            "values",
            "",
        ),
    }
    assert _listed(data_dir) == []


def test_bad_json_opens_no_database(tmp_path: Path) -> None:
    """The answer is read before the database: a bad one leaves no data directory behind."""
    fresh = tmp_path / "fresh"
    result = lw(fresh, "gold", "mark", "sentiment", "1", "--value", "{")
    assert (result.exit_code, fresh.exists()) == (2, False)


def _answer(db: Database, annotator: int, value: str) -> str:
    """Lease the annotator's next task and answer ``value``; the item's text."""
    task = assignment.next_task_for(db, "sentiment", annotator)
    assert task is not None
    assignment.submit_annotation(
        db,
        task.assignment_id,
        annotator,
        value={"sentiment": value},
        seconds=1.0,
        idempotency_key=f"{annotator}-{task.assignment_id}",
    )
    return str(task.payload["text"])


def _share(correct: int, total: int) -> dict[str, Any]:
    low, high = wilson_bounds(correct, total)
    return {
        "correct": correct,
        "total": total,
        "accuracy": correct / total,
        "low": low,
        "high": high,
    }


def test_report_pause_reinstate_and_requeue(data_dir: Path, db: Database) -> None:
    """Two wrong gold answers pause ada (the report says why, with accuracy and interval);
    bo, right once in two, keeps working; pausing by hand stops bo, reinstating lets bo
    work again, requeueing counts what went back; the JSON report is whole."""
    for item, label in (("1", "positive"), ("2", "negative")):
        value = json.dumps({"sentiment": label})
        assert lw(data_dir, "gold", "mark", "sentiment", item, "--value", value).exit_code == 0
    ada = add_user(
        db, "ada@example.com", role="annotator", projects=["sentiment"], vendor="acme"
    ).user.id
    bo = add_user(db, "bo@example.com", role="annotator", projects=["sentiment"]).user.id
    ada_gold = sorted(_answer(db, ada, "neutral") for _ in range(2))
    bo_gold = sorted(_answer(db, bo, "positive") for _ in range(2))
    bo_work = _answer(db, bo, "neutral")
    table = lw(data_dir, "gold", "report", "sentiment")
    as_json = lw(data_dir, "gold", "report", "sentiment", "--json")
    paused = lw(data_dir, "gold", "pause", "sentiment", "bo@example.com", "--reason", "rushing")
    with pytest.raises(AnnotatorPaused) as refused:
        assignment.next_task_for(db, "sentiment", bo)
    reinstated = lw(data_dir, "gold", "reinstate", "sentiment", "BO@example.com")
    again = lw(data_dir, "gold", "reinstate", "sentiment", "bo@example.com")
    requeued = lw(data_dir, "gold", "requeue", "sentiment", "bo@example.com", "--reason", "audit")
    reason = (
        "paused: 0 of 2 gold answers correct (0%, 95% interval 0%–66%) is below the "
        "project's bar of 90%; a manager can reinstate you"
    )
    assert (ada_gold, bo_gold, bo_work) == (["review 0", "review 1"],) * 2 + ("review 2",)
    assert table.exit_code == 0
    assert "sentiment: 2 gold items, gold rate 100%, auto-pause below 90% after 2 gold answers" in (
        flat(table.stdout)
    )
    assert re.search(
        r"ada@example\.com\s*│ acme\s*│ 2\s*│ 0% \(0–66%\)\s*│ 0% \(0–66%\)\s*│ paused: 0 of",
        table.stdout,
    )
    assert re.search(
        r"bo@example\.com\s*│ -\s*│ 2\s*│ 50% \(9–91%\)\s*│ 50% \(9–91%\)\s*│ -", table.stdout
    )
    report = json.loads(as_json.stdout)
    paused_at = report["annotators"][0].pop("paused_at")
    assert datetime.fromisoformat(paused_at).utcoffset() is not None
    assert report == {
        "project": "sentiment",
        "gold_items": 2,
        "gold_rate": 1.0,
        "auto_pause": {"min_gold": 2, "below": 0.9},
        "annotators": [
            {
                "email": "ada@example.com",
                "name": "",
                "vendor": "acme",
                "overall": _share(0, 2),
                "fields": {"sentiment": _share(0, 2)},
                "paused": reason,
            },
            {
                "email": "bo@example.com",
                "name": "",
                "vendor": None,
                "overall": _share(1, 2),
                "fields": {"sentiment": _share(1, 2)},
                "paused": None,
                "paused_at": None,
            },
        ],
    }
    assert [(r.exit_code, r.stdout) for r in (paused, reinstated, requeued)] == [
        (0, "bo@example.com is paused in sentiment\n"),
        (0, "BO@example.com is reinstated in sentiment\n"),
        (0, "1 annotation by bo@example.com in sentiment went back to the queue\n"),
    ]
    assert str(refused.value) == (
        "you are paused in project 'sentiment': paused by a manager: rushing"
    )
    assert (again.exit_code, flat(again.stderr)) == (
        3,
        "error [not_found] user 'bo@example.com' is not paused in project 'sentiment'",
    )
    assert assignment.next_task_for(db, "sentiment", bo) is not None


def test_commands_on_a_missing_project_exit_3(data_dir: Path) -> None:
    """Every gold command names the missing project and exits 3."""
    runs = [
        ("mark", "nope", "1", "--value", '{"sentiment": "positive"}'),
        ("unmark", "nope", "1"),
        ("list", "nope"),
        ("report", "nope"),
        ("pause", "nope", "a@example.com", "--reason", "x"),
        ("reinstate", "nope", "a@example.com"),
        ("requeue", "nope", "a@example.com"),
    ]
    seen = [(r.exit_code, flat(r.stderr)) for args in runs for r in [lw(data_dir, "gold", *args)]]
    assert seen == [(3, "error [not_found] project 'nope' does not exist")] * len(runs)
