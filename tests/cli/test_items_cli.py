"""``labelworks items list`` on an embedded SQLite data directory: keyset pages in import
order, the API's filters, the table and the JSON, and bad filters refused."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.cli.runner import lw

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
    """The table has one row per item (with its priority) and a last line naming the
    --after of the next page; an empty result says so."""
    result = lw(data_dir, "items", "list", "sentiment", "--limit", "2")
    rows = [line.split("│")[1:-1] for line in result.stdout.splitlines() if "review" in line]
    none = lw(data_dir, "items", "list", "sentiment", "--label", "neutral")
    assert (result.exit_code, result.stdout.splitlines()[-1]) == (0, "more: --after 2")
    assert [[c.strip() for c in row][:6] for row in rows] == [
        ["1", "r0", "complete", "1", "0", '{"text":"review 0"}'],
        ["2", "r1", "complete", "1", "0", '{"text":"review 1"}'],
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


def _import(data_dir: Path, tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    source = tmp_path / "more.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert lw(data_dir, "import", "sentiment", str(source)).exit_code == 0


def test_items_list_filters_by_metadata_and_score_sorts_and_counts(
    data_dir: Path, tmp_path: Path
) -> None:
    """Items 6-8 carry metadata and scored pre-annotations: --meta and --score-min pick
    them, --sort -id reverses, --before pages back, and the JSON says how many match."""
    _import(
        data_dir,
        tmp_path,
        [
            {
                "payload": {"text": f"extra {i}"},
                "metadata": {"split": "val" if i else "train", "n": i},
                "pre_annotations": [
                    {"model": "m", "score": i / 4, "value": {"sentiment": "positive"}}
                ],
            }
            for i in range(3)
        ],
    )

    def page(*args: str) -> dict[str, Any]:
        result = lw(data_dir, "items", "list", "sentiment", "--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    val = page("--meta", "split=val")
    both = page("--meta", "split=val", "--meta", "n=2")
    scored = page("--score-min", "0.25", "--score-max", "0.3")
    newest = page("--sort", "-id", "--limit", "3")
    back = page("--before", "6", "--limit", "2")
    assert [[i["id"] for i in p["items"]] for p in (val, both, scored, newest, back)] == [
        [7, 8],
        [8],
        [7],
        [8, 7, 6],
        [4, 5],
    ]
    assert (val["total"], val["total_capped"], newest["next_after"], back["prev_before"]) == (
        2,
        False,
        6,
        4,
    )
    assert (back["next_after"], val["items"][0]["priority"]) == (5, 0)


def test_items_list_says_how_many_match(data_dir: Path) -> None:
    result = lw(data_dir, "items", "list", "sentiment", "--limit", "2", "--after", "2")
    assert result.stdout.splitlines()[-3:] == [
        "2 shown of 5 matching",
        "previous: --before 3",
        "more: --after 4",
    ]


def test_items_show_one_item_with_its_annotations(data_dir: Path) -> None:
    """The text names the status against the overlap and each annotation; the JSON is the
    API's."""
    text = lw(data_dir, "items", "show", "sentiment", "2")
    data = lw(data_dir, "items", "show", "sentiment", "2", "--json")
    missing = lw(data_dir, "items", "show", "sentiment", "99")
    record = json.loads(data.stdout)
    assert (text.exit_code, text.stdout.splitlines()[:5]) == (
        0,
        [
            "item: 2",
            "external id: r1",
            "status: complete (1 of 1 annotations)",
            "priority: 0",
            'payload: {"text": "review 1"}',
        ],
    )
    assert "ann@example.com" in text.stdout and '{"sentiment": "negative"}' in flat(text.stdout)
    assert (
        sorted(record),
        record["annotations"][0]["value"],
        record["annotations"][0]["annotator"],
    ) == (
        [
            "annotations",
            "external_id",
            "id",
            "metadata",
            "payload",
            "pre_annotations",
            "status",
        ],
        {"sentiment": "negative"},
        "ann@example.com",
    )
    assert (missing.exit_code, flat(missing.stderr)) == (
        3,
        "error [not_found] item 99 does not exist in project 'sentiment'",
    )


def test_items_priority_requeue_and_delete_by_ids_and_filters(data_dir: Path) -> None:
    """priority by --ids, requeue by --status, delete of new items by filter; each says
    what it did, and the list shows it."""
    prioritised = lw(data_dir, "items", "priority", "sentiment", "5", "--ids", "3,4")
    lowered = lw(data_dir, "items", "priority", "sentiment", "--ids", "5", "--", "-2")
    requeued = lw(data_dir, "items", "requeue", "sentiment", "--status", "complete", "--json")
    deleted = lw(data_dir, "items", "delete", "sentiment", "--ids", "5")
    rows, _ = _page(data_dir, "--sort", "-priority")
    assert [r.exit_code for r in (prioritised, lowered, requeued, deleted)] == [0, 0, 0, 0]
    assert (prioritised.stdout, deleted.stdout) == (
        "Set the priority of 2 items to 5.\n",
        "Deleted 1 item.\n",
    )
    assert json.loads(requeued.stdout) == {
        "action": "requeue",
        "selected": 2,
        "changed": 2,
        "message": "Re-queued 2 items for one more annotation.",
    }
    assert [(r[0], r[2]) for r in rows] == [
        (3, "new"),
        (4, "new"),
        (1, "in_progress"),
        (2, "in_progress"),
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("delete", "sentiment", "--ids", "1,3"),
            4,
            "error [conflict] cannot delete 1 of the 2 items, so nothing was changed: item 1 "
            "has annotations",
        ),
        (
            ("delete", "sentiment", "--ids", "3,77"),
            3,
            "error [not_found] item 77 is not in project 'sentiment'; nothing was changed",
        ),
        (
            ("delete", "sentiment"),
            2,
            "error [invalid_input] choose the items: --ids 1,2,3, filters (--status, --meta "
            "KEY=VALUE, …) or --all for every item",
        ),
        (
            ("requeue", "sentiment", "--ids", "1", "--status", "new"),
            2,
            "error [invalid_input] choose the items with --ids, or with filters (or --all), "
            "not both",
        ),
        (
            ("priority", "sentiment", "1", "--ids", "one"),
            2,
            "error [invalid_input] --ids takes item ids separated by commas (1,2,3), not 'one'",
        ),
        (
            ("requeue", "sentiment", "--meta", "split"),
            2,
            "error [invalid_input] --meta takes KEY=VALUE, not 'split'",
        ),
    ],
)
def test_bulk_commands_refuse_by_name_and_change_nothing(
    data_dir: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    result = lw(data_dir, "items", *args)
    rows, _ = _page(data_dir)
    assert (result.exit_code, result.stdout, flat(result.stderr)) == (code, "", message)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]


def test_delete_all_new_items_with_all(data_dir: Path) -> None:
    """--all with nothing else is every item: refused since two are annotated; --status
    new deletes the other three."""
    refused = lw(data_dir, "items", "delete", "sentiment", "--all")
    done = lw(data_dir, "items", "delete", "sentiment", "--status", "new")
    rows, _ = _page(data_dir)
    assert (refused.exit_code, done.stdout, [r[0] for r in rows]) == (
        4,
        "Deleted 3 items.\n",
        [1, 2],
    )
