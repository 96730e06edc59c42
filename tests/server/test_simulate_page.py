"""The Simulator page: managers and admins (a vendor's manager too: nothing of any project
is involved) get the form with the example spec and run a seeded simulation whose report
matches the service's; reviewers, annotators and anonymous visitors are refused; spec
errors come back with their lines, bad settings with their messages, a second run at once
with a conflict; the form needs the session's CSRF token."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.test_quality_pages import shown
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in

from labelworks.config import Settings
from labelworks.domain.spec import parse_spec
from labelworks.server.app import create_app
from labelworks.server.web.simulate import EXAMPLE_SPEC
from labelworks.services import simulation_runs
from labelworks.services.auth import set_password
from labelworks.services.simulation import CrowdSettings, simulate
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

PEOPLE = {
    "admin": ("root@example.com", "admin", None),
    "manager": ("boss@example.com", "manager", None),
    "acme_manager": ("acme-boss@example.com", "manager", "acme"),
    "reviewer": ("rev@example.com", "reviewer", None),
    "annotator": ("ann@example.com", "annotator", None),
}
FORM = {
    "items": "60",
    "annotators": "5",
    "spammers": "0.2",
    "skill_low": "0.6",
    "skill_high": "0.9",
    "classes": "3",
    "seed": "7",
}
BAD_SPEC = """\
name: broken
fields:
  - name: label
    kind: choice
    labels: [a, b]
quality:
  gold_rate: 2
  dynamic_overlap: {min: 3, max: 2, confidence: 0.9}
