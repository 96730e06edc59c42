"""Predictions and evaluation over HTTP and the SDK: a manager pushes predictions, runs and
reads evaluations and compares versions; the answers equal the services'; refusals answer
with their codes and name the bad part."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import api_client
from tests.services.eval_world import ITEMS, PROJECT, make_eval_world, prediction, truth

from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.sdk.client import Client
from labelworks.storage.engine import Database


@pytest.fixture
def sdk(db: Database, tmp_path: Path) -> Iterator[tuple[Client, TestClient, str]]:
    """The evaluation world without predictions, the manager's SDK client, the app and the
    manager's token."""
    world = make_eval_world(db, push=False, with_token=True)
    assert world.manager_token is not None
    with api_client(db, tmp_path) as client:
        yield Client.from_httpx(client, world.manager_token), client, world.manager_token


def test_push_run_and_read_back(sdk: tuple[Client, TestClient, str]) -> None:
    """A push of 60 predictions is listed; a run of them is stored, listed without its
    report and read back with it; the figures are the services' (accuracy 1 here)."""
    client, _, _ = sdk
    pushed = client.push_predictions(PROJECT, [prediction(i, "1", truth(i)) for i in range(ITEMS)])
    assert pushed == {"project": PROJECT, "stored": 60, "models": ["m@1"]}
    models = client.predicted_models(PROJECT)
    assert [(m["model"], m["version"], m["items"]) for m in models] == [("m", "1", 60)]
    run = client.run_evaluation(PROJECT, "m", slice="category")
    assert (run["id"], run["version"], run["items"], run["headline"]) == (1, "1", 40, 1.0)
    assert run["report"]["accuracy"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert [s["value"] for s in run["report"]["slices"]] == ["books", "toys"]
    listed = client.eval_runs(PROJECT)
    assert listed == [{k: v for k, v in run.items() if k != "report"}]
    assert client.eval_run(PROJECT, 1) == run


def test_compare_over_the_api(sdk: tuple[Client, TestClient, str]) -> None:
    """Two versions compared: the paired figures and the regression flag come back."""
    client, _, _ = sdk
    client.push_predictions(PROJECT, [prediction(i, "1", truth(i)) for i in range(ITEMS)])
    half = [prediction(i, "2", truth(i) if i % 2 else "neu") for i in range(ITEMS)]
    client.push_predictions(PROJECT, half)
    found = client.compare_models(PROJECT, "m@1", "m@2", fail_if_worse=0.05)
    assert (found["a"], found["b"], found["items"], found["worse"]) == ("m@1", "m@2", 40, True)
    assert found["report"]["accuracy_a"] == 1.0
    assert found["only_b"] == 0


def test_refusals_over_the_api(sdk: tuple[Client, TestClient, str]) -> None:
    """A bad prediction is a 422 naming its position and field, and stores nothing; an
    unknown model or run is a 404; a bad body field is a 422 naming it."""
    client, http, token = sdk
    with pytest.raises(InvalidInput) as caught:
        client.push_predictions(PROJECT, [prediction(0, "1", "pos"), {"item": "r1"}])
    assert caught.value.location is not None
    assert caught.value.location.field == "predictions[1].model"
    assert client.predicted_models(PROJECT) == []
    with pytest.raises(NotFound):
        client.run_evaluation(PROJECT, "m")
    with pytest.raises(NotFound):
        client.eval_run(PROJECT, 5)
    answer = http.post(
        f"/api/v1/projects/{PROJECT}/eval/compare",
        json={"a": "m", "b": "n", "fail_if_worse": 2},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 422
    assert answer.json()["location"]["field"] == "fail_if_worse"
