"""The People page and the settings page's token list, as a logged-in browser uses them:
every form needs the session's CSRF token, acts through the same rules as the API (vendor
walls included), and says what happened; on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.security.conftest import PASSWORD, World


def _browser(world: World, email: str) -> tuple[TestClient, str]:
    client = TestClient(world.app, raise_server_exceptions=False)
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/settings").text)
    assert token is not None
    return client, token.group(1)


def _message(html: str) -> str | None:
    found = re.search(r'data-testid="people-message"[^>]*>([^<]*)<', html)
    return found.group(1) if found else None


def test_people_page_lists_only_people_behind_the_wall(world: World) -> None:
    """An acme manager's People page lists acme's people (and themself), never globex's
    or in-house staff; in-house leads see everyone of their projects."""
    acme, _ = _browser(world, "lead@acme.example")
    lead, _ = _browser(world, "lead@example.org")
    emails = re.compile(r"<td>([^<\s]+@[^<\s]+)")
    assert (
        sorted(emails.findall(acme.get("/people").text)),
        sorted(emails.findall(lead.get("/people").text)),
    ) == (
        ["ann@acme.example", "lead@acme.example", "rev@acme.example"],
        [
            "ann@acme.example",
            "ann@globex.example",
            "lead@acme.example",
            "lead@example.org",
            "lead@globex.example",
            "out@example.org",
            "rev@acme.example",
        ],
    )


def test_people_forms_act_through_the_rules(world: World) -> None:
    """Adding, removing, deactivating and creating from the page: allowed actions say so,
    refused ones show the reason with their status, and a missing CSRF token is refused."""
    client, csrf = _browser(world, "lead@acme.example")
    steps = [
        ("/people/members", {"email": "ann@globex.example", "project": "alpha"}),
        ("/people/active", {"email": "ann@acme.example", "active": "false"}),
        ("/people/active", {"email": "ann@acme.example", "active": "true"}),
        ("/people/create", {"email": "new@acme.example", "role": "annotator", "project": "alpha"}),
        ("/people/create", {"email": "boss@acme.example", "role": "manager"}),
        ("/people/members/remove", {"email": "new@acme.example", "project": "alpha"}),
    ]
    seen = []
    for url, form in steps:
        answer = client.post(url, data={**form, "csrf_token": csrf})
        seen.append((answer.status_code, _message(answer.text)))
    forged = client.post("/people/active", data={"email": "ann@acme.example", "active": "false"})
    assert (seen, forged.status_code) == (
        [
            (404, "user ann@globex.example does not exist"),
            (200, "ann@acme.example is deactivated: every session and token of theirs has ended."),
            (200, "ann@acme.example can log in again."),
            (200, "Created new@acme.example (annotator)."),
            (403, "a manager may not create manager users"),
            (200, "Took new@acme.example off alpha."),
        ],
        403,
    )


def test_settings_lists_and_revokes_ones_own_tokens(world: World) -> None:
    """The settings page lists the caller's tokens; revoking one there ends it at once."""
    client, csrf = _browser(world, "ann@acme.example")
    made = client.post("/settings/tokens", data={"label": "laptop", "csrf_token": csrf})
    token = re.search(r'data-testid="new-token">([^<]+)<', made.text)
    assert token is not None
    ids = re.findall(r'action="/settings/tokens/(\d+)/revoke"', client.get("/settings").text)
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    before = client.get("/api/v1/me", headers=headers).status_code
    revoked = client.post(f"/settings/tokens/{ids[-1]}/revoke", data={"csrf_token": csrf})
    after = client.get("/api/v1/me", headers=headers).status_code
    assert (len(ids), before, revoked.status_code, after) == (2, 200, 200, 401)