"""


@dataclass
class Site:
    app: Any
    client: TestClient
    tokens: dict[str, str]

    def get(self, who: str, url: str) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}
        return self.client.get(url, headers=headers, follow_redirects=False)

    def session(self, who: str) -> tuple[TestClient, str]:
        """A browser-like client logged in through the login form, and its CSRF token."""
        client = log_in(TestClient(self.app, raise_server_exceptions=False), PEOPLE[who][0])
        return client, _csrf(client, "/settings")


def _csrf(client: TestClient, url: str) -> str:
    return csrf_of(client.get(url).text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """One person of each kind; no project is needed."""
    fast_passwords(monkeypatch)
    tokens = {}
    for key, (email, role, vendor) in PEOPLE.items():
        made = add_user(db, email, role=role, vendor=vendor, with_token=True)
        assert made.token is not None
        tokens[key] = made.token
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Site(app, client, tokens)


def _textarea(page: str) -> str | None:
    found = re.search(r'<textarea name="spec"[^>]*>(.*?)</textarea>', page, re.S)
    return None if found is None else html.unescape(found.group(1))


def _items(page: str, testid: str) -> list[str]:
    found = re.search(rf'data-testid="{testid}">(.*?)</div>', page, re.S)
    if found is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", i)).split()) for i in items]


def test_who_gets_the_page(site: Site) -> None:
    """Managers (a vendor's too) and admins get the form with the example spec and the
    settings' defaults; reviewers and annotators 403; anonymous visitors go to log in; the
    nav links to it for the first only."""
    pages = {who: site.get(who, "/simulate") for who in [*PEOPLE, "anonymous"]}
    assert {who: r.status_code for who, r in pages.items()} == {
        "admin": 200,
        "manager": 200,
        "acme_manager": 200,
        "reviewer": 403,
        "annotator": 403,
        "anonymous": 303,
    }
    manager = pages["manager"].text
    assert (
        _textarea(manager),
        re.findall(
            r'name="(?!csrf)(\w+)" value="([^"]*)"', manager.split('data-testid="sim-form"')[1]
        ),
        manager.count('data-testid="sim-report"'),
    ) == (
        EXAMPLE_SPEC,
        [
            ("items", "1000"),
            ("annotators", "30"),
            ("spammers", "0.1"),
            ("skill_low", "0.6"),
            ("skill_high", "0.95"),
            ("classes", ""),
            ("seed", "0"),
        ],
        0,
    )
    navs = {who: 'href="/simulate"' in site.get(who, "/settings").text for who in PEOPLE}
    assert navs == {
        "admin": True,
        "manager": True,
        "acme_manager": True,
        "reviewer": False,
        "annotator": False,
    }


def test_a_run_reports_what_the_service_reports(site: Site) -> None:
    """A seeded run's page shows the service's figures for the same spec and crowd: both
    bar charts' values, the paused, adjudicated, leaked and lost counts, and the run."""
    client, csrf = site.session("manager")
    page = client.post("/simulate", data={**FORM, "spec": EXAMPLE_SPEC, "csrf_token": csrf})
    settings = CrowdSettings(
        items=60, annotators=5, spammers=0.2, skill=(0.6, 0.9), classes=3, seed=7
    )
    want = simulate(parse_spec(EXAMPLE_SPEC), settings)
    base = want["baseline"]
    labels = re.findall(r'<svg class="bars"[^>]*aria-label="([^"]*)"', page.text)
    figures = re.search(r'data-testid="sim-figures">(.*?)</dl>', page.text, re.S)
    assert figures is not None
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", figures.group(1))).split())
    assert (page.status_code, [html.unescape(label) for label in labels]) == (
        200,
        [
            f"Accuracy: these settings {want['accuracy']:.1%}, fixed overlap 3 with majority "
            f"vote {base['accuracy']:.1%}",
            f"Annotations per item: these settings {want['annotations_per_item']:.2f}, fixed "
            f"overlap 3 with majority vote {base['annotations_per_item']:.2f}",
        ],
    )
    # This crowd's one spammer is not paused in 60 items, and no honest person is.
    assert (want["spammers_paused"], want["spammers"], want["honest_paused"]) == (0, 1, 0)
    assert re.sub(r"Time .*", "Time", words) == (
        "Spammers paused 0 of 1 — spammers not paused kept working to the end; more gold "
        "questions or a higher bar pause them sooner Honest people paused 0 Sent to "
        f"adjudication {want['adjudication']} items ({100 * want['adjudication'] / 60:.1f}%) "
        "an expert decided; counted in the annotations per item Gold leaks 0 tasks that "
        "carried anything of a gold answer Lost annotations 0 (baseline 0) submits not found "
        "afterwards Time"
    )
    assert (
        shown(page.text, "sim-spec"),
        "60 items, 50 gold, 5 annotators (1 spammer), 3 classes, seed 7" in page.text,
    ) == (
        EXAMPLE_SPEC,
        True,
    )


def test_spec_errors_come_back_with_their_lines(site: Site) -> None:
    """A spec with two problems is shown again, marked invalid, with each problem's line,
    field, message and text; nothing runs."""
    client, csrf = site.session("admin")
    page = client.post("/simulate", data={**FORM, "spec": BAD_SPEC, "csrf_token": csrf})
    assert (page.status_code, _items(page.text, "spec-errors"), _textarea(page.text)) == (
        422,
        [
            "Line 7 quality.gold_rate : must be at most 1, got 2 gold_rate: 2",
            "Line 8 quality.dynamic_overlap.max : max (2) must be at least min (3) "
            "dynamic_overlap: {min: 3, max: 2, confidence: 0.9}",
        ],
        BAD_SPEC,
    )
    assert (
        'aria-invalid="true" data-testid="sim-spec"' in page.text,
        "sim-report" in page.text,
    ) == (
        True,
        False,
    )


def test_bad_settings_come_back_with_their_messages(site: Site) -> None:
    """Settings out of the page's bounds are each named, the form keeps what was typed,
    and nothing runs."""
    client, csrf = site.session("manager")
    form = {
        **FORM,
        "items": "6000",
        "annotators": "0",
        "spammers": "lots",
        "skill_low": "0.9",
        "skill_high": "0.6",
        "classes": "1",
        "seed": "-1",
        "spec": EXAMPLE_SPEC,
        "csrf_token": csrf,
    }
    page = client.post("/simulate", data=form)
    assert (page.status_code, _items(page.text, "sim-errors")) == (
        422,
        [
            "Items must be from 1 to 5,000, not 6,000.",
            "Annotators must be from 1 to 200, not 0.",
            "Spammers (a share) must be a number from 0 to 0.95.",
            "Seed must be from 0 to 2,147,483,647, not -1.",
            "Classes must be from 2 to 100, not 1.",
            "Highest skill must be at least the lowest skill.",
        ],
    )
    assert re.findall(r'name="items" value="([^"]*)"', page.text) == ["6000"]


def test_one_run_at_a_time_and_the_csrf_token(site: Site) -> None:
    """While another simulation runs (the API's or a page's) a run is refused with 409 and
    says so; without the session's token, or as a reviewer, a post is 403."""
    client, csrf = site.session("manager")
    data = {**FORM, "spec": EXAMPLE_SPEC}
    assert simulation_runs._running.acquire(blocking=False)
    try:
        busy = client.post("/simulate", data={**data, "csrf_token": csrf})
    finally:
        simulation_runs._running.release()
    reviewer, reviewer_csrf = site.session("reviewer")
    statuses = [
        client.post("/simulate", data={**data, "csrf_token": ""}).status_code,
        client.post("/simulate", data={**data, "csrf_token": "wrong"}).status_code,
        reviewer.post("/simulate", data={**data, "csrf_token": reviewer_csrf}).status_code,
    ]
    assert (busy.status_code, shown(busy.text, "sim-failure"), statuses) == (
        409,
        "another simulation is running on this server; try again when it has finished",
        [403, 403, 403],
    )


QUALIFIED_SPEC = """\
name: crowd
fields:
  - name: label
    kind: choice
    labels: [a, b, c]
quality:
  consensus: majority
  qualification: {items: 4, pass: 0.75}
"""


def test_a_qualification_test_reports_whom_it_blocked(site: Site) -> None:
    """With a qualification test in the spec, the page says how many spammers and honest
    people it blocked, as the service counts them."""
    client, csrf = site.session("manager")
    page = client.post("/simulate", data={**FORM, "spec": QUALIFIED_SPEC, "csrf_token": csrf})
    settings = CrowdSettings(
        items=60, annotators=5, spammers=0.2, skill=(0.6, 0.9), classes=3, seed=7
    )
    want = simulate(parse_spec(QUALIFIED_SPEC), settings)
    people = "person" if want["honest_blocked"] == 1 else "people"
    line = (
        f"{want['spammers_blocked']} of {want['spammers']} spammer, "
        f"{want['honest_blocked']} honest {people}"
    )
    found = re.search(r'data-testid="blocked">(.*?)</dd>', page.text, re.S)
    words = "" if found is None else " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())
    assert (page.status_code, words.replace(" ,", ",").startswith(line)) == (200, True)
