"""A project's Members page (Settings tab) per role, and its forms as a logged-in browser
posts them: adding and creating people (with a password typed or generated and shown
once), taking them off, (de)activating them, resetting a password, and, for admins,
issuing and revoking their API tokens; refused forms say why with the error's status and
change nothing; the vendor wall holds; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.server.test_escalation_pages import texts
from tests.server.worlds import (
    PASSWORD,
    REVIEWS,
    add_people,
    csrf_of,
    fast_passwords,
    log_in,
    staff,
    two_projects,
)

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services import assignment, members, users
from labelworks.services.auth import set_password
from labelworks.storage.engine import Database

PEOPLE = staff("reviews")
PAGE = "/projects/reviews/settings/members"


@dataclass
class Site:
    app: FastAPI
    db: Database
    tokens: dict[str, str]

    def session(self, who: str) -> tuple[TestClient, str]:
        """A client logged in through the login form as ``who`` (a key of PEOPLE or an
        email), and its CSRF token."""
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0] if who in PEOPLE else who)
        return client, csrf_of(client.get("/settings").text)

    def logs_in(self, email: str, password: str) -> bool:
        client = TestClient(self.app, raise_server_exceptions=False)
        form = {
            "email": email,
            "password": password,
            "csrf_token": csrf_of(client.get("/login").text),
        }
        return client.post("/login", data=form, follow_redirects=False).status_code == 303

    def bearer(self, token: str, url: str) -> int:
        client = TestClient(self.app, raise_server_exceptions=False)
        return client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'reviews' with three items and its staff (an admin, an in-house and an acme
    manager, a reviewer, an acme and a globex annotator), a manager of 'other' only; the
    acme annotator labelled one item."""
    fast_passwords(monkeypatch)
    two_projects(db, REVIEWS, [{"text": f"review {i}"} for i in range(3)])
    tokens, ids = add_people(db, PEOPLE)
    for email, *_ in PEOPLE.values():
        set_password(db, email, PASSWORD)
    task = assignment.next_task_for(db, "reviews", ids["ann1"])
    assert task is not None
    assignment.submit_annotation(
        db, task.assignment_id, ids["ann1"], value={"sentiment": "pos"}, seconds=1.0,
        idempotency_key="k",
    )  # fmt: skip
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False):
        yield Site(app, db, tokens)


def _emails(page: str) -> list[str]:
    return re.findall(r'data-testid="member" data-email="([^"]+)"', page)


def _notice(page: str) -> str:
    found = texts(page, "members-notice")
    return found[0] if found else ""


def _secret(page: str) -> str | None:
    found = texts(page, "secret-value")
    return found[0] if found else None


def test_the_page_per_role(site: Site) -> None:
    """Managers of the project and admins see its members (behind a vendor wall: their
    vendor's only); admins also see everyone's tokens; reviewers and annotators are
    refused, a manager of another project is told it does not exist."""
    seen = {}
    for who in PEOPLE:
        client, _ = site.session(who)
        answer = client.get(PAGE)
        seen[who] = (
            answer.status_code,
            _emails(answer.text),
            answer.text.count('data-testid="member-tokens"'),
        )
    everyone = sorted(e for e, _, _, projects in PEOPLE.values() if "reviews" in projects)
    assert seen == {
        "admin": (200, everyone, len(everyone)),
        "manager": (200, everyone, 0),
        "acme_lead": (200, ["ann1@acme.example", "lead@acme.example"], 0),
        "reviewer": (403, [], 0),
        "ann1": (403, [], 0),
        "ann2": (403, [], 0),
        "outsider": (404, [], 0),
    }
    client, _ = site.session("manager")
    page = client.get(PAGE).text
    row = page[page.index('data-email="ann1@acme.example"') :]
    row = row[: row.index("</tr>")]
    assert "acme" in row and "UTC" in row  # vendor, and when they last annotated
    assert 'data-testid="settings-tab-members"' in page and 'aria-current="page"' in page


