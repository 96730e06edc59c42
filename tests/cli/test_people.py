"""``labelworks people`` end to end on an embedded SQLite data directory: the JSON is the
service's report, the table shows each person's figures with intervals and their warning
signs explained, ``--period``/``--since``/``--until`` narrow, ``--all`` (or no project)
reports across projects, and bad input is refused naming the option."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.cli.runner import lw
from tests.services import people_world
from tests.services.people_world import PeopleWorld

from labelworks.config import Settings
from labelworks.services.people_analytics import people_overall, people_report
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, Database, PeopleWorld]]:
    """A data directory holding people_world's hand-computed project."""
    folder = tmp_path / "data"
    database = Database(Settings(data_dir=folder).effective_database_url)
    upgrade(database)
    world = people_world.build(database)
    yield folder, database, world
    database.dispose()


def _steady(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what moves with the clock: when it was made and how long dee
    has held his task."""
    people = [
        {
            **p,
            "warnings": [
                {**w, "explanation": "", "evidence": {**w["evidence"], "held_seconds": 0}}
                if w["code"] == "idle_leases"
                else w
                for w in p["warnings"]
            ],
        }
        for p in report["people"]
    ]
    return {**report, "computed_at": "", "people": people}


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_json_is_the_services_report(site: tuple[Path, Database, PeopleWorld]) -> None:
    """``--json`` prints the service's report (the API's shape), for a project and overall."""
    folder, db, world = site
    done = lw(folder, "people", world.project, "--json")
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    expected = people_report(db, world.project).to_dict()
    assert _steady(body) == _steady(expected)
    overall = lw(folder, "people", "--all", "--json")
    assert overall.exit_code == 0, overall.output
    together = json.loads(overall.output)
    assert (together["project"], together["projects"], together["team"]["annotations"]) == (
        None,
        ["people-demo"],
        people_overall(db).team.annotations,
    )


def test_the_table_and_the_signs(site: tuple[Path, Database, PeopleWorld]) -> None:
    """Each person's row with their gold share and interval, and each sign explained."""
    folder, _, world = site
    done = lw(folder, "people", world.project)
    assert done.exit_code == 0, done.output
    text = _flat(done.output)
    assert "people-demo · all time" in text
    assert "4 people, 60 annotations" in text
    assert "│ ada@acme.example │ acme │ 20 │ 180 │ 20.0 │ 100% (76–100)* │ 100% (68–100)* │" in text
    assert "cy@globex.example: Faster than a plausible floor. Half of her" not in text
    assert "cy@globex.example: Faster than a plausible floor. Half of their 20 timed" in text
    assert "Gives 'positive' far more than the team." in text
    assert "dee@inhouse.example: Holds tasks without submitting." in text


def test_periods_narrow_and_an_empty_period_says_so(
    site: tuple[Path, Database, PeopleWorld],
) -> None:
    """A week holds its own work; dates too; a week without work says there is nothing."""
    folder, _, world = site
    week = json.loads(
        lw(folder, "people", world.project, "--period", world.week_a, "--json").output
    )
    assert (week["period"]["label"], week["team"]["annotations"]) == (world.week_a, 18)
    monday, sunday = people_world.week_dates(world.week_b)
    dates = lw(
        folder, "people", world.project, "--since", monday.isoformat(), "--until",
        sunday.isoformat(), "--json",
    )  # fmt: skip
    assert json.loads(dates.output)["team"]["annotations"] == 42
    empty = lw(folder, "people", world.project, "--period", "2020-W01")
    assert empty.exit_code == 0
    assert _flat(empty.output) == (
        "people-demo · 2020-W01 Nobody worked on project 'people-demo' in 2020-W01: there is "
        "nothing to measure."
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["people-demo", "--period", "2026-48"], 2, "field 'period': '2026-48' is not an ISO week"),
        (["people-demo", "--period", "2026-W48", "--since", "2026-11-01"], 2, "not both"),
        (["people-demo", "--since", "soon"], 2, "field 'since': 'soon' is not a date"),
        (["people-demo", "--all"], 2, "give a project or --all, not both"),
        (["--floor-seconds", "5"], 2, "--floor-seconds applies to one project's report"),
        (["people-demo", "--floor-seconds", "0"], 2, "floor_seconds must be above 0"),
        (["nope"], 3, "project 'nope' does not exist"),
    ],
)
def test_bad_input_is_refused(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    """Each mistake exits with its code and a message naming what is wrong, before any
    project is looked up."""
    done = lw(tmp_path / "data", "people", *args)
    assert done.exit_code == code, done.output
    assert message in _flat(done.output)
