"""People analytics over the SDK, in-process: people_world's report as the service makes
it, a period as a week or as dates, a vendor's manager walled to their people, and the
errors an annotator, an unknown project and a bad period raise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services import people_world
from tests.services.people_world import PeopleWorld

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk.client import Client
from labelworks.server.app import create_app
from labelworks.services.people_analytics import people_report
from labelworks.services.users import issue_token
from labelworks.storage.engine import Database


@pytest.fixture
def clients(db: Database, tmp_path: Path) -> Iterator[tuple[dict[str, Client], PeopleWorld]]:
    world = people_world.build(db)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    emails = {"admin": world.admin.email, "acme": world.acme.email, "ada": "ada@acme.example"}
    with TestClient(app) as http:
        yield (
            {who: Client.from_httpx(http, issue_token(db, e, "sdk")) for who, e in emails.items()},
            world,
        )


def test_the_report_and_its_periods(
    clients: tuple[dict[str, Client], PeopleWorld], db: Database
) -> None:
    """The admin's report has the service's figures; a week and dates narrow it."""
    by, world = clients
    report = by["admin"].people_report(world.project)
    expected = people_report(db, world.project)
    assert [(p.email, p.annotations, p.gold.successes, p.gold.trials) for p in report.people] == [
        (p.email, p.figures.annotations, p.figures.gold.successes, p.figures.gold.trials)
        for p in expected.people
    ]
    cy = report.people[0]
    assert [w.code for w in cy.warnings] == ["too_fast", "straight_lining", "guideline_drop"]
    assert cy.confusion is not None and cy.confusion.matrix == [[1.0, 0.0, 0.0]] * 3
    week = by["admin"].people_report(world.project, period=world.week_a)
    monday, sunday = people_world.week_dates(world.week_b)
    dates = by["admin"].people_report(world.project, since=monday, until=sunday.isoformat())
    assert (week.team.annotations, dates.team.annotations) == (18, 42)
    overall = by["admin"].people_overall(period=world.week_a)
    assert (overall.projects, overall.team.annotations) == (["people-demo"], 18)


def test_walls_and_errors(clients: tuple[dict[str, Client], PeopleWorld]) -> None:
    """Acme's manager reads acme's people; an annotator, an unknown project and a bad
    week raise the error tree's exceptions."""
    by, world = clients
    walled = by["acme"].people_report(world.project, floor_seconds=25.0)
    assert [(p.email, [w.code for w in p.warnings]) for p in walled.people] == [
        ("ada@acme.example", ["too_fast"]),
        ("ben@acme.example", []),
    ]
    with pytest.raises(E.PermissionDenied):
        by["ada"].people_report(world.project)
    with pytest.raises(E.PermissionDenied):
        by["ada"].people_overall()
    with pytest.raises(E.NotFound):
        by["admin"].people_report("nope")
    with pytest.raises(E.InvalidInput, match="ISO week"):
        by["admin"].people_report(world.project, period="week 48")