def test_create_add_reset_deactivate_and_remove(site: Site) -> None:
    """A manager creates a person with a generated password (shown once, and it works),
    another with a typed one (not shown), adds an existing person, resets a password
    (their session ends, the new one works), deactivates and reactivates someone and takes
    a person off the project; each answer says what happened."""
    client, csrf = site.session("manager")
    ann2, _ = site.session("ann2")
    steps = [
        ("create", {"email": "New@Example.com", "name": "New", "role": "annotator",
                    "vendor": "acme", "team": "night shift"}),
        ("create", {"email": "typed@example.com", "role": "reviewer", "password": "typed pass"}),
        ("password", {"email": "ann2@globex.example"}),
        ("password", {"email": "ann1@acme.example", "password": "chosen one"}),
        ("active", {"email": "ann1@acme.example", "active": "false"}),
        ("active", {"email": "ann1@acme.example", "active": "true"}),
        ("remove", {"email": "typed@example.com"}),
        ("add", {"email": "typed@example.com"}),
    ]  # fmt: skip
    seen, secrets = [], []
    for action, form in steps:
        answer = client.post(f"{PAGE}/{action}", data={**form, "csrf_token": csrf})
        seen.append((answer.status_code, _notice(answer.text)))
        secrets.append(_secret(answer.text))
    assert seen == [
        (200, "Created new@example.com (annotator) as a member of reviews."),
        (200, "Created typed@example.com (reviewer) as a member of reviews."),
        (200, "New password set for ann2@globex.example; every session of theirs has ended."),
        (200, "New password set for ann1@acme.example; every session of theirs has ended."),
        (200, "ann1@acme.example is deactivated: every session and token of theirs has ended."),
        (200, "ann1@acme.example can log in again."),
        (200, "Took typed@example.com off reviews; their annotations stay."),
        (200, "Added typed@example.com (reviewer) to reviews."),
    ]
    created, _, reset, *rest = secrets
    assert created is not None and reset is not None and rest == [None] * 5
    assert len(created) == 16 and created != reset
    new = users.user_by_email(site.db, "new@example.com")
    assert (new.role, new.vendor, new.team, new.name) == ("annotator", "acme", "night shift", "New")
    assert [m.user.email for m in members.project_members(site.db, "reviews")].count(
        "typed@example.com"
    ) == 1
    assert ann2.get("/settings").status_code == 303  # the reset ended their session
    assert [
        site.logs_in("new@example.com", created),
        site.logs_in("typed@example.com", "typed pass"),
        site.logs_in("ann2@globex.example", reset),
        site.logs_in("ann2@globex.example", PASSWORD),
        site.logs_in("ann1@acme.example", "chosen one"),
    ] == [True, True, True, False, True]
    page = client.get(PAGE).text
    assert _secret(page) is None  # shown once: not on the next visit


