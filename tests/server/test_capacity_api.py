"""``/api/v1/projects/{project}/forecast`` and ``/api/v1/capacity`` over HTTP: the forecast
with what-if query parameters, the price from vendors' rate cards, vendor walls, refusals
by role, and bad parameters refused naming them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.capacity_world import World, build

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services.users import add_user, issue_token
from labelworks.services.vendors import set_terms
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database) -> World:
    found = build(db)
    add_user(db, "stranger@inhouse.example", role="manager")
    return found


@pytest.fixture
def http(db: Database, tmp_path: Path, world: World) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=db.url), db)
    with TestClient(app) as client:
        yield client


def _as(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(db, email, 'test')}"}


def test_the_forecast_of_a_steady_project(db: Database, http: TestClient, world: World) -> None:
    """Eight left at two a day: four days, on track with one person; the cost at the given
    rate within the budget."""
    got = http.get("/api/v1/projects/sentiment/forecast?rate=0.5",
                   headers=_as(db, "lead@inhouse.example"))  # fmt: skip
    assert got.status_code == 200, got.text
    out = got.json()
    day = (world.today + timedelta(days=4)).isoformat()
    assert out["workload"] == {
        "overlap": 2.0, "items": 6, "items_short": 4, "ordinary": 8.0, "dynamic": 0.0,
        "rework": 0.0, "gold": 0.0, "total": 8.0,
    }  # fmt: skip
    assert out["forecast"] == {"p10_days": 4.0, "p50_days": 4.0, "p90_days": 4.0,
                               "p10_date": day, "p50_date": day, "p90_date": day}  # fmt: skip
    assert out["deadline"] == {
        "day": (world.today + timedelta(days=10)).isoformat(), "confidence": 0.8,
        "days_left": 10, "done_by": day, "on_track": True, "passed": False,
        "headcount_needed": 1,
    }  # fmt: skip
    assert out["cost"] == {"rate": 0.5, "currency": "EUR", "source": "given", "remaining": 4.0,
                           "spent": 2.0, "projected": 6.0, "budget": 100.0,
                           "budget_currency": "EUR", "over_budget": False}  # fmt: skip
    assert (out["done"], out["vendor"], out["share"], out["notes"]) == (4, None, 1.0, [])


def test_query_knobs_ask_what_if(db: Database, http: TestClient, world: World) -> None:
    """Four people at overlap 3: 14 left at four a day, 3.5 days; a deadline in two days
    at 90% is late and needs 4 people."""
    lead = _as(db, "lead@inhouse.example")
    wider = http.get("/api/v1/projects/sentiment/forecast?headcount=4&overlap=3",
                     headers=lead).json()  # fmt: skip
    assert (wider["remaining"], wider["forecast"]["p50_days"]) == (14.0, 3.5)
    soon = (world.today + timedelta(days=2)).isoformat()
    late = http.get(f"/api/v1/projects/sentiment/forecast?deadline={soon}&confidence=0.9",
                    headers=lead).json()["deadline"]  # fmt: skip
    assert (late["on_track"], late["days_left"], late["headcount_needed"]) == (False, 2, 4)


def test_the_price_comes_from_the_vendors_rate_cards(
    db: Database, http: TestClient, world: World
) -> None:
    """acme bills 0.05 USD a choice annotation and beta has no terms: the price is acme's;
    the budget is in EUR, so it is not compared."""
    set_terms(db, "acme", {"currency": "USD", "per_annotation": {"choice": 0.05}})
    out = http.get("/api/v1/projects/sentiment/forecast",
                   headers=_as(db, "lead@inhouse.example")).json()  # fmt: skip
    assert out["cost"] == {
        "rate": 0.05, "currency": "USD", "source": "rate cards", "remaining": 0.4,
        "spent": 0.2, "projected": pytest.approx(0.6), "budget": 100.0,
        "budget_currency": "EUR", "over_budget": None,
    }  # fmt: skip
    assert out["notes"] == ["The budget is in EUR and the rate in USD: they are not compared."]


def test_a_vendor_manager_sees_their_share_without_the_budget(
    db: Database, http: TestClient, world: World
) -> None:
    """acme did half the work: 4 left at one a day, four days; no budget."""
    out = http.get("/api/v1/projects/sentiment/forecast?rate=1",
                   headers=_as(db, "boss@acme.example")).json()  # fmt: skip
    assert (out["vendor"], out["share"], out["remaining"], out["forecast"]["p50_days"]) == (
        "acme",
        0.5,
        4.0,
        4.0,
    )
    assert [d["annotations"] for d in out["days"]] == [1, 1]
    assert (out["cost"]["budget"], out["cost"]["currency"]) == (None, None)


def test_who_may_read_the_forecast_and_bad_parameters(db: Database, http: TestClient) -> None:
    """Annotators are refused, non-members told it does not exist, reviewers may read; a
    past or malformed deadline and values out of range or not numbers are 422s naming
    the parameter."""
    statuses = {
        who: http.get("/api/v1/projects/sentiment/forecast", headers=_as(db, who)).status_code
        for who in ("ada@acme.example", "stranger@inhouse.example", "rev@inhouse.example")
    }
    assert statuses == {
        "ada@acme.example": 403, "stranger@inhouse.example": 404, "rev@inhouse.example": 200
    }  # fmt: skip
    lead = _as(db, "lead@inhouse.example")
    for query, field in [
        ("deadline=2020-01-01", "deadline 2020-01-01 is not after today"),
        ("deadline=tomorrow", "deadline"),
        ("confidence=2", "confidence"),
        ("headcount=0", "headcount"),
        ("gold_rate=nan", "gold_rate"),
        ("rate=-1", "rate"),
    ]:
        got = http.get(f"/api/v1/projects/sentiment/forecast?{query}", headers=lead)
        assert (got.status_code, got.json()["code"]) == (422, "invalid_input"), query
        assert field in got.json()["message"], got.json()


def test_capacity_for_managers_within_their_wall(db: Database, http: TestClient) -> None:
    """The manager plans both people; acme's manager only acme's; a reviewer is refused."""
    lead = http.get("/api/v1/capacity", headers=_as(db, "lead@inhouse.example")).json()
    assert (lead["people"], lead["vendor"], [p["project"] for p in lead["projects"]]) == (
        2,
        None,
        ["sentiment"],
    )
    assert lead["projects"][0]["on_track"] is True
    acme = http.get("/api/v1/capacity", headers=_as(db, "boss@acme.example")).json()
    assert (acme["people"], acme["vendor"], acme["projects"][0]["remaining"]) == (1, "acme", 4.0)
    refused = http.get("/api/v1/capacity", headers=_as(db, "rev@inhouse.example"))
    assert (refused.status_code, refused.json()["message"]) == (
        403,
        "capacity planning across projects is for managers and admins",
    )
