"""The Consistency page per role: a manager sees every annotator's test–retest figures and
the answers that changed, with links to their items; a vendor's manager only their
vendor's people; annotators are refused; a project without retests says how to start."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "cq",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]}],
    "overlap": 2,
    "quality": {"retest": {"rate": 0.5, "after": 1}},
}
PEOPLE = {
    "manager": ("boss@example.com", "manager", None),
    "acme_manager": ("acme-boss@example.com", "manager", "acme"),
    "ann_acme": ("ann@acme.example", "annotator", "acme"),
    "ann_globex": ("ann@globex.example", "annotator", "globex"),
}


@dataclass
class Site:
    client: TestClient
    tokens: dict[str, str]
    changed: dict[str, list[int]]  # per annotator, the items whose retest changed

    def get(self, who: str, url: str) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(url, headers=headers, follow_redirects=False)


def _work(db: Database, uid: int, seed: int) -> list[int]:
    """Label until nothing is left, changing the answer on every other retest; returns
    the items whose retest changed."""
    rng, first, changed, retests = random.Random(seed), set(), [], 0
    while (task := assignment.next_task_for(db, "cq", uid, rng=rng)) is not None:
        answer = "pos"
        if task.item_id in first:
            retests += 1
            if retests % 2:
                answer = "neg"
                changed.append(task.item_id)
        first.add(task.item_id)
        assignment.submit_annotation(
            db,
            task.assignment_id,
            uid,
            value={"sentiment": answer},
            seconds=1.0,
            idempotency_key=f"{task.item_id}-{retests}",
        )
    return changed


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    """Project 'cq' with retests on, labelled by an acme and a globex annotator, and
    'plain' without retests."""
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    apply_spec(db, spec_from_dict({**SPEC, "name": "plain", "quality": {}}), guidelines=None)
    rows = jsonl([{"text": f"review {i}"} for i in range(16)])
    ingestion.import_items(db, "cq", rows, format="jsonl", source="items.jsonl")
    tokens, ids = {}, {}
    for key, (email, role, vendor) in PEOPLE.items():
        made = add_user(
            db, email, role=role, vendor=vendor, projects=["cq", "plain"], with_token=True
        )
        assert made.token is not None
        tokens[key], ids[key] = made.token, made.user.id
    changed = {
        key: _work(db, ids[key], seed) for seed, key in enumerate(("ann_acme", "ann_globex"))
    }
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        yield Site(client, tokens, changed)


def _links(body: str) -> list[int]:
    """The item links of the answers-that-changed table, in order."""
    table = body.split('data-testid="changed"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'href="/projects/cq/items/(\d+)"', table)]


def test_a_manager_sees_everyone_and_the_changed_answers(site: Site) -> None:
    """Both annotators' rows, and one link per changed retest to its item."""
    page = site.get("manager", "/projects/cq/consistency")
    body = page.text
    assert min(len(v) for v in site.changed.values()) > 0
    assert (
        page.status_code,
        body.count('data-testid="consistency-annotator"'),
        sorted(_links(body)),
        "ann@acme.example" in body and "ann@globex.example" in body,
    ) == (200, 2, sorted(site.changed["ann_acme"] + site.changed["ann_globex"]), True)


def test_a_vendors_manager_sees_their_people_only(site: Site) -> None:
    """The acme manager's page holds acme's annotator and acme's changed items only."""
    body = site.get("acme_manager", "/projects/cq/consistency").text
    assert (
        "ann@globex.example" in body,
        body.count('data-testid="consistency-annotator"'),
        sorted(_links(body)),
    ) == (False, 1, sorted(site.changed["ann_acme"]))


def test_annotators_are_refused_and_an_empty_project_says_how_to_start(site: Site) -> None:
    """An annotator gets 403; a project without retests explains the spec setting."""
    refused = site.get("ann_acme", "/projects/cq/consistency")
    empty = site.get("manager", "/projects/plain/consistency")
    assert (
        refused.status_code,
        empty.status_code,
        'data-testid="no-retests"' in empty.text,
        "quality.retest</code> is not set" in empty.text,
    ) == (403, 200, True, True)
