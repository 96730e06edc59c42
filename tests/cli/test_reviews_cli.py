"""``labelworks review`` end to end on an embedded SQLite data directory: the queue as a
readable view and as JSON, accept, reject and fix, the outcomes report; bad input exits 2
with one line naming the option and changes nothing."""

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
from labelworks.domain.gold import wilson_bounds
from labelworks.services import assignment, reviews
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
  review: {first_n: 3, reasons: [wrong label, incomplete]}
"""
ITEMS = "".join(
    f'{{"external_id": "r{i}", "text": "review {i} [bold]loud[/]"}}\n' for i in range(5)
)
LABELS = ["positive", "negative", "neutral"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory with project 'sentiment' (five items r0-r4) where an acme
    annotator labelled items 1-3 positive, negative, neutral: reviews 1-3 pending."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    db = Database(Settings(data_dir=folder).effective_database_url)
    uid = add_user(db, "ann@acme.example", role="annotator", vendor="acme", projects=["sentiment"])
    for k, label in enumerate(LABELS):
        task = assignment.next_task_for(db, "sentiment", uid.user.id)
        assert task is not None
        assignment.submit_annotation(
            db,
            task.assignment_id,
            uid.user.id,
            value={"sentiment": label},
            seconds=1.0,
            idempotency_key=str(k),
        )
    db.dispose()
    yield folder


def _statuses(data_dir: Path) -> list[tuple[int, str]]:
    db = Database(Settings(data_dir=data_dir).effective_database_url)
    rows = reviews.review_queue(db, "sentiment", status=None)
    db.dispose()
    return [(r.id, r.status) for r in rows]


def _listed(data_dir: Path, *args: str) -> list[dict[str, Any]]:
    result = lw(data_dir, "review", "list", "sentiment", "--json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    for row in rows:
        assert datetime.fromisoformat(row.pop("created_at")).utcoffset() is not None
        decided = row.pop("decided_at")
        assert decided is None or datetime.fromisoformat(decided).utcoffset() is not None
    return rows


def _row(n: int, status: str = "pending", **rest: Any) -> dict[str, Any]:
    return {
        "id": n,
        "annotation_id": n,
        "item_id": n,
        "external_id": f"r{n - 1}",
        "payload": {"text": f"review {n - 1} [bold]loud[/]"},
        "value": rest.get("value", {"sentiment": LABELS[n - 1]}),
        "annotator": "ann@acme.example",
        "vendor": "acme",
        "why": "first_n",
        "status": status,
        "reason": rest.get("reason"),
        "comment": rest.get("comment", ""),
        "fixed_value": rest.get("fixed_value"),
    }


def test_list_shows_each_review_readably_and_as_json(data_dir: Path) -> None:
    """The list shows each review's item content (markup-like text literally), annotator,
    why and value, then a count; --json has every field; --status all is the same three."""
    shown = lw(data_dir, "review", "list", "sentiment")
    assert shown.exit_code == 0
    assert shown.stdout.splitlines()[:4] == [
        "review 1 · item 1 (r0) · ann@acme.example (acme) · one of their first annotations",
        "  item   text: review 0 [bold]loud[/]",
        "  answer sentiment: positive",
        "",
    ]
    assert shown.stdout.splitlines()[-1] == "3 pending reviews in sentiment"
    assert _listed(data_dir) == [_row(1), _row(2), _row(3)]
    assert _listed(data_dir, "--status", "all") == _listed(data_dir)


def test_accept_reject_and_fix_then_the_report(data_dir: Path) -> None:
    """accept, reject with a reason and a comment, fix with --value: each says what it
    did; the list by status and the report (table and JSON) follow."""
    done = [
        lw(data_dir, "review", "decide", "sentiment", "1", "accept"),
        lw(
            data_dir,
            "review",
            "decide",
            "sentiment",
            "2",
            "reject",
            "--reason",
            "incomplete",
            "--comment",
            "missed the [b]end[/b]",
        ),
        lw(
            data_dir,
            "review",
            "decide",
            "sentiment",
            "3",
            "fix",
            "--value",
            '{"sentiment": "negative"}',
            "--comment",
            "sarcasm",
        ),
    ]
    table = lw(data_dir, "review", "report", "sentiment")
    report = lw(data_dir, "review", "report", "sentiment", "--json")
    shown = lw(data_dir, "review", "list", "sentiment", "--status", "rejected")
    assert [(r.exit_code, r.stdout) for r in done] == [
        (0, "review 1 of sentiment accepted\n"),
        (0, "review 2 of sentiment rejected (incomplete): the work goes back to be redone\n"),
        (0, "review 3 of sentiment fixed: sentiment: negative\n"),
    ]
    assert _listed(data_dir, "--status", "all") == [
        _row(1, "accepted"),
        _row(2, "rejected", value=None, reason="incomplete", comment="missed the [b]end[/b]"),
        _row(3, "fixed", fixed_value={"sentiment": "negative"}, comment="sarcasm"),
    ]
    assert shown.stdout.splitlines() == [
        "review 2 · item 2 (r1) · ann@acme.example (acme) · one of their first annotations "
        "· rejected",
        "  item   text: review 1 [bold]loud[/]",
        "  answer (set aside)",
        "  reason incomplete",
        "  note   missed the [b]end[/b]",
        "",
        "1 rejected review in sentiment",
    ]
    assert re.search(
        r"│ ann@acme\.example\s*│ acme\s*│ 33% \(6–79%\)\s*│\s*1 of 3 │\s*1 │\s*1 │\s*0 │",
        table.stdout,
    ), table.stdout
    low, high = wilson_bounds(1, 3)
    assert json.loads(report.stdout) == {
        "project": "sentiment",
        "annotators": [
            {
                "annotator": "ann@acme.example",
                "vendor": "acme",
                "pending": 0,
                "accepted": 1,
                "rejected": 1,
                "fixed": 1,
                "decided": 3,
                "acceptance": 1 / 3,
                "low": low,
                "high": high,
            }
        ],
    }


def test_bad_input_exits_with_one_line_and_changes_nothing(data_dir: Path) -> None:
    """Bad JSON, a value that is not an object, a fix without --value, --value or --reason
    with the wrong decision, an unknown reason or status: exit 2 with one line; an unknown
    review exits 3, a decided one 4; nothing changed but the one accepted review."""
    cases = {
        "bad JSON": ("2", "fix", "--value", '{"sentiment": negative}'),
        "not an object": ("2", "fix", "--value", '["negative"]'),
        "no value": ("2", "fix"),
        "value with accept": ("2", "accept", "--value", '{"sentiment": "negative"}'),
        "reason with fix": ("2", "fix", "--value", '{"sentiment": "negative"}', "--reason", "x"),
        "unknown reason": ("2", "reject", "--reason", "ugly"),
        "bad label": ("2", "fix", "--value", '{"sentiment": "furious"}'),
    }
    seen = {
        name: (r.exit_code, r.stderr.strip().splitlines())
        for name, args in cases.items()
        if (r := lw(data_dir, "review", "decide", "sentiment", *args))
    }
    status = lw(data_dir, "review", "list", "sentiment", "--status", "done")
    accepted = lw(data_dir, "review", "decide", "sentiment", "1", "accept")
    twice = lw(data_dir, "review", "decide", "sentiment", "1", "accept")
    unknown = lw(data_dir, "review", "decide", "sentiment", "9", "accept")
    assert seen == {
        "bad JSON": (
            2,
            ["error [invalid_input] --value, line 1: invalid JSON: Expecting value (column 15)"],
        ),
        "not an object": (
            2,
            [
                "error [invalid_input] --value: the fix must be a JSON object of field values, "
                'e.g. {"sentiment": "pos"}'
            ],
        ),
        "no value": (
            2,
            [
                "error [invalid_input] a fix needs --value, the corrected annotation, e.g. "
                '\'{"sentiment": "pos"}\''
            ],
        ),
        "value with accept": (
            2,
            ["error [invalid_input] --value goes with fix only, not with accept"],
        ),
        "reason with fix": (
            2,
            ["error [invalid_input] --reason goes with reject only, not with fix"],
        ),
        "unknown reason": (
            2,
            ["error [invalid_input] reason must be one of: wrong label, incomplete"],
        ),
        "bad label": (
            2,
            [
                "error [invalid_annotation] field 'sentiment': 'furious' is not one of the labels "
                "'positive', 'negative', 'neutral'"
            ],
        ),
    }
    assert (status.exit_code, status.stderr.strip()) == (
        2,
        "error [invalid_input] --status must be one of pending, accepted, rejected, fixed, "
        "all, not 'done'",
    )
    assert [(r.exit_code, r.stderr.strip()) for r in (accepted, twice, unknown)] == [
        (0, ""),
        (4, "error [conflict] review 1 was already decided (accepted)"),
        (3, "error [not_found] review 9 does not exist in project 'sentiment'"),
    ]
    assert _statuses(data_dir) == [(1, "accepted"), (2, "pending"), (3, "pending")]


def test_nothing_to_review_says_so(tmp_path: Path) -> None:
    """A project without review: the list and the report say there is nothing."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC.split("quality:")[0])
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    listed = lw(folder, "review", "list", "sentiment")
    report = lw(folder, "review", "report", "sentiment")
    as_json = lw(folder, "review", "report", "sentiment", "--json")
    assert (listed.stdout, report.stdout, json.loads(as_json.stdout)) == (
        "no pending reviews in sentiment\n",
        "nothing has been sampled for review in sentiment\n",
        {"project": "sentiment", "annotators": []},
    )
