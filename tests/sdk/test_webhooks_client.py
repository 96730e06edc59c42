"""The SDK's webhook methods against the real app, in-process: make a webhook and keep its
secret, list, pause and rotate it, ping it and read the log (sent by the server's own
consumer to a real receiver), redeliver, remove; each refusal as the domain's error
class."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.webhook_receiver import Receiver

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "hooks",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
}


class World:
    def __init__(self, db: Database, http: TestClient) -> None:
        def client(email: str, role: str, vendor: str | None = None) -> Client:
            projects = None if role == "admin" else ["hooks"]
            made = add_user(db, email, role=role, projects=projects, vendor=vendor, with_token=True)
            assert made.token is not None
            return Client.from_httpx(http, made.token)

        self.admin = client("root@example.com", "admin")
        self.admin.apply_spec(SPEC)
        self.manager = client("boss@example.com", "manager")
        self.vendor_lead = client("lead@acme.example", "manager", "acme")
        self.reviewer = client("rev@example.com", "reviewer")


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db, run_jobs=True)
    with TestClient(app) as http:
        yield World(db, http)


def _settled(client: Client, delivery_id: int) -> dict[str, Any]:
    """The delivery once the server recorded its attempt (at most a few seconds)."""
    pause = threading.Event()
    for _ in range(200):
        (found,) = [
            d for d in client.webhook_deliveries("hooks")["deliveries"] if d["id"] == delivery_id
        ]
        if found["attempts"] > 0:
            return found
        pause.wait(0.05)
    raise AssertionError(f"delivery {delivery_id} was not attempted")


def test_make_ping_read_the_log_and_remove(world: World) -> None:
    """The secret comes once and signs the ping the server sends; the log shows it
    delivered; pausing, rotating and removing answer as documented."""
    with Receiver() as hook:
        made = world.manager.create_webhook("hooks", hook.url, ["lot.rejected", "item.finalised"])
        ping = world.manager.ping_webhook("hooks", made["id"])
        (got,) = hook.wait_for(1)
        logged = _settled(world.manager, ping["id"])
        again = world.admin.redeliver_webhook_delivery("hooks", ping["id"])
        hook.wait_for(2)
    assert (made["events"], len(made["secret"]), made["created_at"].tzinfo) == (
        ["item.finalised", "lot.rejected"],
        43,
        UTC,
    )
    assert (got.verified(made["secret"]), got.headers["x-labelworks-event"]) == (True, "ping")
    assert (logged["status"], logged["response_status"], logged["url"]) == (
        "delivered",
        200,
        hook.url,
    )
    assert (again["status"], again["attempts"]) == ("pending", 0)
    listed = world.manager.webhooks("hooks")
    assert [(w["id"], w["active"], "secret" in w) for w in listed] == [(made["id"], True, False)]
    paused = world.manager.update_webhook("hooks", made["id"], active=False)
    rotated = world.manager.update_webhook("hooks", made["id"], rotate_secret=True)
    assert (paused["active"], paused["secret"], len(rotated["secret"])) == (False, None, 43)
    world.manager.remove_webhook("hooks", made["id"])
    assert world.manager.webhooks("hooks") == []


def test_refusals_are_the_domain_errors(world: World) -> None:
    """A bad URL is InvalidInput; vendors' managers and reviewers are PermissionDenied; a
    missing webhook is NotFound; redelivering a pending delivery is a Conflict."""
    with pytest.raises(E.InvalidInput):
        world.manager.create_webhook("hooks", "https://u:p@x.example/", ["lot.accepted"])
    with pytest.raises(E.PermissionDenied):
        world.vendor_lead.create_webhook("hooks", "https://x.example/", ["lot.accepted"])
    with pytest.raises(E.PermissionDenied):
        world.reviewer.webhook_deliveries("hooks")
    with pytest.raises(E.NotFound):
        world.manager.remove_webhook("hooks", 999)
    made = world.manager.create_webhook("hooks", "https://x.invalid/", ["lot.accepted"])
    world.manager.update_webhook("hooks", made["id"], active=False)
    with pytest.raises(E.Conflict):
        world.manager.ping_webhook("hooks", made["id"])
