"""``labelworks items list`` on an embedded SQLite data directory: keyset pages in import
order, the API's filters, the table and the JSON, and bad filters refused."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.config import Settings
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.users import user_by_email
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
ITEMS = "".join(f'{{"external_id": "r{i}", "text": "review {i}"}}\n' for i in range(5))


def lw(data_dir: Path, *args: str) -> Result:
    """Run ``labelworks --data-dir DATA_DIR ARGS`` with a wide terminal and no env overrides."""
    return CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), *args],
        env={"COLUMNS": "200", "LABELWORKS_DATABASE_URL": None, "LABELWORKS_DATA_DIR": None},
    )


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Project 'sentiment' with items r0-r4 (ids 1-5); ann labelled r0 positive, r1 negative."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    assert lw(folder, "user", "add", "ann@example.com", "--project", "sentiment").exit_code == 0
    db = Database(Settings(data_dir=folder).effective_database_url)
    try:
        ann = user_by_email(db, "ann@example.com").id
        for n, label in enumerate(("positive", "negative")):
            task = next_task_for(db, "sentiment", ann)
            assert task is not None
            submit_annotation(
                db,
                task.assignment_id,
                ann,
                value={"sentiment": label},
                seconds=2.0,
                idempotency_key=f"k{n}",
            )
    finally:
        db.dispose()
    return folder


def _page(data_dir: Path, *args: str) -> tuple[list[tuple[Any, ...]], int | None]:
    """(id, external id, status, submitted, preview) of each listed item, and next_after."""
    result = lw(data_dir, "items", "list", "sentiment", "--json", *args)
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)
    for row in page["items"]:
        assert datetime.fromisoformat(row["created_at"]).utcoffset() is not None
    rows = [
        (r["id"], r["external_id"], r["status"], r["n_submitted"], r["payload_preview"])
        for r in page["items"]
    ]
    return rows, page["next_after"]


def test_items_list_pages_through_the_project_in_import_order(data_dir: Path) -> None:
    """--limit pages by --after until next_after is null, each row as the API gives it."""
    first = _page(data_dir, "--limit", "2")
    second = _page(data_dir, "--limit", "2", "--after", "2")
    last = _page(data_dir, "--limit", "2", "--after", "4")
    assert [first, second, last] == [
        (
            [
                (1, "r0", "complete", 1, '{"text":"review 0"}'),
                (2, "r1", "complete", 1, '{"text":"review 1"}'),
            ],
            2,
        ),
        (
            [
                (3, "r2", "new", 0, '{"text":"review 2"}'),
                (4, "r3", "new", 0, '{"text":"review 3"}'),
            ],
            4,
        ),
        ([(5, "r4", "new", 0, '{"text":"review 4"}')], None),
    ]


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (("--status", "complete"), [1, 2]),
        (("--status", "new"), [3, 4, 5]),
        (("--label", "negative"), [2]),
        (("--annotator", " ANN@example.com"), [1, 2]),
        (("--annotator", "nobody@example.com"), []),
        (("--q", "REVIEW 3"), [4]),
        (("--status", "complete", "--label", "positive"), [1]),
    ],
)
def test_items_list_filters_as_the_api_does(
    data_dir: Path, args: tuple[str, ...], ids: list[int]
) -> None:
    """Status, label, annotator (any case and spacing) and payload text filter and combine."""
    rows, after = _page(data_dir, *args)
    assert ([r[0] for r in rows], after) == (ids, None)


def test_items_list_table_says_how_to_get_the_next_page(data_dir: Path) -> None:
    """The table has one row per item and a last line naming the --after of the next page;
    an empty result says so."""
    result = lw(data_dir, "items", "list", "sentiment", "--limit", "2")
    rows = [line.split("│")[1:-1] for line in result.stdout.splitlines() if "review" in line]
    none = lw(data_dir, "items", "list", "sentiment", "--label", "neutral")
    assert (result.exit_code, result.stdout.splitlines()[-1]) == (0, "more: --after 2")
    assert [[c.strip() for c in row][:5] for row in rows] == [
        ["1", "r0", "complete", "1", '{"text":"review 0"}'],
        ["2", "r1", "complete", "1", '{"text":"review 1"}'],
    ]
    assert (none.exit_code, none.stdout.splitlines()[-1]) == (0, "no items match")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("sentiment", "--status", "done"),
            2,
            "error [invalid_input] status must be one of new, in_progress, complete, not 'done'",
        ),
        (
            ("sentiment", "--limit", "501"),
            2,
            "error [invalid_input] limit must be between 1 and 500",
        ),
        (("nope",), 3, "error [not_found] project 'nope' does not exist"),
    ],
)
def test_items_list_refuses_bad_filters_and_unknown_projects(
    data_dir: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    """A bad status or limit exits 2 and an unknown project 3, each in one line."""
    result = lw(data_dir, "items", "list", *args)
    assert (result.exit_code, result.stdout, flat(result.stderr)) == (code, "", message)
