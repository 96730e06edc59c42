"""The webhook routes in-process with Bearer tokens: a manager makes a webhook (its secret
in that answer only), lists, pauses, rotates and removes it; a ping goes out from the
server's own consumer to a real receiver within seconds and the log says so; refused
bodies name the field; vendors' staff, reviewers, annotators and outsiders are refused."""

from __future__ import annotations

import threading
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import Bearer, add_people, api_client, staff, two_projects
from tests.webhook_receiver import Receiver

from labelworks.domain import webhooks as rules
from labelworks.schemas.webhooks import EventName
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "hooks",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
}
PEOPLE = staff("hooks")
URL = "/api/v1/projects/hooks/webhooks"


@dataclass
class Env(Bearer):
    db: Database

    def ok(self, who: str, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(who, method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'hooks' and 'other' with the usual staff; the server runs its consumer."""
    two_projects(db, SPEC, [{"text": "a"}], other_rows=0)
    tokens, _ = add_people(db, PEOPLE)
    with api_client(db, tmp_path, run_jobs=True) as client:
        yield Env(client, tokens, db)


def test_the_wire_events_are_the_domain_s() -> None:
    """The schema's event names are domain.webhooks.EVENTS, in order."""
    assert typing.get_args(EventName) == rules.EVENTS


def test_a_manager_makes_lists_pauses_rotates_and_removes_a_webhook(env: Env) -> None:
    """201 with the secret; the list never has it; PATCH pauses (secret null) and rotates
    (a new secret); DELETE is 204 and the list is empty."""
    body = {"url": "https://x.example/h", "events": ["lot.rejected", "lot.accepted"]}
    made = env.ok("manager", "POST", URL, 201, json=body)
    listed = env.ok("manager", "GET", URL)
    assert (made["events"], made["active"], made["created_by"], len(made["secret"])) == (
        ["lot.accepted", "lot.rejected"],
        True,
        "boss@example.com",
        43,
    )
    assert listed == [{k: v for k, v in made.items() if k != "secret"}]
    one = f"{URL}/{made['id']}"
    paused = env.ok("manager", "PATCH", one, json={"active": False})
    rotated = env.ok("admin", "PATCH", one, json={"rotate_secret": True})
    assert (paused["active"], paused["secret"], rotated["active"]) == (False, None, False)
    assert len(rotated["secret"]) == 43 and rotated["secret"] != made["secret"]
    assert env.ok("manager", "DELETE", one, 204) is None
    assert env.ok("manager", "GET", URL) == []
    assert env.call("manager", "DELETE", one).status_code == 404


def test_a_ping_goes_out_from_the_server_and_is_logged(env: Env) -> None:
    """The ping is 202 and pending; the server's dispatcher POSTs it signed within
    seconds; the log then says delivered with a 200, and redelivering sends it again."""
    with Receiver() as hook:
        made = env.ok("manager", "POST", URL, 201,
                      json={"url": hook.url, "events": ["item.finalised"]})  # fmt: skip
        ping = env.ok("manager", "POST", f"{URL}/{made['id']}/ping", 202)
        (got,) = hook.wait_for(1)
        pause = threading.Event()
        for _ in range(100):  # the log is written once the answer is in
            log = env.ok("manager", "GET", f"{URL}/deliveries")
            if log["deliveries"][0]["status"] != "pending":
                break
            pause.wait(0.05)
        again = env.ok("admin", "POST", f"{URL}/deliveries/{ping['id']}/redeliver", 202)
        second = hook.wait_for(2)
    assert (ping["event"], ping["status"], ping["attempts"]) == ("ping", "pending", 0)
    assert (got.verified(made["secret"]), got.json["id"], got.json["project"]) == (
        True,
        ping["id"],
        "hooks",
    )
    (logged,) = log["deliveries"]
    assert (logged["status"], logged["response_status"], logged["attempts"]) == (
        "delivered",
        200,
        1,
    )
    assert log["next_before"] is None
    assert (again["status"], again["attempts"], second[1].json["id"]) == ("pending", 0, ping["id"])


def test_the_log_pages_and_filters(env: Env) -> None:
    """limit and next_before page the log newest first; status and webhook_id filter it;
    a status outside the three is a 422."""
    made = env.ok("manager", "POST", URL, 201,
                  json={"url": "https://x.example/", "events": ["lot.accepted"]})  # fmt: skip
    env.ok("manager", "PATCH", f"{URL}/{made['id']}", json={"active": False})
    env.ok("manager", "PATCH", f"{URL}/{made['id']}", json={"active": True})
    ids = [env.ok("manager", "POST", f"{URL}/{made['id']}/ping", 202)["id"] for _ in range(3)]
    first = env.ok("manager", "GET", f"{URL}/deliveries", params={"limit": 2})
    rest = env.ok("manager", "GET", f"{URL}/deliveries",
                  params={"limit": 2, "before": first["next_before"]})  # fmt: skip
    assert [d["id"] for d in first["deliveries"] + rest["deliveries"]] == ids[::-1]
    assert rest["next_before"] is None
    failed = env.ok("manager", "GET", f"{URL}/deliveries",
                    params={"status": "failed", "webhook_id": made["id"]})  # fmt: skip
    assert failed == {"deliveries": [], "next_before": None}
    assert (
        env.call("manager", "GET", f"{URL}/deliveries", params={"status": "x"}).status_code == 422
    )


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"url": "https://u:p@x.example/", "events": ["lot.accepted"]}, "url",
         "must not hold credentials"),
        ({"url": "gopher://x.example/", "events": ["lot.accepted"]}, "url",
         "must be an http:// or https:// URL"),
        ({"url": "https://x.example/", "events": []}, "events", "at least 1"),
        ({"url": "https://x.example/", "events": ["lot.lost"]}, "events.0", "lot.accepted"),
        ({"url": "https://x.example/", "events": ["lot.accepted"], "secret": "mine"}, "secret",
         "Extra inputs"),
    ],
)  # fmt: skip
def test_bad_bodies_are_422_naming_the_field(
    env: Env, body: dict[str, Any], field: str, says: str
) -> None:
    """Each refused body says which field and why, and makes nothing."""
    response = env.call("manager", "POST", URL, json=body)
    error = response.json()
    assert (response.status_code, error["location"]["field"], says in error["message"]) == (
        422,
        field,
        True,
    ), error
    assert env.ok("manager", "GET", URL) == []


