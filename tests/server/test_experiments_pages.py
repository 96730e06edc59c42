"""The Experiments pages per role: a manager sees the list, the start form and the stop
form; a reviewer reads both pages without forms; a vendor's manager is refused. Starting
and stopping through CSRF forms; a refused form shows what went wrong and changes nothing;
the experiment's page shows the split, each arm's figures, three charts with their
numbers, the power and the verdict; names are escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services import experiment_world

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services import experiments
from labelworks.services.auth import set_password
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

PEOPLE = {
    "manager": ("boss@example.com", "manager", None),
    "reviewer": ("rev@example.com", "reviewer", None),
    "acme_lead": ("lead@acme.example", "manager", "acme"),
}
LIST = "/projects/exp/experiments"


@dataclass
class Site:
    app: Any
    db: Database

    def session(self, who: str) -> tuple[TestClient, str]:
        """A browser-like client logged in through the login form, and its CSRF token."""
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'exp' under experiment 'guide' (tests/services/experiment_world.py), with a
    manager, a reviewer and an acme manager who log in."""
    fast_passwords(monkeypatch)
    experiment_world.build(db)
    for email, role, vendor in PEOPLE.values():
        add_user(db, email, role=role, vendor=vendor, projects=["exp"])
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app):
        yield Site(app, db)


def _charts(page: str) -> dict[str, Any]:
    found = re.findall(
        r'<script type="application/json" id="chart-([a-z]+)">(.*?)</script>', page, re.S
    )
    return {name: json.loads(spec) for name, spec in found}


def test_the_experiment_page_tells_the_story(site: Site) -> None:
    """A reviewer's view of 'guide': the verdict naming B first, the split of its 8
    annotators, three charts (shares, seconds, differences) with their numbers, the
    power table; no stop form for a reviewer."""
    client, _ = site.session("reviewer")
    page = client.get(f"{LIST}/guide")
    text = page.text
    charts = _charts(text)
    verdict = re.search(r'data-testid="verdict">.*?<p class="lead">(.*?)</p>', text, re.S)
    assert verdict is not None
    assert (page.status_code, verdict.group(1).startswith("B is "), sorted(charts)) == (
        200,
        True,
        ["differences", "seconds", "shares"],
    )
    shares = charts["shares"]["data"]["values"]
    assert {(r["figure"], r["arm"]) for r in shares} == {
        ("gold accuracy", "A"),
        ("gold accuracy", "B"),
        ("agreement with final label", "A"),
        ("agreement with final label", "B"),
    }
    assert (
        text.count('data-testid="split-arm"'),
        'data-testid="power"' in text,
        "The numbers" in text,
        'data-testid="stop-form"' in text,
    ) == (2, True, True, False)


def test_a_manager_starts_and_stops_through_the_forms(site: Site) -> None:
    """The manager's list has the form; a refused start (one arm's name twice) answers 422
    with the reason and the form as typed; a good one redirects to the new experiment;
    stopping it through its form says so."""
    client, csrf = site.session("manager")
    listed = client.get(LIST)
    form = {"csrf_token": csrf, "name": "<i>ui", "unit": "item", "arm1": "old", "arm2": "old"}
    refused = client.post(LIST, data=form)
    made = client.post(LIST, data={**form, "arm2": "new", "arm2_description": "new form"})
    shown = client.get(made.headers["location"])
    stopped = client.post(f"{made.headers['location']}/stop", data={"csrf_token": csrf})
    after = client.get(stopped.headers["location"])
    assert ('data-testid="experiment-form"' in listed.text, refused.status_code) == (True, 422)
    assert "the two arms need different names" in refused.text
    assert 'value="&lt;i&gt;ui"' in refused.text
    assert (made.status_code, made.headers["location"]) == (
        303,
        "/projects/exp/experiments/%3Ci%3Eui",
    )
    assert ("&lt;i&gt;ui" in shown.text, "<i>ui" in shown.text) == (True, False)
    assert (stopped.status_code, "stopped: its window is closed" in after.text) == (303, True)
    assert [e.status for e in experiments.project_experiments(site.db, "exp")] == [
        "running",
        "stopped",
    ]


def test_vendors_staff_and_forged_forms_are_refused(site: Site) -> None:
    """A vendor's manager gets 403 on both pages; a form without its CSRF token changes
    nothing."""
    vendor, _ = site.session("acme_lead")
    manager, _ = site.session("manager")
    forged = manager.post(f"{LIST}/guide/stop", data={"csrf_token": "nope"})
    assert (
        vendor.get(LIST).status_code,
        vendor.get(f"{LIST}/guide").status_code,
        forged.status_code,
        experiments.project_experiments(site.db, "exp")[0].status,
    ) == (403, 403, 403, "running")
