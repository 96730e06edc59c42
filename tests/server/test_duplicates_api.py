"""The near-duplicate and sampling routes in-process with Bearer tokens: the cluster
report, keep-one (refused as a whole when a duplicate is being labelled), a sample copied
into another project, refused bodies and queries (NaN, extra keys, negative or huge n,
deep JSON, NUL), and who may do each; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import Bearer, add_people, api_client, staff, two_projects

from labelworks.services import assignment
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "pool",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
}
LONG = "the kettle boils fast but the lid rattles and the handle gets far too hot to hold"
ROWS = [
    {"text": LONG, "split": "a"},
    {"text": "the blender is loud and leaks from its base after a week", "split": "a"},
    {"text": LONG.replace("fast", "quickly"), "split": "b"},
    {"text": "<script>alert(1)</script> a toaster", "split": "b"},
]
URL = "/api/v1/projects/pool"


@dataclass
class Env(Bearer):
    db: Database
    ids: dict[str, int]

    def ok(self, who: str, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(who, method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'pool' (four reviews, items 1 and 3 near-duplicates) and an empty 'other',
    with the usual staff; the manager manages both."""
    two_projects(db, SPEC, ROWS, other_rows=0)
    tokens, ids = add_people(db, staff("pool", manages_other=True))
    with api_client(db, tmp_path) as client:
        yield Env(client, tokens, db, ids)


def test_report_and_keep_one(env: Env) -> None:
    """The report has one cluster (1 and 3); keep-one removes item 3 and says so."""
    report = env.ok(
        "manager", "GET", f"{URL}/duplicates", params={"text_key": "text", "threshold": 0.7}
    )
    kept = env.ok(
        "manager", "POST", f"{URL}/duplicates/keep-one", json={"text_key": "text", "threshold": 0.7}
    )
    assert [(c["representative"], c["size"]) for c in report["clusters"]] == [(1, 2)]
    assert (report["scanned"], report["duplicates"], report["kind"]) == (4, 1, "text")
    assert (kept["removed"], kept["duplicates"]) == ([3], 1)
    again = env.ok(
        "manager", "GET", f"{URL}/duplicates", params={"text_key": "text", "threshold": 0.7}
    )
    assert (again["clusters"], again["scanned"]) == ([], 3)


def test_keep_one_refused_while_labelled(env: Env) -> None:
    """With the duplicate leased keep-one is a 409 naming it, and nothing is deleted."""
    first = assignment.next_task_for(env.db, "pool", env.ids["ann1"])
    assert first is not None
    assignment.submit_annotation(
        env.db, first.assignment_id, env.ids["ann1"], value={"sentiment": "pos"},
        seconds=1.0, idempotency_key="k1",
    )  # fmt: skip
    leased = [assignment.next_task_for(env.db, "pool", env.ids[w]) for w in ("ann2", "ann1")]
    assert [t.item_id for t in leased if t is not None] == [2, 3]
    refused = env.call(
        "manager", "POST", f"{URL}/duplicates/keep-one", json={"text_key": "text", "threshold": 0.7}
    )
    assert refused.status_code == 409
    assert "item 3 is being labelled now" in refused.json()["message"]
    assert (
        env.ok("manager", "GET", f"{URL}/duplicates", params={"text_key": "text"})["scanned"] == 4
    )


def test_sample_into_other(env: Env) -> None:
    """A stratified sample copies two items into 'other' with their allocation."""
    body = {"strategy": "stratified", "n": 2, "into": "other", "by": "split", "seed": 3}
    got = env.ok("manager", "POST", f"{URL}/sample", json=body)
    assert got["allocation"] == [
        {"stratum": "a", "available": 2, "sampled": 1},
        {"stratum": "b", "available": 2, "sampled": 1},
    ]
    assert (got["inserted"], got["seed"], got["preview"]) == (2, 3, False)
    items = env.ok("manager", "GET", "/api/v1/projects/other/items")
    assert len(items["items"]) == 2


def test_hostile_bodies_and_queries(env: Env) -> None:
    """NaN, out-of-range, extra keys, deep JSON and NUL are 422s naming the problem."""
    deep: Any = 1
    for _ in range(200):
        deep = [deep]
    sends = [
        ("GET", f"{URL}/duplicates", {"params": {"text_key": "text", "threshold": "nan"}}),
        ("GET", f"{URL}/duplicates", {"params": {"text_key": "x" * 201}}),
        ("GET", f"{URL}/duplicates", {"params": {"text_key": "a\x00b"}}),
        ("GET", f"{URL}/duplicates", {}),
        ("POST", f"{URL}/duplicates/keep-one", {"json": {"text_key": "text", "extra": 1}}),
        ("POST", f"{URL}/duplicates/keep-one", {"content": b'{"text_key": "t", "threshold": NaN}'}),
        ("POST", f"{URL}/sample", {"json": {"strategy": "random", "n": -1, "into": "other"}}),
        ("POST", f"{URL}/sample", {"json": {"strategy": "random", "n": 10**12, "into": "other"}}),
        ("POST", f"{URL}/sample", {"json": {"strategy": "random", "n": 1, "into": deep}}),
        ("POST", f"{URL}/sample", {"content": b'{"strategy": "random", "n": 1, "into": "\xff"}'}),
        ("POST", f"{URL}/sample", {"json": {"strategy": "diverse", "n": 1, "into": "other"}}),
    ]
    statuses = [env.call("manager", m, u, **kw).status_code for m, u, kw in sends]
    assert statuses == [422] * len(sends)
    assert env.ok("manager", "GET", "/api/v1/projects/other/items")["items"] == []


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("manager", 200),
        ("acme_lead", 403),
        ("reviewer", 403),
        ("ann1", 403),
        ("outsider", 404),
    ],
)
def test_who_may(env: Env, who: str, status: int) -> None:
    """Managers outside vendor walls and admins may; others are refused (outsiders are told
    the project does not exist)."""
    found = env.call(who, "GET", f"{URL}/duplicates", params={"text_key": "text"})
    previewed = env.call(
        who, "POST", f"{URL}/sample",
        json={"strategy": "random", "n": 1, "into": "other", "preview": True},
    )  # fmt: skip
    assert (found.status_code, previewed.status_code) == (status, status), json.dumps(
        [found.json(), previewed.json()]
    )