def test_a_patch_that_asks_for_nothing_is_refused(env: Env) -> None:
    """{} and an unknown key are 422; the webhook is unchanged."""
    made = env.ok("manager", "POST", URL, 201,
                  json={"url": "https://x.example/", "events": ["lot.accepted"]})  # fmt: skip
    one = f"{URL}/{made['id']}"
    assert env.call("manager", "PATCH", one, json={}).status_code == 422
    assert env.call("manager", "PATCH", one, json={"url": "https://y.example/"}).status_code == 422
    assert env.ok("manager", "GET", URL)[0]["active"] is True


@pytest.mark.parametrize(
    ("who", "status"),
    [("acme_lead", 403), ("reviewer", 403), ("ann1", 403), ("outsider", 404)],
)
def test_only_in_house_managers_and_admins_reach_webhooks(env: Env, who: str, status: int) -> None:
    """Every webhook route refuses a vendor's manager, a reviewer and an annotator (403)
    and hides the project from a manager of another (404)."""
    made = env.ok("manager", "POST", URL, 201,
                  json={"url": "https://x.example/", "events": ["lot.accepted"]})  # fmt: skip
    ping = env.ok("manager", "POST", f"{URL}/{made['id']}/ping", 202)
    one = f"{URL}/{made['id']}"
    calls = [
        ("GET", URL, {}),
        ("POST", URL, {"json": {"url": "https://y.example/", "events": ["lot.accepted"]}}),
        ("PATCH", one, {"json": {"active": False}}),
        ("DELETE", one, {}),
        ("POST", f"{one}/ping", {}),
        ("GET", f"{URL}/deliveries", {}),
        ("POST", f"{URL}/deliveries/{ping['id']}/redeliver", {}),
    ]
    got = [env.call(who, method, url, **kw).status_code for method, url, kw in calls]
    assert got == [status] * len(calls)
    assert [w["id"] for w in env.ok("manager", "GET", URL)] == [made["id"]]
