"""The capacity pages over HTTP: the Capacity tab's cards and form, what-if knobs kept in
the address (a slider left where it rests is dropped), htmx answered with a redirect to
the page, bad knobs said beside the form, and who may open each page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.capacity_world import World, build

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services.users import issue_token
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database) -> World:
    return build(db)


@pytest.fixture
def http(db: Database, tmp_path: Path, world: World) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=db.url), db)
    with TestClient(app) as client:
        yield client


def _as(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(db, email, 'test')}"}


def test_the_capacity_tab_and_its_what_if_form(
    db: Database, http: TestClient, world: World
) -> None:
    """The cards say 8 left, done in four days, on track with one person; four people
    halve the days; a slider at rest is dropped from htmx's redirect; a bad knob is a 422
    saying which."""
    lead = _as(db, "lead@inhouse.example")
    shown = http.get("/projects/sentiment/capacity", headers=lead)
    day = (world.today + timedelta(days=4)).strftime("%a %d %b %Y")
    assert shown.status_code == 200
    for text in (
        'data-testid="card-remaining"', f"<b>{day}</b>", "<b>On track</b>",
        'data-testid="chart-burn-up"', 'data-testid="chart-throughput"',
        'name="headcount" min="1" max="10.0" step="1" value="2"', 'hx-trigger="change"',
        'aria-current="page" data-testid="tab-capacity"',
    ):  # fmt: skip
        assert text in shown.text, text
    assert 'data-testid="what-if-on"' not in shown.text
    faster = http.get("/projects/sentiment/capacity?headcount=4", headers=lead).text
    assert (world.today + timedelta(days=2)).strftime("%a %d %b %Y") in faster
    assert 'data-testid="what-if-on"' in faster
    moved = http.get(
        "/projects/sentiment/capacity?overlap=2.0&gold_rate=0&review_rate=0&headcount=4",
        headers={**lead, "HX-Request": "true"},
    )
    assert moved.headers["HX-Redirect"] == "/projects/sentiment/capacity?headcount=4"
    bad = http.get("/projects/sentiment/capacity?confidence=high", headers=lead)
    assert bad.status_code == 422
    assert "confidence must be a number, not &#39;high&#39;" in bad.text


def test_who_may_open_the_capacity_pages(db: Database, http: TestClient) -> None:
    """Reviewers read the tab, annotators are refused; the cross-project page is for
    managers (acme's sees acme's share) and refuses reviewers."""
    codes = {
        (who, path): http.get(path, headers=_as(db, who)).status_code
        for who in ("rev@inhouse.example", "ada@acme.example", "boss@acme.example")
        for path in ("/projects/sentiment/capacity", "/capacity")
    }
    assert codes == {
        ("rev@inhouse.example", "/projects/sentiment/capacity"): 200,
        ("rev@inhouse.example", "/capacity"): 403,
        ("ada@acme.example", "/projects/sentiment/capacity"): 403,
        ("ada@acme.example", "/capacity"): 403,
        ("boss@acme.example", "/projects/sentiment/capacity"): 200,
        ("boss@acme.example", "/capacity"): 200,
    }
    walled = http.get("/projects/sentiment/capacity", headers=_as(db, "boss@acme.example")).text
    assert "acme's share: 50% of the annotations so far" in walled