def test_refused_forms_say_why_and_change_nothing(site: Site) -> None:
    """Forms the rules refuse come back with the reason and the error's status; nobody was
    created, added, taken off, deactivated or given a password or token; a form without
    the session's CSRF token is refused."""
    client, csrf = site.session("manager")
    acme, acme_csrf = site.session("acme_lead")
    admin, admin_csrf = site.session("admin")
    before = [(m.user.email, m.user.active) for m in members.project_members(site.db, "reviews")]
    tokens = members.tokens_of_user(site.db, "ann1@acme.example")
    steps = [
        (client, csrf, "create", {"email": "rev@example.com", "role": "annotator"}),
        (client, csrf, "create", {"email": "not an email", "role": "annotator"}),
        (client, csrf, "create", {"email": "short@example.com", "password": "short"}),
        (client, csrf, "create", {"email": "boss2@example.com", "role": "manager"}),
        (client, csrf, "add", {"email": "out@example.com"}),
        (client, csrf, "add", {"email": "nobody@example.com"}),
        (client, csrf, "password", {"email": "root@example.com"}),
        (client, csrf, "password", {"email": "ann1@acme.example", "password": "short"}),
        (client, csrf, "password", {"email": "out@example.com"}),
        (admin, admin_csrf, "password", {"email": "root@example.com"}),
        (acme, acme_csrf, "password", {"email": "ann2@globex.example"}),
        (acme, acme_csrf, "active", {"email": "ann2@globex.example", "active": "false"}),
        (acme, acme_csrf, "remove", {"email": "ann2@globex.example"}),
        (acme, acme_csrf, "create", {"email": "g@example.com", "vendor": "globex"}),
        (client, csrf, "remove", {"email": "out@example.com"}),
        (client, csrf, "tokens", {"email": "ann1@acme.example", "label": "x"}),
        (client, csrf, "tokens/1/revoke", {"email": "root@example.com"}),
    ]
    seen = []
    for who, token, action, form in steps:
        answer = who.post(f"{PAGE}/{action}", data={**form, "csrf_token": token})
        seen.append((answer.status_code, _notice(answer.text), _secret(answer.text)))
    forged = client.post(f"{PAGE}/password", data={"email": "ann1@acme.example"})
    assert seen == [
        (409, "user rev@example.com already exists (add them to a project with POST "
              "/api/v1/projects/{project}/members)", None),
        (422, "field 'email': 'not an email' is not an email address (name@example.org: "
              "letters, digits and _ ' + - . before the @, a domain with a dot after it)", None),
        (422, "a password needs at least 8 characters", None),
        (403, "a manager may not create manager users", None),
        (403, "a manager may not manage manager users", None),
        (404, "user nobody@example.com does not exist", None),
        (403, "a manager may not manage admin users", None),
        (422, "a password needs at least 8 characters", None),
        (403, "a manager may not manage manager users", None),
        (409, "change your own password on the settings page", None),
        (404, "user ann2@globex.example does not exist", None),
        (404, "user ann2@globex.example does not exist", None),
        (404, "user ann2@globex.example does not exist", None),
        (403, "you may only create people of vendor 'acme'", None),
        (403, "a manager may not manage manager users", None),
        (403, "only an admin may create a token for someone else", None),
        (403, "only an admin may see or revoke someone else's API tokens", None),
    ]  # fmt: skip
    assert (forged.status_code, forged.json()["message"]) == (
        403,
        "the form expired; reload the page and try again",
    )
    after = [(m.user.email, m.user.active) for m in members.project_members(site.db, "reviews")]
    assert after == before
    assert [site.logs_in(PEOPLE[w][0], PASSWORD) for w in ("admin", "ann1", "ann2")] == [True] * 3
    assert members.tokens_of_user(site.db, "ann1@acme.example") == tokens


def test_an_admin_issues_and_revokes_a_members_token(site: Site) -> None:
    """An admin issues a token for a member (shown once; it works on the API) and revokes
    it (it stops working at once); a token id that is not that person's is not found."""
    client, csrf = site.session("admin")
    made = client.post(
        f"{PAGE}/tokens",
        data={"email": "ann1@acme.example", "label": "pipe <1>", "csrf_token": csrf},
    )
    token = _secret(made.text)
    assert (made.status_code, _notice(made.text)) == (
        200,
        "Issued an API token for ann1@acme.example.",
    )
    assert token is not None and token.startswith("lw_")
    assert site.bearer(token, "/api/v1/me") == 200
    listed = members.tokens_of_user(site.db, "ann1@acme.example")
    new = next(t for t in listed if t.label == "pipe <1>")
    assert "pipe &lt;1&gt;" in made.text and f"/tokens/{new.id}/revoke" in made.text
    wrong = client.post(
        f"{PAGE}/tokens/{new.id}/revoke", data={"email": "ann2@globex.example", "csrf_token": csrf}
    )
    assert (wrong.status_code, _notice(wrong.text)) == (
        404,
        f"user ann2@globex.example has no token {new.id}",
    )
    assert site.bearer(token, "/api/v1/me") == 200
    revoked = client.post(
        f"{PAGE}/tokens/{new.id}/revoke", data={"email": "ann1@acme.example", "csrf_token": csrf}
    )
    assert (revoked.status_code, _notice(revoked.text)) == (
        200,
        f"Revoked token {new.id} of ann1@acme.example; it no longer works.",
    )
    assert site.bearer(token, "/api/v1/me") == 401
    assert site.bearer(site.tokens["ann1"], "/api/v1/me") == 200  # their other token still works
