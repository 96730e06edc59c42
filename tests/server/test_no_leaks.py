"""Nothing leaks: an annotator never receives another annotator's labels or email (nor gold
hidden in item metadata, nor another project's items); a vendor-walled manager never receives
another vendor's people or work; media refuse every path out of the project's folder.

Every response an annotator (or the manager) can reach is fetched and searched for markers
planted in the other party's data; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.escalation import Flag
from labelworks.domain.spec import spec_from_dict
from labelworks.jobs.runner import run_job
from labelworks.server.app import create_app
from labelworks.server.security import MEDIA_SECURITY_POLICY
from labelworks.services import (
    assignment,
    catalog,
    consensus,
    escalations,
    gold,
    ingestion,
    reviews,
)
from labelworks.services import users as user_service
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "leaky",
    "description": "two vendors label the same items",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "overlap": 2,
}
# Planted in one party's data; the other party must never receive them.
ANN1 = ["ann1@example.com", "ACME-NOTE-"]
ANN2 = ["ann2@example.com", "GLOBEX-NOTE-", "GLOBEX-SKIP-REASON", "globex"]
# Models' predictions are not shown to annotators unless the spec says so (it does not here).
HIDDEN = ["GOLD-ANSWER-", "HIDDEN-PROJECT-ITEM", "SECRET-MODEL"]
# An expert's gold answer and explanation: only managers outside any vendor may read them.
EXPERT_ANSWER = {"sentiment": "neg", "note": "EXPERT-ANSWER-NOTE"}
EXPERT = ["EXPERT-ANSWER-NOTE", "EXPERT-WHY"]
# Final labels and the adjudication queue are decided from every vendor's work together.
CONSENSUS_URLS = [
    "/api/v1/projects/leaky/final-labels",
    "/api/v1/projects/leaky/final-labels?status=adjudication",
    "/api/v1/projects/leaky/consensus",
    "/api/v1/projects/leaky/adjudication",
]
# The review queue and outcomes: behind a vendor wall, that vendor's people only.
REVIEW_URLS = [
    "/api/v1/projects/leaky/reviews",
    "/api/v1/projects/leaky/reviews?status=all",
    "/api/v1/projects/leaky/reviews/report",
    "/projects/leaky/review",
]

# The escalation queue and the edge-case library: experts outside any vendor only.
ESCALATION_URLS = [
    "/api/v1/projects/leaky/escalations",
    "/api/v1/projects/leaky/escalations?status=all",
    "/api/v1/projects/leaky/edge-cases",
    "/api/v1/projects/leaky/edge-cases?q=FLAG",
    "/projects/leaky/escalations",
    "/projects/leaky/edge-cases",
]
# The Settings tab's Members and Data pages, and the member routes: managers only
# (behind a vendor wall: that vendor's people), an admin for others' tokens.
MEMBER_URLS = [
    "/projects/leaky/settings/members",
    "/projects/leaky/settings/data",
    "/api/v1/projects/leaky/members",
    "/api/v1/users/ann1@example.com/tokens",
    "/api/v1/users/ann2@example.com/tokens",
]
# The spec history and editor: the project's own spec and guidelines, never another's.
SPEC_HISTORY_URLS = [
    "/api/v1/projects/leaky/spec/revisions",
    "/api/v1/projects/leaky/spec/revisions/1",
    "/api/v1/projects/leaky/spec/diff?a=1&b=1",
    "/api/v1/projects/leaky/guidelines",
    "/api/v1/projects/leaky/guidelines/1",
    "/api/v1/projects/hidden/spec/revisions",
    "/api/v1/projects/hidden/guidelines",
    "/projects/new",
    "/projects/leaky/settings/history",
    "/projects/leaky/settings/guidelines/1",
    "/projects/hidden/settings/history",
]
# Planted in flags and in an expert's resolution.
FLAGS = {"ann1": "ACME-FLAG-COMMENT", "ann2": "GLOBEX-FLAG-COMMENT"}
RESOLUTION = ["EXPERT-RESOLVED-NOTE", "EXPERT-RESOLUTION-WHY"]


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    item_ids: list[int]
    data_dir: Path

    def get(self, who: str, url: str) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        r = self.client.get(url, headers=headers, follow_redirects=False)
        return r.status_code, r.content

    def post(self, who: str, url: str, body: Any = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        r = self.client.post(url, json=body, headers=headers, follow_redirects=False)
        return r.status_code, r.content


# Predictions and their evaluation: refused to annotators (no review right) and to vendor
# staff (scored against labels from every vendor).
EVALUATION_URLS = [
    "/api/v1/projects/leaky/predictions/models",
    "/api/v1/projects/leaky/eval/runs",
    "/api/v1/projects/leaky/eval/runs/1",
    "/projects/leaky/evaluation",
    "/projects/leaky/evaluation/runs/1",
    "/projects/leaky/evaluation/compare?a=m&b=n",
    "/projects/leaky/leaderboard",
    "/api/v1/projects/leaky/leaderboard",
]

# Running the operation: people analytics, coaching, capacity, vendors, experiments,
# webhooks and the weekly report. Behind acme's wall: acme's people and work only.
OPERATIONS_URLS = [
    "/api/v1/projects/leaky/people",
    "/api/v1/people",
    "/projects/leaky/people",
    "/people/analytics",
    "/api/v1/projects/leaky/me/coaching",
    "/projects/leaky/me",
    "/api/v1/projects/leaky/forecast",
    "/api/v1/capacity",
    "/projects/leaky/capacity",
    "/capacity",
    "/api/v1/vendors",
    "/vendors",
    "/api/v1/vendors/acme",
    "/vendors/acme",
    "/api/v1/vendors/acme/statement?period=all",
    "/api/v1/projects/leaky/experiments",
    "/projects/leaky/experiments",
    "/api/v1/projects/leaky/webhooks",
    "/api/v1/projects/leaky/webhooks/deliveries",
    "/projects/leaky/settings/webhooks",
    "/api/v1/projects/leaky/report",
    "/api/v1/projects/leaky/report?format=md",
    "/projects/leaky/report",
    "/projects/leaky/report/download?format=html",
]
# Another vendor's records and people, asked for by name: they do not exist for acme.
OTHER_VENDOR_URLS = [
    "/api/v1/vendors/globex",
    "/vendors/globex",
    "/api/v1/vendors/globex/statement?period=all",
    "/api/v1/projects/leaky/people/ann2@example.com/coaching",
    "/projects/leaky/people/ann2@example.com",
]


def _label(db: Database, project: str, annotator_id: int, note: str) -> int:
    task = assignment.next_task_for(db, project, annotator_id)
    assert task is not None
    assignment.submit_annotation(
        db,
        task.assignment_id,
        annotator_id,
        value={"sentiment": "pos", "note": note},
        seconds=1.0,
        idempotency_key=note,
    )
    return task.item_id


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Items labelled by an acme and a globex annotator, gold in the metadata, a project
    the annotators are not in, and an acme-walled manager."""
    apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules\nLabel the feeling.")
    apply_spec(db, spec_from_dict({**SPEC, "name": "hidden"}), guidelines=None)
    rows = [
        {
            "payload": {"text": f"shared review {i}"},
            "metadata": {"gold": f"GOLD-ANSWER-{i}"},
            "pre_annotations": [{"model": "m1", "score": 0.5, "value": {"sentiment": "neg"}}],
            "predictions": [
                {
                    "model": "SECRET-MODEL",
                    "version": "1",
                    "score": 0.9,
                    "value": {"sentiment": "pos"},
                }
            ],
        }
        for i in range(4)
    ]
    ingestion.import_items(db, "leaky", jsonl(rows), format="jsonl", source="a.jsonl")
    ingestion.import_items(
        db, "hidden", jsonl([{"text": "HIDDEN-PROJECT-ITEM"}]), format="jsonl", source="b.jsonl"
    )
    people = {
        "ann1": ("ann1@example.com", "annotator", "acme"),
        "ann2": ("ann2@example.com", "annotator", "globex"),
        "manager": ("boss@example.com", "manager", "acme"),
    }
    tokens, ids = {}, {}
    for key, (email, role, vendor) in people.items():
        made = add_user(db, email, role=role, projects=["leaky"], vendor=vendor, with_token=True)
        assert made.token is not None
        tokens[key], ids[key] = made.token, made.user.id
    add_user(db, "other@example.com", role="annotator", projects=["hidden"])
    # ann2 labels all four items and skips nothing; ann1 labels the first two, so the third
    # (already labelled by ann2) is what ann1 leases next.
    labelled = [_label(db, "leaky", ids["ann2"], f"GLOBEX-NOTE-{i}") for i in range(4)]
    for i in range(2):
        _label(db, "leaky", ids["ann1"], f"ACME-NOTE-{i}")
    media = tmp_path / "data" / "media"
    (media / "leaky").mkdir(parents=True)
    (media / "hidden").mkdir(parents=True)
    (media / "leaky" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\nleaky")
    (media / "hidden" / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\nhidden")
    (media / "leaky" / "out.png").symlink_to(media / "hidden" / "secret.png")
    (media / "leaky" / "elsewhere").symlink_to(media / "hidden", target_is_directory=True)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(client, tokens, labelled, tmp_path / "data")


def _found(body: bytes, markers: list[str]) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    return [m for m in markers if m in text]


def _annotator_crawl(world: World, who: str) -> dict[str, tuple[int, bytes]]:
    """Everything an annotator can ask for, including a whole task round trip."""
    seen: dict[str, tuple[int, bytes]] = {}
    gets = [
        "/api/v1/projects",
        "/api/v1/projects/leaky",
        "/api/v1/projects/leaky/items",
        "/api/v1/projects/leaky/items?label=GLOBEX-NOTE-0",
        "/api/v1/projects/leaky/items?disagreement=any&meta.gold=GOLD-ANSWER-0",
        "/api/v1/projects/leaky/status",
        "/api/v1/projects/leaky/export",
        "/api/v1/projects/leaky/exports/hf?labels=all",
        "/api/v1/projects/leaky/gold",
        "/api/v1/projects/leaky/gold/report",
        "/api/v1/projects/leaky/acceptance",
        "/api/v1/projects/leaky/agreement",
        "/api/v1/projects/leaky/agreement?field=sentiment",
        *CONSENSUS_URLS,
        *REVIEW_URLS,
        *ESCALATION_URLS,
        *MEMBER_URLS,
        "/api/v1/projects/hidden",
        "/api/v1/users",
        "/api/v1/me",
        "/api/v1/me/tokens",
        "/",
        "/people",
        "/projects/leaky",
        "/projects/leaky/label",
        "/projects/leaky/items",
        "/projects/leaky/quality",
        "/projects/leaky/adjudication",
        "/projects/leaky/people",
        "/projects/leaky/settings",
        "/projects/leaky/agreement",
        "/projects/leaky/model",
        "/projects/leaky/model?format=csv",
        "/projects/leaky/model/curve",
        "/api/v1/projects/leaky/model/curve",
        *EVALUATION_URLS,
        "/projects/hidden/label",
        "/settings",
        *(f"/projects/leaky/items/{i}" for i in world.item_ids),
        *(f"/api/v1/projects/leaky/items/{i}" for i in world.item_ids),
        *SPEC_HISTORY_URLS,
        *OPERATIONS_URLS,
    ]
    for url in gets:
        seen[url] = world.get(who, url)
    status, body = seen["POST next"] = world.post(who, "/api/v1/projects/leaky/next")
    if status == 200:
        task = json.loads(body)
        submit = {"value": {"sentiment": "neg"}, "idempotency_key": "crawl"}
        url = f"/api/v1/assignments/{task['assignment_id']}"
        seen["POST submit"] = world.post(who, f"{url}/submit", submit)
        seen["POST replay"] = world.post(who, f"{url}/submit", submit)
        seen["POST skip closed"] = world.post(who, f"{url}/skip", {})
    seen["POST next again"] = world.post(who, "/api/v1/projects/leaky/next")
    seen["POST next hidden"] = world.post(who, "/api/v1/projects/hidden/next")
    return seen


def test_annotators_never_see_each_other(world: World) -> None:
    """Neither annotator's responses hold the other's labels or email, gold, or the hidden
    project; the crawl itself reached the task, the pages and the error answers."""
    leaks = {}
    statuses = {}
    tasks = {}
    for who, others in (("ann1", ANN2 + HIDDEN), ("ann2", ANN1 + HIDDEN)):
        crawl = _annotator_crawl(world, who)
        tasks[who] = _found(crawl["POST next"][1], ["shared review 2", "m1"])
        statuses[who] = {url: status for url, (status, _) in crawl.items()}
        for url, (_, body) in crawl.items():
            if found := _found(body, others):
                leaks[(who, url)] = found
    assert (leaks, tasks) == ({}, {"ann1": ["shared review 2", "m1"], "ann2": []})
    ann1 = statuses["ann1"]
    assert (ann1["POST next"], ann1["POST submit"], ann1["/projects/leaky/label"]) == (
        200,
        200,
        200,
    )
    assert (statuses["ann2"]["POST next"], statuses["ann2"]["POST next again"]) == (204, 204)


def _manager_crawl(world: World) -> dict[str, bytes]:
    urls = [
        "/api/v1/projects",
        "/api/v1/projects/leaky/items",
        "/api/v1/projects/leaky/items?annotator=ann1@example.com",
        "/api/v1/projects/leaky/items?annotator=ann2@example.com",
        "/api/v1/projects/leaky/items?label=neg",
        # The Items table's other filters and sorts: counts and rows from acme's work only.
        "/api/v1/projects/leaky/items?disagreement=any",
        "/api/v1/projects/leaky/items?disagreement=note&sort=-n_submitted&count=exact",
        "/api/v1/projects/leaky/items?score_min=0.1&meta.gold=GOLD-ANSWER-1",
        "/api/v1/projects/leaky/gold",
        "/api/v1/projects/leaky/gold/report",
        "/api/v1/projects/leaky/acceptance",
        "/api/v1/projects/leaky/agreement",
        "/api/v1/projects/leaky/agreement?field=sentiment",
        *CONSENSUS_URLS,
        *REVIEW_URLS,
        *ESCALATION_URLS,
        *MEMBER_URLS,
        # Media processing's report and page: counts and reasons, no one's work.
        "/api/v1/projects/leaky/media",
        "/projects/leaky/settings/media",
        "/api/v1/users",
        "/api/v1/me",
        "/api/v1/me/tokens",
        "/",
        "/people",
        "/projects/leaky/items",
        "/projects/leaky/items?label=pos",
        "/projects/leaky/items?annotator=ann2@example.com",
        "/projects/leaky/items?disagreement=any&sort=-n_submitted&meta.gold=GOLD-ANSWER-2",
        "/projects/leaky/quality",
        "/projects/leaky/adjudication",
        "/projects/leaky/people",
        "/projects/leaky/settings",
        "/projects/leaky/consistency",
        "/projects/leaky/agreement",
        "/projects/leaky/model",
        "/projects/leaky/model?format=csv",
        "/projects/leaky/model/curve",
        "/api/v1/projects/leaky/model/curve",
        *EVALUATION_URLS,
        "/settings",
        "/projects/hidden",
        "/api/v1/projects/hidden/items",
        *(f"/projects/leaky/items/{i}" for i in world.item_ids),
        *(f"/api/v1/projects/leaky/items/{i}" for i in world.item_ids),
        *(f"/projects/leaky/items/{i}" for i in range(1, 8) if i not in world.item_ids),
        *SPEC_HISTORY_URLS,
        *OPERATIONS_URLS,
        "/api/v1/projects/leaky/people/ann1@example.com/coaching",
        "/projects/leaky/people/ann1@example.com",
    ]
    return {url: _without_echo(url, world.get("manager", url)[1]) for url in urls}


def _without_echo(url: str, body: bytes) -> bytes:
    """The body without the filter inputs that show the URL's own query values back: the
    caller's own words, not anyone's data."""
    for values in parse_qs(urlsplit(url).query).values():
        for value in values:
            body = body.replace(f'value="{html.escape(value)}"'.encode(), b'value=""')
    return body


def test_vendor_walled_manager_sees_only_their_vendor(world: World) -> None:
    """An acme manager's items, item pages and people hold acme's work but nothing of
    globex's (its annotator, labels, vendor), nor the item of a project they are not in
    (asked for by id under their own project)."""
    crawl = _manager_crawl(world)
    others = [*ANN2, "HIDDEN-PROJECT-ITEM"]
    leaks = {url: found for url, body in crawl.items() if (found := _found(body, others))}
    assert leaks == {}
    # Acceptance figures pool every vendor's work: refused whole, not filtered. Agreement is
    # measured on the caller's vendor's annotations alone (the crawl found none of globex's).
    assert world.get("manager", "/api/v1/projects/leaky/acceptance")[0] == 403
    assert world.get("manager", "/api/v1/projects/leaky/agreement")[0] == 200
    assert world.get("manager", "/api/v1/projects/leaky/agreement?vendor=globex")[0] == 403
    item_pages = [crawl[f"/projects/leaky/items/{i}"] for i in world.item_ids]
    assert [_found(page, ANN1) for page in item_pages] == [
        ["ann1@example.com", "ACME-NOTE-"],
        ["ann1@example.com", "ACME-NOTE-"],
        [],
        [],
    ]


def test_another_vendors_records_and_people_do_not_exist_behind_a_wall(world: World) -> None:
    """Asked for by name, globex's vendor record, statement and its annotator's coaching
    page are 'not found' for acme's manager, as for a name nobody has, and the annotators
    may open no one's coaching page but their own."""
    manager = [world.get("manager", url)[0] for url in OTHER_VENDOR_URLS]
    nobody = [
        world.get("manager", url.replace("globex", "nobody").replace("ann2@", "nobody@"))[0]
        for url in OTHER_VENDOR_URLS
    ]
    peers = [world.get("ann1", url)[0] for url in OTHER_VENDOR_URLS[3:]]
    own = [world.get("ann1", url.replace("ann2", "ann1"))[0] for url in OTHER_VENDOR_URLS[3:]]
    assert (manager, nobody, peers, own) == ([404] * 5, [404] * 5, [403, 403], [200, 200])


def test_vendor_walled_manager_status_export_and_project_page(world: World) -> None:
    """Status, every export format and the project page show an acme manager nothing of
    globex's people or labels."""
    urls = [
        "/api/v1/projects/leaky/status",
        "/api/v1/projects/leaky/export?format=jsonl",
        "/api/v1/projects/leaky/export?format=csv",
        "/projects/leaky",
    ]
    bodies = {url: world.get("manager", url)[1] for url in urls}
    parquet = world.get("manager", "/api/v1/projects/leaky/export?format=parquet")[1]
    bodies["parquet"] = str(pq.read_table(io.BytesIO(parquet)).to_pylist()).encode()
    # A dataset export with every annotation the manager may see: a zip, read unpacked.
    hf = world.get("manager", "/api/v1/projects/leaky/exports/hf?labels=all")[1]
    with zipfile.ZipFile(io.BytesIO(hf)) as archive:
        bodies["hf"] = b"".join(archive.read(name) for name in archive.namelist())
    leaks = {url: found for url, body in bodies.items() if (found := _found(body, ANN2))}
    assert leaks == {}


def test_media_refuses_paths_out_of_the_project(world: World) -> None:
    """Traversal (plain, encoded, absolute, backslashes), symlinks out and other projects'
    files are 404; a real file is served with the sandbox policy."""
    attempts = [
        "/media/leaky/../hidden/secret.png",
        "/media/leaky/%2e%2e/hidden/secret.png",
        "/media/leaky/..%2fhidden%2fsecret.png",
        "/media/leaky/%2e%2e%2f%2e%2e%2fsecret.key",
        "/media/leaky/..%2f..%2f..%2fetc%2fpasswd",
        "/media/leaky//etc/passwd",
        "/media/leaky/%2Fetc%2Fpasswd",
        f"/media/leaky/{'%2F'.join(['', *world.data_dir.parts[1:], 'secret.key'])}",
        "/media/leaky/..%5c..%5csecret.key",
        "/media/leaky/out.png",
        "/media/leaky/elsewhere/secret.png",
        "/media/leaky/missing.png",
        "/media/leaky/",
        "/media/hidden/secret.png",
        "/media/%2e%2e/secret.key",
    ]
    assert (world.data_dir / "secret.key").is_file()
    statuses = {url: world.get("ann1", url)[0] for url in attempts}
    assert statuses == dict.fromkeys(attempts, 404)
    response = world.client.get(
        "/media/leaky/ok.png", headers={"Authorization": f"Bearer {world.tokens['ann1']}"}
    )
    assert (
        response.status_code,
        response.content,
        response.headers["content-type"],
        response.headers["content-security-policy"],
        response.headers["x-content-type-options"],
    ) == (200, b"\x89PNG\r\n\x1a\nleaky", "image/png", MEDIA_SECURITY_POLICY, "nosniff")


def test_gold_answers_reach_no_annotator_reviewer_or_vendor_manager(
    world: World, db: Database
) -> None:
    """With a gold item served first (gold rate 1) to an annotator and a reviewer: nothing
    they or the acme manager receive (every crawl above, the gold routes, the gold item's
    page, the Quality page, the gold task round trip) holds the expert's answer or
    explanation; the crawls did reach the gold item, and an admin does get the answer (on
    the API, the item page and the Quality page)."""
    apply_spec(
        db,
        spec_from_dict({**SPEC, "quality": {"gold_rate": 1.0}}),
        guidelines="# Rules\nLabel the feeling.",
    )
    gold_row = {"payload": {"text": "GOLD-ITEM-TEXT"}}
    ingestion.import_items(db, "leaky", jsonl([gold_row]), format="jsonl", source="g.jsonl")
    (gold_item,) = catalog.list_items(db, "leaky", text="GOLD-ITEM-TEXT").items
    gold.mark_gold(db, "leaky", gold_item.id, value=EXPERT_ANSWER, explanation="EXPERT-WHY")
    for who, role in (("reviewer", "reviewer"), ("admin", "admin")):
        made = add_user(db, f"{who}@example.com", role=role, projects=["leaky"], with_token=True)
        assert made.token is not None
        world.tokens[who] = made.token
    gold_urls = ["/api/v1/projects/leaky/gold", "/api/v1/projects/leaky/gold/report"]
    more = [
        f"/projects/leaky/items/{gold_item.id}",
        "/projects/leaky/quality",
        "/projects/leaky/items",
        "/api/v1/projects/leaky/items",
        "/api/v1/projects/leaky/export?format=jsonl",
        "/api/v1/projects/leaky/export?format=csv",
        *gold_urls,
    ]
    crawls = {
        "ann1": _annotator_crawl(world, "ann1"),
        "reviewer": {
            **_annotator_crawl(world, "reviewer"),
            **{url: world.get("reviewer", url) for url in more},
        },
        "manager": {
            **{url: (0, body) for url, body in _manager_crawl(world).items()},
            **{url: world.get("manager", url) for url in more},
        },
    }
    leaks = {
        (who, url): found
        for who, crawl in crawls.items()
        for url, (_, body) in crawl.items()
        if (found := _found(body, EXPERT))
    }
    served = {
        who: _found(crawls[who]["POST next"][1], ["GOLD-ITEM-TEXT"]) for who in ("ann1", "reviewer")
    }
    statuses = {who: [crawls[who][url][0] for url in gold_urls] for who in crawls}
    pages = [f"/projects/leaky/items/{gold_item.id}", "/projects/leaky/quality"]
    page_statuses = {who: [crawls[who][url][0] for url in pages[1:]] for who in crawls}
    admin_pages = [_found(world.get("admin", url)[1], EXPERT) for url in pages]
    admin = world.get("admin", "/api/v1/projects/leaky/gold")
    assert (leaks, served) == (
        {},
        {"ann1": ["GOLD-ITEM-TEXT"], "reviewer": ["GOLD-ITEM-TEXT"]},
    )
    assert statuses == {"ann1": [403, 403], "reviewer": [403, 200], "manager": [403, 200]}
    assert (page_statuses, admin_pages) == (
        {"ann1": [403], "reviewer": [200], "manager": [200]},
        [EXPERT, EXPERT],
    )
    assert (admin[0], _found(admin[1], EXPERT)) == (200, EXPERT)


def test_final_labels_and_adjudication_reach_no_annotator_or_vendor_manager(
    world: World, db: Database
) -> None:
    """With consensus on, the two items both vendors labelled wait for an expert with both
    notes in their proposals and annotations: neither annotator nor the acme manager gets
    any of it from the consensus routes (all 403), a refit or a decision they attempt
    (403), or an export (no ``final`` for the manager); an in-house admin does get it."""
    apply_spec(
        db,
        spec_from_dict(
            {**SPEC, "quality": {"dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9}}}
        ),
        guidelines="# Rules\nLabel the feeling.",
    )
    tally = consensus.refit_project(db, "leaky")
    made = add_user(db, "admin@example.com", role="admin", with_token=True)
    assert made.token is not None
    world.tokens["admin"] = made.token
    decision = {"value": {"sentiment": "neg"}, "note": "leak"}
    first = world.item_ids[0]
    writes = {
        "refit": "/api/v1/projects/leaky/consensus/refit",
        "decide": f"/api/v1/projects/leaky/items/{first}/adjudicate",
    }
    exports = [f"/api/v1/projects/leaky/export?format={f}" for f in ("jsonl", "csv")]
    crawls = {
        "ann1": _annotator_crawl(world, "ann1"),
        "ann2": _annotator_crawl(world, "ann2"),
        "manager": {
            **{url: (0, body) for url, body in _manager_crawl(world).items()},
            **{url: world.get("manager", url) for url in exports},
        },
    }
    for who in crawls:
        for name, url in writes.items():
            crawls[who][name] = world.post(who, url, decision if name == "decide" else None)
    others = {"ann1": ANN2, "ann2": ANN1, "manager": [*ANN2, '"final"', "annotations,final"]}

    def markers(who: str, url: str) -> list[str]:
        # A vendor's scorecard names its SLA's turnaround to a final label "final": hours,
        # never a label; its people and labels are still searched for.
        vendor_card = url.startswith(("/api/v1/vendors", "/vendors"))
        return [m for m in others[who] if not (vendor_card and m == '"final"')]

    leaks = {
        (who, url): found
        for who, crawl in crawls.items()
        for url, (_, body) in crawl.items()
        if (found := _found(body, markers(who, url)))
    }
    statuses = {
        who: [crawls[who][url][0] for url in [*CONSENSUS_URLS, *writes]] for who in ("ann1", "ann2")
    }
    manager = [world.get("manager", url)[0] for url in CONSENSUS_URLS]
    manager += [crawls["manager"][name][0] for name in writes]
    admin = [world.get("admin", url) for url in [*CONSENSUS_URLS, exports[0]]]
    assert (tally["adjudicate"], leaks) == (2, {})
    assert (statuses, manager) == (
        {"ann1": [403] * 6, "ann2": [403] * 6},
        [403] * 6,
    )
    # The proposals hold one of the two notes (the medoid); the queue and the export both.
    assert [(status, _found(body, ["ACME-NOTE-", "GLOBEX-NOTE-"])) for status, body in admin] == [
        (200, ["GLOBEX-NOTE-"]),
        (200, ["GLOBEX-NOTE-"]),
        (200, []),
        (200, ["ACME-NOTE-", "GLOBEX-NOTE-"]),
        (200, ["ACME-NOTE-", "GLOBEX-NOTE-"]),
    ]


def test_the_adjudication_page_reaches_no_annotator_or_vendor_manager(
    world: World, db: Database
) -> None:
    """With both items both vendors labelled waiting for an expert, the Adjudication page
    is refused to either annotator and the acme manager (whose project and Quality pages
    show no queue, count or link either) and shows nothing of the other party anywhere;
    an in-house admin's page shows both vendors' notes."""
    apply_spec(
        db,
        spec_from_dict(
            {**SPEC, "quality": {"dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9}}}
        ),
        guidelines="# Rules\nLabel the feeling.",
    )
    consensus.refit_project(db, "leaky")
    made = add_user(db, "admin@example.com", role="admin", with_token=True)
    assert made.token is not None
    world.tokens["admin"] = made.token
    pages = ["/projects/leaky/adjudication", "/projects/leaky", "/projects/leaky/quality"]
    seen = {(who, url): world.get(who, url) for who in ("ann1", "ann2", "manager") for url in pages}
    others = {"ann1": ANN2, "ann2": ANN1, "manager": ANN2}
    leaks = {
        key: found for key, (_, body) in seen.items() if (found := _found(body, others[key[0]]))
    }
    queue = {key: b"/adjudication" in body for key, (_, body) in seen.items()}
    admin = world.get("admin", pages[0])
    assert (leaks, {key: status for key, (status, _) in seen.items() if key[1] == pages[0]}) == (
        {},
        {("ann1", pages[0]): 403, ("ann2", pages[0]): 403, ("manager", pages[0]): 403},
    )
    assert (queue[("manager", pages[1])], queue[("manager", pages[2])]) == (False, False)
    assert (admin[0], _found(admin[1], ["ACME-NOTE-", "GLOBEX-NOTE-", "ann1@", "ann2@"])) == (
        200,
        ["ACME-NOTE-", "GLOBEX-NOTE-"],
    )


def test_qualification_questions_keep_their_answers(world: World, db: Database) -> None:
    """With a qualification test in force, the annotator's whole crawl (a test question
    served and answered, the qualification report and the Quality page refused) holds no
    expert answer or explanation and their submit's feedback is null; the acme manager's
    qualification report and page (which do list acme's annotator) hold neither the
    answers nor globex's people. Only in a
    training project does a submit's feedback carry the expert's answer and why."""
    rules = "# Rules\nLabel the feeling."
    quality = {"qualification": {"items": 2, "pass": 1.0}}
    apply_spec(db, spec_from_dict({**SPEC, "quality": quality}), guidelines=rules)
    rows = [{"payload": {"text": f"QUESTION-{i}"}} for i in range(3)]
    ingestion.import_items(db, "leaky", jsonl(rows), format="jsonl", source="q.jsonl")
    for row in catalog.list_items(db, "leaky", text="QUESTION-").items:
        gold.mark_gold(db, "leaky", row.id, value=EXPERT_ANSWER, explanation="EXPERT-WHY")
    urls = ["/api/v1/projects/leaky/qualification", "/projects/leaky/quality"]
    ann1 = {**_annotator_crawl(world, "ann1"), **{url: world.get("ann1", url) for url in urls}}
    manager = {url: world.get("manager", url) for url in urls}
    leaks = {
        (who, url): found
        for who, crawl, markers in (("ann1", ann1, EXPERT), ("manager", manager, EXPERT + ANN2))
        for url, (_, body) in crawl.items()
        if (found := _found(body, markers))
    }
    task = json.loads(ann1["POST next"][1])
    apply_spec(db, spec_from_dict({**SPEC, "quality": {"training": True}}), guidelines=rules)
    status, body = world.post("ann1", "/api/v1/projects/leaky/next")
    trained = world.post(
        "ann1",
        f"/api/v1/assignments/{json.loads(body)['assignment_id']}/submit",
        {"value": {"sentiment": "pos"}, "idempotency_key": "trained"},
    )
    assert (leaks, task["progress"]["note"], json.loads(ann1["POST submit"][1])["feedback"]) == (
        {},
        "qualification test, attempt 1 of 1: question 1 of 2",
        None,
    )
    assert [ann1[url][0] for url in urls] + [manager[url][0] for url in urls] == [
        403,
        403,
        200,
        200,
    ]
    assert [_found(manager[url][1], ANN1[:1]) for url in urls] == [ANN1[:1], ANN1[:1]]
    assert (status, trained[0], json.loads(trained[1])["feedback"]) == (
        200,
        200,
        {
            "correct": False,
            "fields": {"sentiment": False, "note": False},
            "expert": EXPERT_ANSWER,
            "explanation": "EXPERT-WHY",
        },
    )


def test_reviews_reach_no_other_vendor(world: World, db: Database) -> None:
    """With review on and both vendors' new work waiting, acme's reviewer and manager get
    acme's reviews and outcomes only, on the API and the Review page, and globex's reviews
    do not exist for them (404) when they try to decide one; annotators get 403 from every
    review route; an in-house admin gets both vendors' work."""
    apply_spec(
        db,
        spec_from_dict({**SPEC, "quality": {"review": {"first_n": 10}}}),
        guidelines="# Rules\nLabel the feeling.",
    )
    rows = [{"payload": {"text": f"reviewed review {i}"}} for i in range(2)]
    ingestion.import_items(db, "leaky", jsonl(rows), format="jsonl", source="r.jsonl")
    people = {"reviewer": ("rev@acme.example", "acme"), "admin": ("admin@example.com", None)}
    for who, (email, vendor) in people.items():
        made = add_user(db, email, role=who, vendor=vendor, projects=["leaky"], with_token=True)
        assert made.token is not None
        world.tokens[who] = made.token
    uid = {who: user_service.user_by_email(db, f"{who}@example.com").id for who in ("ann1", "ann2")}
    for i in range(2):
        _label(db, "leaky", uid["ann1"], f"ACME-NOTE-R{i}")
        _label(db, "leaky", uid["ann2"], f"GLOBEX-NOTE-R{i}")
    queue = reviews.review_queue(db, "leaky")
    theirs = [r.id for r in queue if r.vendor == "globex"]
    crawls = {
        who: {url: world.get(who, url) for url in REVIEW_URLS}
        for who in ("reviewer", "manager", "ann1", "ann2", "admin")
    }
    for who in ("reviewer", "manager", "ann1"):
        for rid in theirs:
            url = f"/api/v1/projects/leaky/reviews/{rid}"
            crawls[who][f"decide {rid}"] = world.post(who, url, {"decision": "accept"})
    others = {"reviewer": ANN2, "manager": ANN2, "ann1": ANN2, "ann2": ANN1}
    leaks = {
        (who, url): found
        for who, crawl in crawls.items()
        if who != "admin"
        for url, (_, body) in crawl.items()
        if (found := _found(body, others[who]))
    }
    statuses = {who: sorted({code for code, _ in crawl.values()}) for who, crawl in crawls.items()}
    acme = [
        _found(crawls[who][url][1], ["ACME-NOTE-R"])
        for who in ("reviewer", "manager")
        for url in REVIEW_URLS[:2]
    ]
    both = ["ACME-NOTE-R", "GLOBEX-NOTE-R"]
    admin = [_found(body, both) for _, body in crawls["admin"].values()]
    assert (len(queue), len(theirs), leaks) == (4, 2, {})
    assert statuses == {
        "reviewer": [200, 404],
        "manager": [200, 404],
        "ann1": [403],
        "ann2": [403],
        "admin": [200],
    }
    assert acme == [["ACME-NOTE-R"]] * 4
    assert admin == [both, both, [], both]
    assert [r.status for r in reviews.review_queue(db, "leaky", status=None)] == ["pending"] * 4


def test_flags_and_resolutions_reach_no_annotator_or_vendor_manager(
    world: World, db: Database
) -> None:
    """With a flag from each vendor's annotator (globex's resolved by an in-house admin, with
    an answer and a note), no annotator gets another's flag or the expert's answer or note
    anywhere (every escalation route and page: 403), nor does the acme manager; the admin
    gets them all."""
    rows = [{"payload": {"text": "FLAG-ITEM-TEXT"}}]
    ingestion.import_items(db, "leaky", jsonl(rows), format="jsonl", source="f.jsonl")
    made = add_user(db, "admin@example.com", role="admin", with_token=True)
    assert made.token is not None
    world.tokens["admin"] = made.token
    for who, comment in FLAGS.items():
        uid = user_service.user_by_email(db, f"{who}@example.com").id
        task = assignment.next_task_for(db, "leaky", uid)
        assert task is not None
        assignment.skip_task(db, task.assignment_id, uid, flag=Flag("edge_case", comment))
    (globex,) = [e.id for e in escalations.escalation_queue(db, "leaky") if e.vendor == "globex"]
    answer = {"sentiment": "neg", "note": RESOLUTION[0]}
    escalations.resolve_escalation(db, "leaky", globex, answer=answer, note=RESOLUTION[1])
    crawls = {
        "ann1": _annotator_crawl(world, "ann1"),
        "ann2": _annotator_crawl(world, "ann2"),
        "manager": {url: (0, body) for url, body in _manager_crawl(world).items()},
    }
    others = {
        "ann1": [FLAGS["ann2"], *RESOLUTION],
        "ann2": [FLAGS["ann1"], *RESOLUTION],
        "manager": [FLAGS["ann2"], *RESOLUTION],
    }
    leaks = {
        (who, url): found
        for who, crawl in crawls.items()
        for url, (_, body) in crawl.items()
        if (found := _found(body, others[who]))
    }
    statuses = {
        who: sorted({world.get(who, url)[0] for url in ESCALATION_URLS})
        for who in ("ann1", "ann2", "manager")
    }
    admin = [
        _found(world.get("admin", url)[1], [*FLAGS.values(), *RESOLUTION])
        for url in ("/api/v1/projects/leaky/escalations?status=all", "/projects/leaky/edge-cases")
    ]
    assert (leaks, statuses) == ({}, {"ann1": [403], "ann2": [403], "manager": [403]})
    assert admin == [[*FLAGS.values(), *RESOLUTION], [FLAGS["ann2"], *RESOLUTION]]


CONSISTENCY_URLS = ["/api/v1/projects/leaky/consistency", "/projects/leaky/consistency"]


def _shape(value: Any) -> Any:
    """A JSON value's keys all the way down, without its values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k not in ("payload", "value")}
    return type(value).__name__


def _work_through_api(world: World, who: str, n: int) -> tuple[list[Any], list[Any], int]:
    """``n`` tasks answered through the API: each task's and each submit's shape, and how
    many tasks re-served a text the annotator had already labelled."""
    tasks, submits, seen, again = [], [], set(), 0
    for k in range(n):
        status, body = world.post(who, "/api/v1/projects/leaky/next")
        if status != 200:
            break
        task = json.loads(body)
        text = task["item"]["payload"]["text"]
        again += text in seen
        seen.add(text)
        tasks.append(task)
        answer = {"value": {"sentiment": "pos", "note": f"{who}-{k}"}, "idempotency_key": f"t{k}"}
        url = f"/api/v1/assignments/{task['assignment_id']}/submit"
        submits.append(json.loads(world.post(who, url, answer)[1]))
    return tasks, submits, again


def test_retests_are_unannounced_and_reach_no_other_vendor(world: World, db: Database) -> None:
    """A retest reaches its annotator as an ordinary task (same keys, no word of it) and
    its submit answers alike; the consistency report and page show an acme manager acme's
    retests only, and annotators get 403."""
    spec = {**SPEC, "quality": {"retest": {"rate": 0.5, "after": 1}}}
    apply_spec(db, spec_from_dict(spec), guidelines="# Rules\nLabel the feeling.")
    rows = [{"payload": {"text": f"audited review {i}"}} for i in range(20)]
    ingestion.import_items(db, "leaky", jsonl(rows), format="jsonl", source="t.jsonl")
    tasks, submits, retested = [], [], {}
    for who in ("ann1", "ann2"):
        done = _work_through_api(world, who, 16)
        tasks += done[0]
        submits += done[1]
        retested[who] = done[2]
    crawls = {
        who: {url: world.get(who, url) for url in CONSISTENCY_URLS}
        for who in ("manager", "ann1", "ann2")
    }
    others = {"manager": ANN2, "ann1": ANN2, "ann2": ANN1}
    leaks = {
        (who, url): found
        for who, crawl in crawls.items()
        for url, (_, body) in crawl.items()
        if (found := _found(body, others[who]))
    }
    report = json.loads(crawls["manager"][CONSISTENCY_URLS[0]][1])
    assert (min(retested.values()) > 0, leaks) == (True, {})
    assert (
        {json.dumps(_shape(t), sort_keys=True) for t in tasks},
        {json.dumps(_shape(s), sort_keys=True) for s in submits},
        any("retest" in json.dumps(t) for t in tasks),
    ) == (
        {json.dumps(_shape(tasks[0]), sort_keys=True)},
        {json.dumps(_shape(submits[0]), sort_keys=True)},
        False,
    )
    # The report may hold more of ann1's retests than counted here: items they labelled
    # before this test came back too.
    assert (
        [a["email"] for a in report["annotators"]],
        report["retests"] >= retested["ann1"],
        {who: sorted({code for code, _ in crawl.values()}) for who, crawl in crawls.items()},
    ) == (
        ["ann1@example.com"],
        True,
        {"manager": [200], "ann1": [403], "ann2": [403]},
    )


def test_jobs_hold_and_show_only_what_their_starter_may_see(world: World, db: Database) -> None:
    """An acme manager's background export holds acme's work alone, and an admin's export
    job of every vendor's work is neither listed to them nor downloadable by them."""
    made = add_user(db, "root@example.com", role="admin", with_token=True)
    assert made.token is not None
    world.tokens["admin"] = made.token
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    ids = {}
    for who in ("manager", "admin"):
        status, body = world.post(
            who, "/api/v1/projects/leaky/jobs/export", {"format": "jsonl", "labels": "all"}
        )
        assert status == 202, body
        ids[who] = json.loads(body)["id"]
        finished = run_job(db, settings, ids[who])
        assert finished is not None and finished.state == "succeeded"
    mine = world.get("manager", f"/api/v1/jobs/{ids['manager']}/download")
    everyone = world.get("admin", f"/api/v1/jobs/{ids['admin']}/download")
    assert (mine[0], _found(mine[1], ANN1), _found(mine[1], ANN2)) == (200, ANN1, [])
    assert _found(everyone[1], ANN2) == ANN2[:2]  # the crawl would catch a leak
    urls = [
        "/api/v1/jobs",
        f"/api/v1/jobs/{ids['manager']}",
        "/jobs",
        "/projects/leaky/jobs",
    ]
    crawl = {url: world.get("manager", url) for url in urls}
    leaks = {url: found for url, (_, body) in crawl.items() if (found := _found(body, ANN2))}
    assert leaks == {}
    listed = [j["id"] for j in json.loads(crawl["/api/v1/jobs"][1])]
    assert listed == [ids["manager"]]
    refused = [
        world.get("manager", f"/api/v1/jobs/{ids['admin']}")[0],
        world.get("manager", f"/api/v1/jobs/{ids['admin']}/download")[0],
    ]
    assert refused == [404, 404]


# A blind campaign: its models' names must never reach an evaluator.
BLIND_MODELS = ["SECRET-MODEL-ONE", "SECRET-MODEL-TWO", "SECRET-MODEL-THREE"]
# Its LLM judge: where it answers and which model it is are the managers' business too.
BLIND_JUDGE = {"endpoint": "http://secret-judge-host.example/v1", "model": "SECRET-JUDGE-MODEL",
               "prompt": "secret-judge-prompt@1"}  # fmt: skip


def _blind_campaign(db: Database, evaluator: str) -> None:
    spec = {"name": "blind", "fields": [{"name": "pref", "kind": "pairwise"}], "overlap": 1,
            "evaluation": {"models": BLIND_MODELS, "judges": {"j": BLIND_JUDGE}}}  # fmt: skip
    apply_spec(db, spec_from_dict(spec), guidelines="# Pick the better answer")
    rows = [
        {
            "id": f"q{i}",
            "prompt": f"prompt {i}",
            "outputs": {m: f"answer {k}-{i}" for k, m in enumerate(BLIND_MODELS)},
            "metadata": {"category": "c"},
        }
        for i in range(3)
    ]
    ingestion.import_items(db, "blind", jsonl(rows), format="jsonl", source="c.jsonl")
    user_service.add_member(db, "blind", evaluator)


def test_evaluators_never_learn_which_model_wrote_what(world: World, db: Database) -> None:
    """An evaluator of a blind campaign leases, votes on and skips comparisons, opens every
    page and route they can reach (items, export, leaderboard, evaluation): no response
    names a model or the judge, while the manager's leaderboard does."""
    _blind_campaign(db, "ann1@example.com")
    seen: dict[str, tuple[int, bytes]] = {}
    for url in (
        "/projects/blind/label",
        "/projects/blind",
        "/projects/blind/items",
        "/projects/blind/leaderboard",
        "/projects/blind/evaluation",
        "/api/v1/projects/blind",
        "/api/v1/projects/blind/items",
        "/api/v1/projects/blind/items/1",
        "/api/v1/projects/blind/export",
        "/api/v1/projects/blind/leaderboard",
        "/api/v1/projects/blind/predictions/models",
        "/projects/blind/judges",
        "/projects/blind/judges/j/calibration",
        "/api/v1/projects/blind/judges",
        "/api/v1/projects/blind/judges/j/calibration",
    ):
        seen[url] = world.get("ann1", url)
    for k in range(3):
        status, body = seen[f"POST next {k}"] = world.post("ann1", "/api/v1/projects/blind/next")
        assert status == 200
        task = json.loads(body)
        url = f"/api/v1/assignments/{task['assignment_id']}"
        if k == 2:
            seen["POST skip"] = world.post("ann1", f"{url}/skip", {})
        else:
            answer = {"value": {"pref": {"choice": "a"}}, "idempotency_key": f"b{k}"}
            seen[f"POST submit {k}"] = world.post("ann1", f"{url}/submit", answer)
    secrets = [*BLIND_MODELS, "SECRET-JUDGE-MODEL", "secret-judge-host", "secret-judge-prompt"]
    leaks = {url: found for url, (_, body) in seen.items() if (found := _found(body, secrets))}
    statuses = {
        url: status
        for url, (status, _) in seen.items()
        if url.startswith("/api/v1/projects/blind/")
    }
    assert leaks == {}
    assert statuses["/api/v1/projects/blind/leaderboard"] == 403
    assert statuses["/api/v1/projects/blind/judges"] == 403
    admin = add_user(db, "root@example.com", role="admin", with_token=True).token
    assert admin is not None
    world.tokens["admin"] = admin
    assert _found(world.get("admin", "/api/v1/projects/blind/leaderboard")[1], BLIND_MODELS)
