"""The Webhooks page under Settings, per role: managers and admins see the figures, the
chart with its numbers, the webhooks and the log; vendors' staff, reviewers and
annotators are refused. Adding through the CSRF form shows the secret once; a refused form
keeps what was typed and changes nothing; each button does what it says; URLs are
escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.server.test_escalation_pages import texts
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.webhook_receiver import Receiver

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import webhooks
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.services.webhook_delivery import deliver_due
from labelworks.storage.engine import Database, utcnow

SPEC: dict[str, Any] = {
    "name": "wp",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
}
PEOPLE = {
    "admin": ("root@example.com", "admin", None),
    "manager": ("boss@example.com", "manager", None),
    "acme_lead": ("lead@acme.example", "manager", "acme"),
    "reviewer": ("rev@example.com", "reviewer", None),
    "ann": ("ann@acme.example", "annotator", "acme"),
}
PAGE = "/projects/wp/settings/webhooks"


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
    """Project 'wp' with its staff; no webhooks yet."""
    fast_passwords(monkeypatch)
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    for email, role, vendor in PEOPLE.values():
        add_user(db, email, role=role, vendor=vendor, projects=None if role == "admin" else ["wp"])
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False):
        yield Site(app, db)


def test_the_page_per_role(site: Site) -> None:
    """200 with the add form for admins and in-house managers; 403 for the rest; the
    Settings tabs link the page for those who manage."""
    seen = {}
    for who in PEOPLE:
        client, _ = site.session(who)
        shown = client.get(PAGE)
        seen[who] = (shown.status_code, 'data-testid="webhook-form"' in shown.text)
    assert seen == {
        "admin": (200, True),
        "manager": (200, True),
        "acme_lead": (403, False),
        "reviewer": (403, False),
        "ann": (403, False),
    }
    client, _ = site.session("manager")
    assert 'data-testid="settings-tab-webhooks"' in client.get("/projects/wp/settings").text


def test_adding_shows_the_secret_once_and_a_bad_form_changes_nothing(site: Site) -> None:
    """A good form answers with the page holding the secret, which the next view does not;
    a URL with credentials is a 422 with the error and the typed URL kept; no CSRF is a
    403."""
    client, csrf = site.session("manager")
    form = {"csrf_token": csrf, "url": "https://hooks.example.com/x?a=<x-hook>",
            "events": ["lot.accepted", "item.finalised"]}  # fmt: skip
    added = client.post(PAGE, data=form)
    (made,) = webhooks.project_webhooks(site.db, "wp")
    secret = re.search(r'data-testid="webhook-secret-value">([^<]+)<', added.text)
    assert (added.status_code, secret is not None) == (200, True)
    assert secret is not None and len(secret.group(1)) == 43
    later = client.get(PAGE).text
    assert secret.group(1) not in later
    assert "?a=&lt;x-hook&gt;" in later and "<x-hook>" not in later
    assert made.events == ["item.finalised", "lot.accepted"]
    bad = client.post(PAGE, data={**form, "url": "https://me:pw@evil.example/"})
    assert (bad.status_code, texts(bad.text, "webhook-error")) == (
        422,
        ["field 'url': must not hold credentials: receivers check the signature instead. "
         "Nothing was changed."],
    )  # fmt: skip
    assert 'value="https://me:pw@evil.example/"' in bad.text
    assert client.post(PAGE, data={**form, "csrf_token": "x"}).status_code == 403
    assert len(webhooks.project_webhooks(site.db, "wp")) == 1


def test_the_buttons_pause_resume_ping_rotate_and_remove(site: Site) -> None:
    """Each action redirects back with a notice (rotate answers with the new secret);
    an unknown action changes nothing."""
    made = webhooks.create_webhook(site.db, "wp", url="https://x.example/", events=["lot.accepted"])
    client, csrf = site.session("admin")
    one = f"{PAGE}/{made.webhook.id}"

    def press(action: str) -> httpx.Response:
        return client.post(one, data={"csrf_token": csrf, "action": action})

    paused = press("pause")
    assert (paused.status_code, texts(client.get(PAGE).text, "webhook-state")) == (303, ["paused"])
    press("resume")
    press("ping")
    page = client.get(PAGE).text
    assert texts(page, "webhooks-notice")[0].startswith("Ping queued to webhook")
    assert texts(page, "delivery-status") == ["pending"]
    rotated = press("rotate")
    assert (rotated.status_code, 'data-testid="webhook-secret"' in rotated.text) == (200, True)
    odd = press("explode")
    assert "action must be one of" in texts(client.get(PAGE).text, "webhooks-notice")[0]
    assert odd.status_code == 303
    press("remove")
    assert texts(client.get(PAGE).text, "no-webhooks") != []


def test_the_log_figures_chart_and_redeliver(site: Site) -> None:
    """A delivered and a retrying delivery show with their badges, answers and what they
    are about; the figures count them; the chart's numbers list today's; Redeliver queues
    the delivered one again."""
    with Receiver(answers=[200, 500]) as hook, httpx.Client(timeout=5) as http:
        webhooks.create_webhook(site.db, "wp", url=hook.url, events=["lot.accepted"])
        for k in range(2):  # one at a time: the first is answered 200, the second 500
            with site.db.write() as conn:
                data = {"lot_id": k, "name": f"week {k}", "defects": k, "sample_size": 32}
                webhooks.emit(conn, 1, "lot.accepted", data)
            deliver_due(site.db, now=utcnow() + timedelta(seconds=1), client=http)
    client, csrf = site.session("manager")
    page = client.get(PAGE).text
    assert texts(page, "delivery-status") == ["pending", "delivered"]
    assert texts(page, "delivery-response") == ["500", "200"]
    assert texts(page, "delivery-about") == [
        "lot 'week 1': 1 defective of 32",
        "lot 'week 0': 0 defective of 32",
    ]
    figures = texts(page, "webhook-figures")[0]
    assert "1 of 1 webhooks active" in figures and "1 delivered in 14 days" in figures
    assert "1 waiting to be sent or retried" in figures
    spec = json.loads(re.search(r'id="chart-webhook-days">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    today = utcnow().date().isoformat()
    assert [r for r in spec["data"]["values"] if r["day"] == today and r["deliveries"]] == [
        {"day": today, "status": "delivered", "deliveries": 1},
        {"day": today, "status": "pending", "deliveries": 1},
    ]
    delivered = webhooks.delivery_log(site.db, "wp", status="delivered")[0]
    again = client.post(f"{PAGE}/deliveries/{delivered.id}/redeliver", data={"csrf_token": csrf})
    assert again.status_code == 303
    assert texts(client.get(PAGE).text, "delivery-status") == ["pending", "pending"]
