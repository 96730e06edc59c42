"""``labelworks consistency`` end to end on an embedded SQLite data directory: the
test–retest table and its JSON, a project without retests, and a missing project."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.test_gold_cli import flat, lw

from labelworks.config import Settings
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
  retest: {rate: 0.5, after: 1}
"""
ITEMS = "".join(f'{{"text": "review {i}"}}\n' for i in range(12))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with project 'sentiment' (twelve items) retesting half the leases."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    return folder


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = Database(Settings(data_dir=data_dir).effective_database_url)
    yield database
    database.dispose()


def _label_all(db: Database, email: str) -> list[tuple[str, str]]:
    """An annotator labels until nothing is left, changing their mind on every other
    retest; returns each retest's (first, second) answers."""
    uid = add_user(db, email, role="annotator", projects=["sentiment"]).user.id
    rng, first, pairs = random.Random(4), {}, []
    while (task := assignment.next_task_for(db, "sentiment", uid, rng=rng)) is not None:
        if task.item_id in first:
            label = "negative" if len(pairs) % 2 else first[task.item_id]
            pairs.append((first[task.item_id], label))
        else:
            label = first[task.item_id] = ("positive", "neutral")[task.item_id % 2]
        key = f"{task.item_id}-{len(pairs)}"
        assignment.submit_annotation(
            db, task.assignment_id, uid, value={"sentiment": label}, seconds=1, idempotency_key=key
        )
    return pairs


def test_the_table_and_the_json_report_the_retests(data_dir: Path, db: Database) -> None:
    """The JSON counts every retest and how many came back the same; the table shows the
    rule, the annotator's line with its interval, and the latest retests."""
    pairs = _label_all(db, "ada@example.com")
    as_json = lw(data_dir, "consistency", "sentiment", "--json")
    table = lw(data_dir, "consistency", "sentiment")
    report = json.loads(as_json.stdout)
    same = sum(a == b for a, b in pairs)
    assert (as_json.exit_code, table.exit_code, len(pairs) > 1) == (0, 0, True)
    assert (
        report["retests"],
        report["same"]["same"],
        [(a["email"], a["retests"], a["same"]["same"]) for a in report["annotators"]],
        [(p["first"], p["second"]) for p in reversed(report["recent"])],
        (report["rate"], report["after"]),
    ) == (
        len(pairs),
        same,
        [("ada@example.com", len(pairs), same)],
        [({"sentiment": a}, {"sentiment": b}) for a, b in pairs],
        (0.5, 1),
    )
    text = flat(table.stdout)
    assert (
        f"sentiment: {len(pairs)} retests, 50% of leases retest an item 1+ annotation old" in text,
        f"│ {same} of {len(pairs)} (" in text,
        "latest retests" in text,
    ) == (True, True, True)


def test_a_project_without_retests_says_how_to_turn_them_on(data_dir: Path) -> None:
    """With no retests yet the figures are empty and a missing project exits 3."""
    quiet = lw(data_dir, "consistency", "sentiment", "--json")
    missing = lw(data_dir, "consistency", "nope")
    assert (json.loads(quiet.stdout)["same"], missing.exit_code, flat(missing.stderr)) == (
        {"same": 0, "total": 0, "share": None, "low": None, "high": None},
        3,
        "error [not_found] project 'nope' does not exist",
    )
