"""The SDK's capacity methods against the real app, in-process: the forecast with what-if
knobs as typed models, the allocation, and refusals as the domain's error classes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.capacity_world import build

from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import issue_token
from labelworks.storage.engine import Database


@pytest.fixture
def http(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=db.url), db)
    with TestClient(app) as client:
        yield client


def test_forecast_capacity_and_refusals(db: Database, http: TestClient) -> None:
    """Four days at two a day; twice the people, two days; the deadline passed as a date;
    the allocation; an annotator and a past deadline refused."""
    world = build(db)
    lead = Client.from_httpx(http, issue_token(db, "lead@inhouse.example", "sdk"))
    found = lead.forecast("sentiment", rate=0.5)
    assert (found.remaining, found.forecast and found.forecast.p50_days) == (8.0, 4.0)
    assert (found.cost and found.cost.projected, found.deadline and found.deadline.on_track) == (
        6.0, True
    )  # fmt: skip
    faster = lead.forecast("sentiment", headcount=4, deadline=world.today + timedelta(days=3))
    assert faster.forecast is not None and faster.deadline is not None
    assert (faster.forecast.p50_date, faster.deadline.days_left) == (
        world.today + timedelta(days=2), 3
    )  # fmt: skip
    plan = lead.capacity()
    assert ([p.project for p in plan.projects], plan.people, plan.moves) == (["sentiment"], 2, [])
    ada = Client.from_httpx(http, issue_token(db, "ada@acme.example", "sdk"))
    with pytest.raises(PermissionDenied):
        ada.forecast("sentiment")
    with pytest.raises(PermissionDenied):
        ada.capacity()
    with pytest.raises(InvalidInput) as caught:
        lead.forecast("sentiment", deadline="2020-01-01")
    assert "deadline 2020-01-01 is not after today" in str(caught.value)
