"""The Quality page's Qualification card per role: the rule in words and each member's
standing (blocked first), "Let them try again" for managers only, vendor walls; the retry
form needs the session's CSRF token and says what happened; projects without a test say
how to set one; a training project lists its trainees' progress and score; on SQLite and
PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.qualification_world import PEOPLE, SPEC, WHY, QualWorld, build
from tests.server.qualification_world import qualification_world as world_of
from tests.server.test_quality_pages import shown, table
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services.auth import set_password
from labelworks.services.qualification_report import qualification_report
from labelworks.storage.engine import Database

PAGE = "/projects/qual/quality"
RULE = (
    "Before live work, each annotator answers 2 gold questions they have not seen and passes "
    "with at least 2 right (100%); a failed attempt may be retried once, on fresh questions, "
    "then they wait for a manager to let them try again."
)
FAY = ["Fay Fail fay@globex.example globex", "Blocked",
       "2 failed attempts: blocked until a manager lets them try again", "2"]  # fmt: skip
MO = ["Mo Midway mo@example.com", "Taking the test", "attempt 1 of 2: answered 1 of 2, 1 right",
      "5"]  # fmt: skip
NOT_STARTED = "Not started"
BOSS = ["Bo Boss boss@example.com manager", NOT_STARTED, "attempt 1 of 2: not started", "6"]
LEAD = ["lead@acme.example acme manager", NOT_STARTED, "attempt 1 of 2: not started", "6"]
NEO = ["Neo New neo@example.com", NOT_STARTED, "attempt 1 of 2: not started", "6"]
REV = ["rev@example.com reviewer", NOT_STARTED, "attempt 1 of 2: not started", "6"]
PAT = ["Pat Pass pat@acme.example acme", "Passed", "passed on 2026-01-01 12:00 UTC", "4"]


@dataclass
class Site:
    world: QualWorld
    app: object
    client: TestClient

    def get(self, who: str, url: str = PAGE) -> str:
        headers = {"Authorization": f"Bearer {self.world.tokens[who]}"}
        response = self.client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        return response.text

    def session(self, who: str) -> TestClient:
        return log_in(TestClient(self.app), PEOPLE[who][0])  # type: ignore[arg-type]


def _csrf(client: TestClient, url: str = "/login") -> str:
    return csrf_of(client.get(url).text)


@contextmanager
def _served(db: Database, tmp_path: Path, world: QualWorld) -> Iterator[Site]:
    for email, *_ in PEOPLE.values():
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Site(world, app, client)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: every test logs people in."""
    fast_passwords(monkeypatch)


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    """The qualification world (Fay blocked, Mo mid-test, Pat passed) behind the app."""
    with _served(db, tmp_path, world_of(db)) as served:
        yield served


def _rule(page: str) -> str:
    found = re.search(r'data-testid="qualification-rule">(.*?)</(p|div)>', page, re.S)
    assert found is not None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def test_manager_sees_the_rule_everyone_and_the_retry_button(site: Site) -> None:
    """A manager reads the rule in words and every member's standing, blocked first, with
    one "Let them try again" form (for the blocked member)."""
    page = site.get("manager")
    assert (_rule(page), table(page, "qualification-members")) == (
        RULE,
        [[*FAY[:1], f"{FAY[1]} Let them try again", *FAY[2:]], MO, BOSS, LEAD, NEO, REV, PAT],
    )
    assert page.count('action="/projects/qual/quality/qualification-retry"') == 1


def test_reviewer_and_vendor_manager_views(site: Site) -> None:
    """A reviewer sees the whole table without forms; acme's manager sees acme's people
    only, and no form (their one blocked candidate is globex's); neither gets an expert
    explanation."""
    reviewer = site.get("reviewer")
    acme = site.get("acme_lead")
    assert (
        table(reviewer, "qualification-members"),
        "qualification-retry" in reviewer,
        WHY in reviewer + acme,
    ) == ([FAY, MO, BOSS, LEAD, NEO, REV, PAT], False, False)
    assert (table(acme, "qualification-members"), "Fay" in acme, "globex" in acme) == (
        [LEAD, PAT],
        False,
        False,
    )


