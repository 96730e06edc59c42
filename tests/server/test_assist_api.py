"""The baseline model over HTTP and the SDK: a manager trains it as a job and reads its
report; the report matches the service's; refusals answer with their codes."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import api_client
from tests.services.builders import make_project

from labelworks.domain.errors import NotFound
from labelworks.sdk.client import Client
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.ingestion import import_items
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

WORDS = {"positive": "superb", "negative": "broken"}


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """'sentiment' with assist (from 30 labels), 40 reviews, 20 of them decided; a manager's
    and an annotator's tokens."""
    make_project(
        db,
        overlap=1,
        quality={"consensus": "majority"},
        # min_labels above the 20 labels: the server's minute check starts no training
        # of its own while the test asks for one.
        assist={"field": "sentiment", "every": 10, "min_labels": 30},
    )
    rows = [{"text": f"review {i} was {WORDS[('positive', 'negative')[i % 2]]}"} for i in range(40)]
    body = io.BytesIO("".join(json.dumps(r) + "\n" for r in rows).encode())
    import_items(db, "sentiment", body, format="jsonl", source="rows.jsonl")
    made = add_user(db, "ann@x.example", role="annotator", projects=["sentiment"], with_token=True)
    for k in range(20):
        task = next_task_for(db, "sentiment", made.user.id)
        assert task is not None
        label = ("positive", "negative")[(task.item_id - 1) % 2]
        submit_annotation(db, task.assignment_id, made.user.id, value={"sentiment": label},
                          seconds=1.0, idempotency_key=f"k{k}")  # fmt: skip
    boss = add_user(db, "boss@x.example", role="manager", projects=["sentiment"], with_token=True)
    assert made.token is not None and boss.token is not None
    with api_client(db, tmp_path, run_jobs=True) as client:
        yield client, {"manager": boss.token, "annotator": made.token}


def _sdk(client: TestClient, token: str) -> Client:
    return Client.from_httpx(client, token)


def test_a_manager_trains_the_model_and_reads_its_report(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    """train_model queues a train job the server's consumer runs; the report then lists
    version 1 learnt from 20 labels with 20 suggestions, next training in 10."""
    client, tokens = world
    sdk = _sdk(client, tokens["manager"])
    before = sdk.model_report("sentiment")
    job = sdk.train_model("sentiment")
    deadline = time.monotonic() + 60
    while sdk.job(job["id"])["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    done = sdk.job(job["id"])
    report = sdk.model_report("sentiment")
    assert (before["decided"], before["next_in"], before["models"]) == (20, 10, [])
    assert before["assist"] == {
        "field": "sentiment",
        "every": 10,
        "min_labels": 30,
        "model_name": "labelworks-baseline:sentiment",
    }
    assert (done["kind"], done["state"], done["result"]["version"]) == ("train", "succeeded", 1)
    assert [(m["version"], m["labels"], m["suggested"], m["job_id"]) for m in report["models"]] == [
        (1, 20, 20, job["id"])
    ]
    assert (report["decided"], report["next_in"], report["checked"]) == (20, 10, 0)
    assert report["models"][0]["counts"] == {"negative": 10, "positive": 10}


def test_refusals(world: tuple[TestClient, dict[str, str]]) -> None:
    """An annotator may not read the report (403) nor train (403); an unknown project is
    404 for the manager."""
    client, tokens = world
    annotator = {"Authorization": f"Bearer {tokens['annotator']}"}
    report = client.get("/api/v1/projects/sentiment/model", headers=annotator)
    train = client.post(
        "/api/v1/projects/sentiment/jobs", json={"kind": "train"}, headers=annotator
    )
    assert [(r.status_code, r.json()["code"]) for r in (report, train)] == [
        (403, "permission_denied"),
        (403, "permission_denied"),
    ]
    with pytest.raises(NotFound):
        _sdk(client, tokens["manager"]).model_report("nope")
