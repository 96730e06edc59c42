"""``labelworks qualification status|retry`` against the database under test (SQLite and
PostgreSQL): the rule in words and each member's standing as a table or JSON, a retry,
and refusals with their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from tests.server.qualification_world import QualWorld, qualification_world
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database) -> QualWorld:
    """The qualification world: Fay blocked, Mo mid-test, Pat passed."""
    return qualification_world(db)


def lw(db: Database, tmp_path: Path, *args: str) -> Result:
    """Run ``labelworks ARGS`` on the test database with a wide terminal."""
    return CliRunner().invoke(
        app,
        list(args),
        env={
            "COLUMNS": "220",
            "LABELWORKS_DATABASE_URL": db.url,
            "LABELWORKS_DATA_DIR": str(tmp_path / "data"),
        },
    )


def rows(output: str) -> list[list[str]]:
    """The body rows of a Rich table, cell by cell."""
    return [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in output.splitlines()
        if line.startswith("│")
    ]


def test_status_table_says_the_rule_and_each_standing(
    world: QualWorld, db: Database, tmp_path: Path
) -> None:
    """The title states the rule in words; each member's row says where they stand."""
    result = lw(db, tmp_path, "qualification", "status", "qual")
    title = " ".join(result.stdout.split("┏")[0].split())
    assert (result.exit_code, title) == (
        0,
        "qual: Before live work, each annotator answers 2 gold questions they have not "
        "seen and passes with at least 2 right (100%); a failed attempt may be retried "
        "once, on fresh questions, then they wait for a manager to let them try again; "
        "6 gold items.",
    )
    assert rows(result.stdout) == [
        ["fay@globex.example", "annotator", "globex", "blocked",
         "2 failed attempts: blocked until a manager lets them try again", "2"],
        ["mo@example.com", "annotator", "-", "testing",
         "attempt 1 of 2: answered 1 of 2, 1 right", "5"],
        ["boss@example.com", "manager", "-", "not started", "attempt 1 of 2: not started", "6"],
        ["lead@acme.example", "manager", "acme", "not started", "attempt 1 of 2: not started",
         "6"],
        ["neo@example.com", "annotator", "-", "not started", "attempt 1 of 2: not started", "6"],
        ["rev@example.com", "reviewer", "-", "not started", "attempt 1 of 2: not started", "6"],
        ["pat@acme.example", "annotator", "acme", "qualified", "passed 2026-01-01 12:00 UTC",
         "4"],
    ]  # fmt: skip


def test_status_json_is_the_api_shape(world: QualWorld, db: Database, tmp_path: Path) -> None:
    """``--json`` prints the rule under its spec names and ISO UTC times."""
    result = lw(db, tmp_path, "qualification", "status", "qual", "--json")
    body = json.loads(result.stdout)
    assert (result.exit_code, body["rule"], body["members"][-1]) == (
        0,
        {"items": 2, "pass": 1.0, "retries": 1},
        {
            "email": "pat@acme.example",
            "name": "Pat Pass",
            "role": "annotator",
            "vendor": "acme",
            "state": "qualified",
            "qualified_at": "2026-01-01T12:00:04Z",
            "failed_attempts": 0,
            "attempt": None,
            "answered": 2,
            "correct": 2,
            "questions_left": 4,
            "gold_answered": 2,
            "gold_correct": 2,
        },
    )


def test_retry_then_refusals(world: QualWorld, db: Database, tmp_path: Path) -> None:
    """A retry puts the blocked member back on attempt 1; retrying someone who passed,
    a stranger or an unknown project exits 3 with the reason on stderr."""
    done = lw(db, tmp_path, "qualification", "retry", "qual", "fay@globex.example")
    after = json.loads(lw(db, tmp_path, "qualification", "status", "qual", "--json").stdout)
    refusals = [
        lw(db, tmp_path, "qualification", "retry", "qual", "pat@acme.example"),
        lw(db, tmp_path, "qualification", "retry", "qual", "nobody@example.com"),
        lw(db, tmp_path, "qualification", "status", "nope"),
    ]
    fay = next(m for m in after["members"] if m["email"] == "fay@globex.example")
    assert (done.exit_code, " ".join(done.stdout.split())) == (
        0,
        "fay@globex.example may take the qualification test of qual again: a fresh attempt "
        "starts with their next task",
    )
    assert (fay["state"], fay["failed_attempts"], fay["attempt"]) == ("not_started", 0, 1)
    assert [(r.exit_code, r.stderr.strip()) for r in refusals] == [
        (3, "error [not_found] user 'pat@acme.example' has already qualified in project 'qual'"),
        (3, "error [not_found] user 'nobody@example.com' does not exist"),
        (3, "error [not_found] project 'nope' does not exist"),
    ]
