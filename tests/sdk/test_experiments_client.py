"""The SDK's experiment methods against the real app, in-process: start one, list, read
its status and analysis, stop it, and the refusals as the domain's error classes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services import experiment_world

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database


@pytest.fixture
def clients(db: Database, tmp_path: Path) -> Iterator[tuple[Client, Client]]:
    """A manager and an acme manager of project 'exp' under experiment 'guide'."""
    experiment_world.build(db)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        made = []
        for email, vendor in (("boss@example.com", None), ("lead@acme.example", "acme")):
            user = add_user(
                db, email, role="manager", projects=["exp"], vendor=vendor, with_token=True
            )
            assert user.token is not None
            made.append(Client.from_httpx(http, user.token))
        yield made[0], made[1]


def test_start_list_read_analyse_and_stop(clients: tuple[Client, Client]) -> None:
    """The manager starts an item experiment with a seed, lists both, reads 'guide' (8
    annotators, 64 annotations) and its analysis (B ahead on gold, the power at the
    asked effect), and stops it; UTC datetimes come back aware."""
    boss, _ = clients
    made = boss.create_experiment("exp", "ui", [("old", ""), ("new", "")], unit="item", seed=4)
    status = boss.experiment("exp", "guide")
    analysis = boss.analyze_experiment("exp", "guide", min_effect=0.1)
    stopped = boss.stop_experiment("exp", "guide")
    assert (made["name"], made["unit"], made["seed"], made["created_at"].tzinfo) == (
        "ui",
        "item",
        4,
        UTC,
    )
    assert [e["name"] for e in boss.experiments("exp")] == ["guide", "ui"]
    assert (
        sum(a["units"] for a in status["arms"]),
        sum(a["annotations"] for a in status["arms"]),
    ) == (8, 64)
    assert (
        analysis["differences"]["gold_accuracy"]["value"] > 0,
        analysis["power"]["gold_accuracy"]["min_effect"],
        analysis["verdict"][0].startswith("B is "),
    ) == (True, 0.1, True)
    assert (stopped["status"], stopped["stopped_at"].tzinfo) == ("stopped", UTC)


def test_refusals_are_the_domains_errors(clients: tuple[Client, Client]) -> None:
    """A name in use is a Conflict, a vendor's manager is refused, an unknown experiment
    is not found, and a second stop is a Conflict."""
    boss, vendor = clients
    raised = []
    for work in (
        lambda: boss.create_experiment("exp", "guide", [("A", ""), ("B", "")]),
        lambda: vendor.experiments("exp"),
        lambda: boss.experiment("exp", "nope"),
    ):
        with pytest.raises(E.LabelworksError) as caught:
            work()
        raised.append(type(caught.value))
    boss.stop_experiment("exp", "guide")
    with pytest.raises(E.Conflict):
        boss.stop_experiment("exp", "guide")
    assert raised == [E.Conflict, E.PermissionDenied, E.NotFound]
