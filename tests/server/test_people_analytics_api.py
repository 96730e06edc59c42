"""``GET /api/v1/projects/{project}/people`` and ``GET /api/v1/people`` in-process with
Bearer tokens on people_world's hand-computed project: the body is the service's report,
periods narrow it, a vendor's manager reads their own people only, annotators are refused,
and bad parameters are 422s naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import Bearer, api_client
from tests.services import people_world

from labelworks.services.people_analytics import people_report
from labelworks.services.users import add_user, issue_token
from labelworks.storage.engine import Database

URL = "/api/v1/projects/people-demo/people"
WHO = {
    "admin": "root@inhouse.example",
    "reviewer": "rita@inhouse.example",
    "acme_lead": "boss@acme.example",
    "ada": "ada@acme.example",
    "outsider": "out@example.com",
}


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[tuple[Bearer, Database, Any]]:
    world = people_world.build(db)
    add_user(db, WHO["outsider"], role="manager")
    tokens = {who: issue_token(db, email, "test") for who, email in WHO.items()}
    with api_client(db, tmp_path) as client:
        yield Bearer(client, tokens), db, world


def _steady(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what moves with the clock (when it was made, how long dee has
    held his task)."""
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


def test_the_body_is_the_services_report(env: tuple[Bearer, Database, Any]) -> None:
    """An admin's and a reviewer's report is the service's, UTC timestamp included."""
    bearer, db, _ = env
    for who in ("admin", "reviewer"):
        response = bearer.call(who, "GET", URL)
        assert response.status_code == 200, response.text
        body = response.json()
        assert _steady(body) == _steady(people_report(db, "people-demo").to_dict())
        assert body["computed_at"].endswith(("Z", "+00:00"))
    emails = [p["email"] for p in bearer.call("admin", "GET", URL).json()["people"]]
    assert emails == [
        "cy@globex.example",
        "dee@inhouse.example",
        "ada@acme.example",
        "ben@acme.example",
    ]


def test_periods_narrow_the_report(env: tuple[Bearer, Database, Any]) -> None:
    """A week and a date range keep their own work; a week without work is empty."""
    bearer, _, world = env
    week = bearer.call("admin", "GET", URL, params={"period": world.week_a}).json()
    assert (week["period"]["label"], week["team"]["annotations"], week["empty"]) == (
        world.week_a,
        18,
        False,
    )
    monday, sunday = people_world.week_dates(world.week_b)
    dates = bearer.call(
        "admin", "GET", URL, params={"since": monday.isoformat(), "until": sunday.isoformat()}
    ).json()
    assert dates["team"]["annotations"] == 42
    empty = bearer.call("admin", "GET", URL, params={"period": "2020-W01"}).json()
    assert (empty["empty"], empty["people"], empty["message"]) == (
        True,
        [],
        "Nobody worked on project 'people-demo' in 2020-W01: there is nothing to measure.",
    )


def test_vendor_walls_and_roles(env: tuple[Bearer, Database, Any]) -> None:
    """Acme's manager gets acme's people only, in the project and overall; an annotator
    is refused both; a manager of no such project is told it does not exist."""
    bearer, _, _ = env
    walled = bearer.call("acme_lead", "GET", URL).json()
    assert [p["email"] for p in walled["people"]] == ["ada@acme.example", "ben@acme.example"]
    assert (walled["vendor"], walled["team"]["annotations"]) == ("acme", 40)
    overall = bearer.call("acme_lead", "GET", "/api/v1/people").json()
    assert [p["email"] for p in overall["people"]] == ["ada@acme.example", "ben@acme.example"]
    assert bearer.call("ada", "GET", URL).status_code == 403
    assert bearer.call("ada", "GET", "/api/v1/people").status_code == 403
    assert bearer.call("outsider", "GET", URL).status_code == 404
    nobody = bearer.call("outsider", "GET", "/api/v1/people").json()
    assert (nobody["projects"], nobody["empty"], nobody["people"]) == ([], True, [])
    admin = bearer.call("admin", "GET", "/api/v1/people").json()
    assert (admin["projects"], admin["team"]["annotations"]) == (["people-demo"], 60)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-48"}, "period"),
        ({"period": "2026-W60"}, "period"),
        ({"period": "2026-W48", "since": "2026-11-01"}, "period"),
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "until"),
        ({"floor_seconds": "0"}, "floor_seconds"),
        ({"floor_seconds": "nan"}, "floor_seconds"),
        ({"period": "2026-W480000"}, "period"),
    ],
)
def test_bad_parameters_are_422s_naming_the_field(
    db: Database, tmp_path: Path, params: dict[str, str], field: str
) -> None:
    """Each bad query parameter is a 422 whose body names it, before the project is read."""
    add_user(db, WHO["admin"], role="admin")
    with api_client(db, tmp_path) as client:
        bearer = Bearer(client, {"admin": issue_token(db, WHO["admin"], "test")})
        response = bearer.call("admin", "GET", URL, params=params)
    assert response.status_code == 422, response.text
    assert field in response.text