def test_the_retry_form(site: Site, db: Database) -> None:
    """Without the session's token the post is refused and changes nothing; with it, the
    page comes back with a notice and Fay on attempt 1; a second try finds nothing to do
    for someone who passed, shown on the page with a 404."""
    client = site.session("manager")
    url = f"{PAGE}/qualification-retry"
    forged = client.post(url, data={"email": "fay@globex.example", "csrf_token": "wrong"})
    still = qualification_report(db, "qual").members[0].state.value
    csrf = _csrf(client, PAGE)
    done = client.post(url, data={"email": "fay@globex.example", "csrf_token": csrf})
    passed = client.post(url, data={"email": "pat@acme.example", "csrf_token": csrf})
    assert (forged.status_code, still) == (403, "blocked")
    assert (done.status_code, shown(done.text, "quality-notice")) == (
        200,
        "fay@globex.example may take the qualification test again: a fresh attempt starts "
        "with their next task.",
    )
    assert table(done.text, "qualification-members")[:3] == [
        MO,
        BOSS,
        ["Fay Fail fay@globex.example globex", NOT_STARTED, "attempt 1 of 2: not started", "2"],
    ]
    assert (passed.status_code, shown(passed.text, "quality-notice")) == (
        404,
        "user 'pat@acme.example' has already qualified in project 'qual'",
    )


def test_annotators_cannot_see_or_post(site: Site) -> None:
    """The page and the form are refused to an annotator (403), and Fay stays blocked."""
    headers = {"Authorization": f"Bearer {site.world.tokens['mo']}"}
    page = site.client.get(PAGE, headers=headers)
    client = site.session("mo")
    posted = client.post(
        f"{PAGE}/qualification-retry",
        data={"email": "fay@globex.example", "csrf_token": _csrf(client, "/settings")},
    )
    states = [m.state.value for m in qualification_report(site.world.db, "qual").members]
    assert (page.status_code, posted.status_code, states[0]) == (403, 403, "blocked")


def test_a_project_without_a_test_says_how_to_set_one(db: Database, tmp_path: Path) -> None:
    """With no quality.qualification the card says Off and names the spec key."""
    world = build(db, {**SPEC, "quality": {}})
    with _served(db, tmp_path, world) as site:
        page = site.get("manager")
    assert (_rule(page), table(page, "qualification-members")) == (
        "Off No qualification test: annotators start on live work (set quality.qualification "
        "in the spec to require one): quality.qualification: {items: 5, pass: 0.8, retries: "
        "1} tests each annotator on gold questions they have not seen before their first live "
        "task; see “Qualification and training” in docs/quality.md .",
        [],
    )


def test_a_training_project_lists_its_trainees(db: Database, tmp_path: Path) -> None:
    """Each trainee's progress through the questions and score, per field too."""
    world = build(db, {**SPEC, "quality": {"training": True}})
    world.answer("pat", ["pos", "neg", "pos"])
    world.answer("mo", ["neg"])
    with _served(db, tmp_path, world) as site:
        page = site.get("manager")
    assert (_rule(page), table(page, "trainees")[:4]) == (
        "Training project: every task is a gold question, and each answer is followed by the "
        "expert's answer and explanation.",
        [
            ["Bo Boss boss@example.com manager", "0 of 6 questions answered", "–", ""],
            ["Fay Fail fay@globex.example globex", "0 of 6 questions answered", "–", ""],
            ["lead@acme.example acme manager", "0 of 6 questions answered", "–", ""],
            ["Mo Midway mo@example.com", "1 of 6 questions answered", "0% 0 of 1 right",
             "sentiment 0% 0 of 1"],
        ],
    )  # fmt: skip
    assert table(page, "trainees")[-2] == [
        "Pat Pass pat@acme.example acme",
        "3 of 6 questions answered",
        "67% 2 of 3 right",
        "sentiment 67% 2 of 3",
    ]
