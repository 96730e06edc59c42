"""Sessions end when they should, and logins are throttled per identity: a replayed cookie
after logout, a password change or deactivation gets nothing; spaces and case around an
email are the same identity to the throttle; every server process shares the count;
on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.security.conftest import PASSWORD, World

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.server.security import SESSION_COOKIE


def _client(world: World) -> TestClient:
    return TestClient(world.app, raise_server_exceptions=False)


def _login(client: TestClient, email: str, password: str = PASSWORD) -> int:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"email": email, "password": password, "csrf_token": csrf.group(1)}
    return client.post("/login", data=form, follow_redirects=False).status_code


def _me(world: World, cookie: str) -> int:
    """``GET /api/v1/me`` with nothing but this session cookie, from a fresh client."""
    with _client(world) as fresh:
        fresh.cookies.set(SESSION_COOKIE, cookie)
        return fresh.get("/api/v1/me").status_code


def _csrf(client: TestClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert found is not None
    return found.group(1)


def test_a_cookie_replayed_after_logout_gets_nothing(world: World) -> None:
    """Logout ends the session on the server: the copied cookie is dead at once."""
    with _client(world) as browser:
        assert _login(browser, "ann@acme.example") == 303
        cookie = browser.cookies[SESSION_COOKIE]
        before = _me(world, cookie)
        browser.post("/logout", data={"csrf_token": _csrf(browser, "/settings")})
    assert (before, _me(world, cookie)) == (200, 401)


def test_a_password_change_ends_every_other_session(world: World) -> None:
    """Changing the password logs out the thief's copy of the session; the browser that
    changed it stays logged in."""
    with _client(world) as mine, _client(world) as thief:
        assert (_login(mine, "ann@acme.example"), _login(thief, "ann@acme.example")) == (303, 303)
        stolen = thief.cookies[SESSION_COOKIE]
        form = {
            "current": PASSWORD,
            "new": "another good one",
            "repeat": "another good one",
            "csrf_token": _csrf(mine, "/settings"),
        }
        changed = mine.post("/settings/password", data=form)
        assert (changed.status_code, mine.get("/api/v1/me").status_code) == (200, 200)
    assert _me(world, stolen) == 401


def test_deactivation_ends_sessions_and_tokens_at_once(world: World) -> None:
    """The next request after deactivation, by cookie or token, is refused; reactivation
    brings the token back but not the ended session."""
    with _client(world) as browser:
        assert _login(browser, "ann@globex.example") == 303
        cookie = browser.cookies[SESSION_COOKIE]
    token_before = world.call("globex_ann", "GET", "/api/v1/me").status_code
    world.call("admin", "POST", "/api/v1/users/ann@globex.example/deactivate")
    after = (_me(world, cookie), world.call("globex_ann", "GET", "/api/v1/me").status_code)
    world.call("admin", "POST", "/api/v1/users/ann@globex.example/reactivate")
    back = (_me(world, cookie), world.call("globex_ann", "GET", "/api/v1/me").status_code)
    assert (token_before, after, back) == (200, (401, 401), (401, 200))


def test_a_revoked_token_stops_working_at_once(world: World) -> None:
    """``DELETE /me/tokens/{id}`` ends the token for the very next request."""
    made = world.call("acme_ann", "POST", "/api/v1/me/tokens", json={"label": "laptop"})
    token = made.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = world.call("acme_ann", "GET", "/api/v1/me/tokens").json()
    laptop = next(t["id"] for t in listed if t["label"] == "laptop")
    before = world.client.get("/api/v1/me", headers=headers).status_code
    revoked = world.call("acme_ann", "DELETE", f"/api/v1/me/tokens/{laptop}").status_code
    foreign = world.call("globex_ann", "DELETE", f"/api/v1/me/tokens/{laptop}").status_code
    after = world.client.get("/api/v1/me", headers=headers).status_code
    assert (before, revoked, foreign, after) == (200, 204, 404, 401)


def test_spaces_and_case_are_one_identity_to_the_throttle(world: World) -> None:
    """Five failures under variants of one email lock it: the right password is then
    refused too, whichever variant it comes under."""
    variants = [
        "ann@acme.example",
        " ann@acme.example",
        "ANN@acme.example ",
        "\tAnn@Acme.Example\n",
        "ann@ACME.example",
    ]
    with _client(world) as browser:
        failures = [_login(browser, email, "wrong password!") for email in variants]
        locked = [_login(browser, email) for email in (" ann@acme.example ", "ANN@ACME.EXAMPLE")]
        other = _login(browser, "rev@acme.example")
    assert (failures, locked, other) == ([401] * 5, [429, 429], 303)


def test_the_throttle_is_shared_by_every_server_process(world: World) -> None:
    """Failures counted by one app are seen by another on the same database (as two
    ``serve --workers`` processes would)."""
    second = create_app(Settings(data_dir=world.data_dir), database=world.db)
    with _client(world) as one, TestClient(second, raise_server_exceptions=False) as two:
        for _ in range(3):
            _login(one, "rev@acme.example", "wrong password!")
        for _ in range(2):
            _login(two, "rev@acme.example", "wrong password!")
        assert (_login(one, "rev@acme.example"), _login(two, "rev@acme.example")) == (429, 429)


def test_emails_that_are_not_addresses_are_never_stored(world: World) -> None:
    """Markup, spaces and missing domains are refused by the API with the field named."""
    bad = ['x"><script>alert(1)</script>@e.org', "a b@example.org", "nobody@localhost"]
    answers = [world.call("admin", "POST", "/api/v1/users", json={"email": email}) for email in bad]
    assert [(a.status_code, a.json()["location"]["field"]) for a in answers] == [(422, "email")] * 3
