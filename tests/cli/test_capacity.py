"""``labelworks forecast`` and ``labelworks capacity`` on an embedded data directory: the
forecast in words and as JSON (the API's), what-if options, a deadline in the past and a
project without history refused or explained, and the allocation table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.services.builders import make_project
from tests.services.capacity_world import World, build

from labelworks.config import Settings
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, World]]:
    folder = tmp_path / "data"
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    found = build(db)
    make_project(db, name="fresh")
    db.dispose()
    yield folder, found


def flat(text: str) -> str:
    return " ".join(text.split())


def test_forecast_in_words(world: tuple[Path, World]) -> None:
    """Eight left at two a day: done in four days, on track for the deadline with one
    person; the cost at 0.5 an annotation against the budget."""
    folder, w = world
    shown = lw(folder, "forecast", "sentiment", "--rate", "0.5")
    assert shown.exit_code == 0, shown.output
    done = (w.today + timedelta(days=4)).isoformat()
    deadline = (w.today + timedelta(days=10)).isoformat()
    assert flat(shown.stdout) == flat(f"""
        sentiment: 8 annotations left, 4 done
        ordinary 8 at overlap 2 · dynamic overlap 0 · rework after review 0 · gold 0
        pace: 2.0 a day over 2 days, 2.0 people on the project a day
        done by: P10 {done} (4.0 days) · P50 {done} (4.0 days) · P90 {done} (4.0 days)
        deadline {deadline} at 80%: on track — done by {done}; 1 person needed
        cost: 4.00 EUR left at 0.5 an annotation (given); 6.00 EUR in all, within the
        budget of 100.00 EUR
    """)


def test_forecast_json_is_the_api_s_and_takes_what_if_options(world: tuple[Path, World]) -> None:
    """--json with --headcount 4 --overlap 3: 14 left at four a day, 3.5 days."""
    folder, w = world
    shown = lw(folder, "forecast", "sentiment", "--headcount", "4", "--overlap", "3", "--json")
    assert shown.exit_code == 0, shown.output
    out = json.loads(shown.stdout)
    assert (out["remaining"], out["headcount_planned"], out["forecast"]["p50_days"]) == (
        14.0,
        4.0,
        3.5,
    )
    assert out["forecast"]["p50_date"] == (w.today + timedelta(days=4)).isoformat()
    assert out["notes"] == ["No cost: no rate was given and no vendor rate card prices this work."]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deadline", "2020-01-01"], "deadline 2020-01-01 is not after today"),
        (["--deadline", "soon"], "--deadline must be a date YYYY-MM-DD, not 'soon'"),
        (["--confidence", "1.5"], "confidence must lie between 0.5 and 0.99, not 1.5"),
        (["--gold-rate", "1"], "gold_rate must lie between 0 and 0.95, not 1.0"),
    ],
)
def test_bad_options_exit_2_naming_them(
    world: tuple[Path, World], args: list[str], message: str
) -> None:
    """A deadline in the past or not a date, a confidence or gold rate out of range."""
    folder, _ = world
    shown = lw(folder, "forecast", "sentiment", *args)
    assert (shown.exit_code, message in flat(shown.stderr)) == (2, True), shown.output


def test_a_project_without_history_says_so(world: tuple[Path, World]) -> None:
    """No items and no annotations: nothing left, no forecast, and the reason."""
    folder, _ = world
    shown = lw(folder, "forecast", "fresh")
    assert shown.exit_code == 0, shown.output
    assert "No annotations yet: there is no pace to forecast from." in flat(shown.stdout)
    assert "done by" not in shown.stdout


def test_capacity_table_and_json(world: tuple[Path, World]) -> None:
    """Both projects with their paces; sentiment needs 0.8 a day and its two people, who
    started two days ago, do one a day each: on track, and no moves."""
    folder, w = world
    shown = lw(folder, "capacity", "--json")
    assert shown.exit_code == 0, shown.output
    out = json.loads(shown.stdout)
    assert (out["people"], out["window"], out["moves"]) == (2, 28, [])
    assert out["projects"][1] == {
        "project": "sentiment", "priority": 0,
        "deadline": (w.today + timedelta(days=10)).isoformat(), "passed": False,
        "remaining": 8.0, "need": 0.8, "current": 2.0, "planned": 2.0, "shortfall": 0.0,
        "on_track": True,
    }  # fmt: skip
    table = lw(folder, "capacity")
    assert table.exit_code == 0, table.output
    assert "│ sentiment │ 0        │" in table.stdout
    assert "no moves" in flat(table.stdout)
