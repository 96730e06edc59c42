"""Every ``/api/v1`` route in-process with Bearer tokens, plus sessions: CSRF, login throttle,
logout and the password change page; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import catalog, passwords, progress
from labelworks.services.auth import set_password
from labelworks.services.gold import mark_gold
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_member, add_user
from labelworks.storage.engine import Database
from labelworks.storage.tables import assignments

SPEC: dict[str, Any] = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]}],
    "overlap": 1,
}
PASSWORD = "correct horse"

# An import without history: no annotations restored, nobody created.
IMPORTED = {"project": "reviews", "annotations": 0, "created_annotators": []}


@dataclass
class Env:
    client: TestClient
    db: Database
    tokens: dict[str, str]
    ids: dict[str, int]

    def item_of(self, assignment_id: int) -> int:
        """The item behind an assignment (annotators' responses do not name it)."""
        with self.db.read() as conn:
            found = conn.execute(
                select(assignments.c.item_id).where(assignments.c.id == assignment_id)
            ).scalar_one()
        return int(found)

    def call(self, who: str | None, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.request(method, url, headers=headers, **kwargs)


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """The app with project ``reviews``, an admin, its manager and two annotators."""
    apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules\nBe kind.")
    people = {
        "admin": ("root@example.com", "admin", None, None),
        "manager": ("boss@example.com", "manager", ["reviews"], None),
        "ann1": ("ann1@example.com", "annotator", ["reviews"], "acme"),
        "ann2": ("ann2@example.com", "annotator", ["reviews"], "globex"),
    }
    tokens, ids = {}, {}
    for key, (email, role, projects, vendor) in people.items():
        created = add_user(db, email, role=role, projects=projects, vendor=vendor, with_token=True)
        assert created.token is not None
        tokens[key], ids[key] = created.token, created.user.id
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        yield Env(client, db, tokens, ids)


def _import(env: Env, rows: list[dict[str, Any]], project: str = "reviews") -> httpx.Response:
    return env.call("admin", "POST", f"/api/v1/projects/{project}/items", json=rows)


def _lease_and_submit(env: Env, who: str, value: dict[str, Any]) -> int:
    task = env.call(who, "POST", "/api/v1/projects/reviews/next").json()
    body = {"value": value, "seconds": 3.0, "idempotency_key": f"{who}-{task['assignment_id']}"}
    done = env.call(who, "POST", f"/api/v1/assignments/{task['assignment_id']}/submit", json=body)
    assert done.status_code == 200
    return env.item_of(task["assignment_id"])


def test_anonymous_and_malformed_credentials_get_401(env: Env) -> None:
    """No credentials, a wrong scheme or an unknown token: 401 with a stable code."""
    responses = {
        "none": env.client.get("/api/v1/projects"),
        "basic": env.client.get("/api/v1/projects", headers={"Authorization": "Basic eDp5"}),
        "empty bearer": env.client.get("/api/v1/projects", headers={"Authorization": "Bearer "}),
        "unknown": env.client.get("/api/v1/me", headers={"Authorization": "Bearer lw_nope"}),
    }
    assert {k: (r.status_code, r.json()) for k, r in responses.items()} == {
        "none": (
            401,
            {
                "code": "unauthenticated",
                "message": "log in or send 'Authorization: Bearer <token>'",
            },
        ),
        "basic": (
            401,
            {"code": "unauthenticated", "message": "use 'Authorization: Bearer <token>'"},
        ),
        "empty bearer": (
            401,
            {"code": "unauthenticated", "message": "use 'Authorization: Bearer <token>'"},
        ),
        "unknown": (401, {"code": "unauthenticated", "message": "invalid API token"}),
    }


def test_list_projects_shows_only_memberships(env: Env, db: Database) -> None:
    """Admins list every project; others only the projects they are members of."""
    apply_spec(db, spec_from_dict({**SPEC, "name": "secret"}), guidelines=None)
    listed = {
        who: [p["name"] for p in env.call(who, "GET", "/api/v1/projects").json()]
        for who in ("admin", "manager", "ann1")
    }
    assert listed == {
        "admin": ["reviews", "secret"],
        "manager": ["reviews"],
        "ann1": ["reviews"],
    }
    one = env.call("ann1", "GET", "/api/v1/projects").json()[0]
    assert sorted(one) == sorted(
        [
            "name",
            "description",
            "overlap",
            "lease_minutes",
            "priority",
            "spec_revision",
            "guideline_version",
            "updated_at",
            "archived_at",
        ]
    )


def test_project_detail_counts_only_for_reviewers(db: Database, tmp_path: Path) -> None:
    """The detail has the spec for everyone and counts only for managers, not annotators."""
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    tokens = {
        role: add_user(
            db, f"{role}@example.com", role=role, projects=["reviews"], with_token=True
        ).token
        for role in ("manager", "annotator")
    }
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        bodies = {
            role: client.get(
                "/api/v1/projects/reviews", headers={"Authorization": f"Bearer {token}"}
            )
            for role, token in tokens.items()
        }
    assert {r: b.status_code for r, b in bodies.items()} == {"manager": 200, "annotator": 200}
    manager, annotator = bodies["manager"].json(), bodies["annotator"].json()
    assert (manager["counts"], annotator["counts"], annotator["spec"]["name"]) == (
        {
            "items": 0,
            "complete": 0,
            "annotations": 0,
            "active_leases": 0,
            "skips": 0,
            "late_submissions": 0,
            "completion": 0.0,
        },
        None,
        "reviews",
    )


def test_put_spec_json_yaml_mismatch_unsafe_and_force(env: Env) -> None:
    """PUT creates from JSON, is unchanged for the same spec in YAML, refuses a name
    mismatch and an unsafe change (409) unless ``?force=true``."""
    spec = {**SPEC, "name": "topics"}
    yaml_text = (
        "name: topics\ndescription: Sentiment of reviews\nfields:\n"
        "  - {name: sentiment, kind: choice, labels: [pos, neg, meh]}\noverlap: 1\n"
    )
    created = env.call("manager", "PUT", "/api/v1/projects/topics", json=spec)
    same = env.call(
        "manager",
        "PUT",
        "/api/v1/projects/topics",
        content=yaml_text,
        headers={"Content-Type": "application/yaml"},
    )
    mismatch = env.call("manager", "PUT", "/api/v1/projects/other", json=spec)
    bad_yaml = env.call(
        "manager",
        "PUT",
        "/api/v1/projects/topics",
        content="name: topics\nfields: [\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert [(r.status_code, r.json()) for r in (created, same, mismatch)] == [
        (
            200,
            {
                "project": "topics",
                "action": "created",
                "spec_revision": 1,
                "guideline_version": None,
                "guidelines_changed": False,
                "forced_changes": [],
            },
        ),
        (
            200,
            {
                "project": "topics",
                "action": "unchanged",
                "spec_revision": 1,
                "guideline_version": None,
                "guidelines_changed": False,
                "forced_changes": [],
            },
        ),
        (
            422,
            {
                "code": "invalid_spec",
                "message": "request body, field 'name': the spec names project 'topics' but "
                "the URL names 'other'",
                "location": {"file": "request body", "line": None, "field": "name"},
            },
        ),
    ]
    assert (bad_yaml.status_code, bad_yaml.json()["code"], bad_yaml.json()["location"]["file"]) == (
        422,
        "invalid_spec",
        "request body",
    )
    # An annotation that uses 'meh' makes dropping that label unsafe.
    add_user(env.db, "ann1@example.com", role="annotator", projects=["topics"])
    env.call("admin", "POST", "/api/v1/projects/topics/items", json=[{"text": "so so"}])
    task = env.call("ann1", "POST", "/api/v1/projects/topics/next").json()
    env.call(
        "ann1",
        "POST",
        f"/api/v1/assignments/{task['assignment_id']}/submit",
        json={"value": {"sentiment": "meh"}, "idempotency_key": "k"},
    )
    narrowed = {**spec, "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos"]}]}
    refused = env.call("manager", "PUT", "/api/v1/projects/topics", json=narrowed)
    forced = env.call("manager", "PUT", "/api/v1/projects/topics?force=true", json=narrowed)
    assert (refused.status_code, refused.json()["code"], forced.status_code) == (
        409,
        "unsafe_spec_change",
        200,
    )
    assert refused.json()["details"]["reasons"] == forced.json()["forced_changes"]
    assert (forced.json()["action"], forced.json()["spec_revision"]) == ("updated", 2)


def _item_texts(env: Env) -> list[str]:
    page = env.call("admin", "GET", "/api/v1/projects/reviews/items?limit=500").json()
    return [json.loads(i["payload_preview"])["text"] for i in page["items"]]


def test_import_json_array_and_jsonl_all_or_nothing(env: Env) -> None:
    """Both body kinds import; a bad row refuses the whole body naming line and field."""
    array = _import(env, [{"text": "a"}, {"text": "b"}])
    lines = env.call(
        "manager",
        "POST",
        "/api/v1/projects/reviews/items",
        content=b'{"text": "c"}\n{"text": "a"}\n',
        headers={"Content-Type": "application/x-ndjson"},
    )
    bad_array = _import(env, [{"text": "d"}, {"text": "e"}, {"txt": "f"}])
    bad_lines = env.call(
        "admin",
        "POST",
        "/api/v1/projects/reviews/items",
        content=b'{"text": "g"}\n{"text": \n',
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert [(r.status_code, r.json()) for r in (array, lines, bad_array)] == [
        (200, {**IMPORTED, "rows": 2, "inserted": 2, "skipped_duplicates": 0}),
        (200, {**IMPORTED, "rows": 2, "inserted": 1, "skipped_duplicates": 1}),
        (
            422,
            {
                "code": "invalid_import",
                "message": "request body, line 3, field 'payload.text': payload has no key "
                "'text', which the project's fields need",
                "location": {"file": "request body", "line": 3, "field": "payload.text"},
            },
        ),
    ]
    assert (bad_lines.status_code, bad_lines.json()["code"], bad_lines.json()["location"]) == (
        422,
        "invalid_import",
        {"file": "request body", "line": 2, "field": None},
    )
    assert _item_texts(env) == ["a", "b", "c"]


def test_items_keyset_pages_and_filters(env: Env) -> None:
    """Pages follow ``next_after``; status, annotator, label and q each filter."""
    _import(env, [{"text": t} for t in ("apple pie", "banana", "cherry", "apple tart", "fig")])
    first = _lease_and_submit(env, "ann1", {"sentiment": "pos"})
    second = _lease_and_submit(env, "ann2", {"sentiment": "neg"})
    leased = env.item_of(
        env.call("ann1", "POST", "/api/v1/projects/reviews/next").json()["assignment_id"]
    )
    url = "/api/v1/projects/reviews/items"
    pages, after = [], 0
    while after is not None:
        page = env.call("manager", "GET", f"{url}?limit=2&after={after}").json()
        pages.append([i["id"] for i in page["items"]])
        after = page["next_after"]
    ids = [i for p in pages for i in p]
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    queries = {
        "complete": "status=complete",
        "in_progress": "status=in_progress",
        "new": "status=new",
        "by ann1": "annotator=ann1@example.com",
        "by unknown": "annotator=nobody@example.com",
        "pos": "label=pos",
        "meh": "label=meh",
        "apple": "q=APPLE",
        "apple+new": "q=apple&status=new",
    }
    found = {
        k: [i["id"] for i in env.call("manager", "GET", f"{url}?{q}").json()["items"]]
        for k, q in queries.items()
    }
    apple = [ids[0], ids[3]]
    assert found == {
        "complete": [first, second],
        "in_progress": [leased],
        "new": [i for i in ids if i not in (first, second, leased)],
        "by ann1": [first],
        "by unknown": [],
        "pos": [first],
        "meh": [],
        "apple": apple,
        "apple+new": [i for i in apple if i not in (first, second, leased)],
    }
    row = env.call("manager", "GET", f"{url}?limit=1").json()["items"][0]
    assert sorted(row) == sorted(
        ["id", "external_id", "status", "n_submitted", "priority", "payload_preview", "created_at"]
    )
    bad = env.call("manager", "GET", f"{url}?status=done")
    assert (bad.status_code, bad.json()) == (
        422,
        {
            "code": "invalid_input",
            "message": "field 'query.status': Input should be '', 'new', 'in_progress' or "
            "'complete'",
            "location": {"file": None, "line": None, "field": "query.status"},
        },
    )


def test_label_filter_matches_labels_not_field_names(env: Env) -> None:
    """``label`` finds items by a label some annotation carries, not by a field's name."""
    _import(env, [{"text": "a"}, {"text": "b"}])
    labelled = _lease_and_submit(env, "ann1", {"sentiment": "pos"})
    url = "/api/v1/projects/reviews/items?label="
    found = {
        label: [i["id"] for i in env.call("manager", "GET", url + label).json()["items"]]
        for label in ("pos", "sentiment")
    }
    assert found == {"pos": [labelled], "sentiment": []}


def test_next_shape_media_progress_and_204(
    env: Env, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``next`` leases with the documented shape (plus media and progress), re-offers the
    held lease, and answers 204 once nothing is left for the caller."""
    # The open-items count is cached per project id for the whole process; another test's
    # database may have left a number for the same id.
    monkeypatch.setattr(progress, "_open_cache", {})
    apply_spec(
        db,
        spec_from_dict(
            {
                "name": "pics",
                "fields": [{"name": "objects", "kind": "boxes", "labels": ["cat"]}],
                "overlap": 1,
            }
        ),
        guidelines="# Boxes",
    )
    add_user(db, "ann1@example.com", role="annotator", projects=["pics"])
    rows = [
        {
            "payload": {"image": "cats/1.png", "caption": "a cat"},
            "pre_annotations": [
                {
                    "model": "detector",
                    "score": 0.9,
                    "value": {
                        "objects": [{"x": 1, "y": 2, "width": 3, "height": 4, "label": "cat"}]
                    },
                }
            ],
        },
        {"payload": {"image": "cats/2.png"}},
    ]
    assert _import(env, rows, "pics").status_code == 200
    task = env.call("ann1", "POST", "/api/v1/projects/pics/next")
    again = env.call("ann1", "POST", "/api/v1/projects/pics/next")
    body = task.json()
    expires = datetime.fromisoformat(body.pop("expires_at"))
    assert (task.status_code, again.json()["assignment_id"], expires.utcoffset()) == (
        200,
        body["assignment_id"],
        timedelta(0),
    )
    assert body == {
        "assignment_id": body["assignment_id"],
        "item": {
            "payload": {"image": "cats/1.png", "caption": "a cat"},
            "pre_annotations": rows[0]["pre_annotations"],
            "media": {"image": "/media/pics/cats/1.png"},
            "pii": [],
            "pii_note": None,
        },
        "guideline_version": 1,
        "progress": {"done_today": 0, "remaining": 1, "note": None},
    }
    submit = {"value": {"objects": []}, "idempotency_key": "x"}
    env.call("ann1", "POST", f"/api/v1/assignments/{body['assignment_id']}/submit", json=submit)
    last = env.call("ann1", "POST", "/api/v1/projects/pics/next").json()
    env.call("ann1", "POST", f"/api/v1/assignments/{last['assignment_id']}/submit", json=submit)
    done = env.call("ann1", "POST", "/api/v1/projects/pics/next")
    assert (done.status_code, done.content) == (204, b"")


def test_submit_replay_closed_invalid_and_foreign(env: Env) -> None:
    """Submit records once; a replay returns it; a second key is 409; a bad value is 422;
    another annotator's assignment does not exist for them (404)."""
    _import(env, [{"text": "a"}, {"text": "b"}])
    task = env.call("ann1", "POST", "/api/v1/projects/reviews/next").json()
    url = f"/api/v1/assignments/{task['assignment_id']}/submit"
    invalid = env.call(
        "ann1", "POST", url, json={"value": {"sentiment": "great"}, "idempotency_key": "k"}
    )
    no_key = env.call("ann1", "POST", url, json={"value": {"sentiment": "pos"}})
    foreign = env.call(
        "ann2", "POST", url, json={"value": {"sentiment": "pos"}, "idempotency_key": "k"}
    )
    first = env.call(
        "ann1",
        "POST",
        url,
        json={"value": {"sentiment": "pos"}, "seconds": 4, "idempotency_key": "k"},
    )
    replay = env.call(
        "ann1", "POST", url, json={"value": {"sentiment": "pos"}, "idempotency_key": "k"}
    )
    other = env.call(
        "ann1", "POST", url, json={"value": {"sentiment": "neg"}, "idempotency_key": "k2"}
    )
    answers = [first, replay, invalid, no_key, foreign, other]
    ids = {"assignment_id": task["assignment_id"]}
    annotation = first.json().get("annotation_id")
    assert [(r.status_code, r.json()) for r in answers] == [
        (
            200,
            {
                "annotation_id": annotation,
                **ids,
                "created": True,
                "after_expiry": False,
                "feedback": None,
            },
        ),
        (
            200,
            {
                "annotation_id": annotation,
                **ids,
                "created": False,
                "after_expiry": False,
                "feedback": None,
            },
        ),
        (
            422,
            {
                "code": "invalid_annotation",
                "message": invalid.json()["message"],
                "location": {"file": None, "line": None, "field": "sentiment"},
            },
        ),
        (
            422,
            {
                "code": "invalid_input",
                "message": "request body, field 'idempotency_key': Field required",
                "location": {"file": "request body", "line": None, "field": "idempotency_key"},
            },
        ),
        (
            404,
            {"code": "not_found", "message": f"assignment {task['assignment_id']} does not exist"},
        ),
        (
            409,
            {
                "code": "assignment_closed",
                "message": f"assignment {task['assignment_id']} was already submitted",
            },
        ),
    ]
    assert "great" in invalid.json()["message"]


def test_skip_returns_204_and_closes_the_assignment(env: Env) -> None:
    """Skip is 204 (twice too); a later submit is 409; the item goes to someone else."""
    _import(env, [{"text": "a"}])
    task = env.call("ann1", "POST", "/api/v1/projects/reviews/next").json()
    url = f"/api/v1/assignments/{task['assignment_id']}"
    skipped = env.call("ann1", "POST", f"{url}/skip", json={"reason": "not English"})
    twice = env.call("ann1", "POST", f"{url}/skip", json={"reason": None})
    submit = env.call(
        "ann1",
        "POST",
        f"{url}/submit",
        json={"value": {"sentiment": "pos"}, "idempotency_key": "k"},
    )
    mine = env.call("ann1", "POST", "/api/v1/projects/reviews/next")
    theirs = env.call("ann2", "POST", "/api/v1/projects/reviews/next")
    assert [r.status_code for r in (skipped, twice, submit, mine, theirs)] == [
        204,
        204,
        409,
        204,
        200,
    ]
    assert (skipped.content, env.item_of(theirs.json()["assignment_id"])) == (
        b"",
        env.item_of(task["assignment_id"]),
    )


def _shape(value: Any) -> Any:
    """A JSON value's keys and types, without its values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _keys(value: Any) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_tasks_and_submits_name_no_item_and_gold_looks_ordinary(
    env: Env, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Task and submit responses carry no item id, and a gold task has exactly the shape
    of an ordinary one (so nothing tells an annotator which is which)."""
    monkeypatch.setattr(progress, "_open_cache", {})
    spec = {**SPEC, "name": "goldy", "quality": {"gold_rate": 1.0}}
    apply_spec(db, spec_from_dict(spec), guidelines=None)
    add_member(db, "goldy", "ann1@example.com")
    rows = [{"external_id": f"g{i}", "payload": {"text": t}} for i, t in enumerate("abc")]
    assert _import(env, rows, "goldy").status_code == 200
    gold_item = catalog.list_items(db, "goldy", limit=10).items[1].id
    mark_gold(db, "goldy", gold_item, value={"sentiment": "neg"}, explanation="clearly neg")
    bodies, submits, served = [], [], []
    for _ in range(2):
        task = env.call("ann1", "POST", "/api/v1/projects/goldy/next").json()
        url = f"/api/v1/assignments/{task['assignment_id']}/submit"
        body = {"value": {"sentiment": "pos"}, "idempotency_key": str(task["assignment_id"])}
        bodies.append(task)
        submits.append(env.call("ann1", "POST", url, json=body).json())
        served.append(env.item_of(task["assignment_id"]))
    gold, ordinary = bodies
    assert (served[0], served[1] != gold_item) == (gold_item, True)
    assert (_shape(gold), _shape(submits[0])) == (_shape(ordinary), _shape(submits[1]))
    assert sorted(_keys(gold) | _keys(ordinary)) == [
        "assignment_id",
        "done_today",
        "expires_at",
        "guideline_version",
        "item",
        "media",
        "note",
        "payload",
        "pii",
        "pii_note",
        "pre_annotations",
        "progress",
        "remaining",
        "text",
    ]
    assert sorted(_keys(submits[0]) | _keys(submits[1])) == [
        "after_expiry",
        "annotation_id",
        "assignment_id",
        "created",
        "feedback",
    ]


def _normalised(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k not in ("id", "created_at")}
    out["annotations"] = [
        {k: v for k, v in a.items() if k != "created_at"} for a in record["annotations"]
    ]
    return out


def test_export_streams_jsonl_csv_and_parquet(env: Env) -> None:
    """Each format streams with its media type and file name, holding the same records."""
    _import(
        env,
        [
            {"external_id": "r1", "payload": {"text": "a"}, "metadata": {"src": "web"}},
            {"external_id": "r2", "payload": {"text": "b"}},
        ],
    )
    _lease_and_submit(env, "ann1", {"sentiment": "pos"})
    expected = [
        {
            "external_id": "r1",
            "status": "complete",
            "payload": {"text": "a"},
            "metadata": {"src": "web"},
            "pre_annotations": [],
            "annotations": [
                {
                    "annotator": "ann1@example.com",
                    "value": {"sentiment": "pos"},
                    "seconds": 3.0,
                    "guideline_version": 1,
                }
            ],
        },
        {
            "external_id": "r2",
            "status": "new",
            "payload": {"text": "b"},
            "metadata": {},
            "pre_annotations": [],
            "annotations": [],
        },
    ]
    url = "/api/v1/projects/reviews/export"
    with env.client.stream(
        "GET", url, headers={"Authorization": f"Bearer {env.tokens['manager']}"}
    ) as streamed:
        chunks = list(streamed.iter_bytes())
        heads = (streamed.status_code, streamed.headers["content-type"])
    records = [json.loads(line) for line in b"".join(chunks).splitlines()]
    assert (heads, [_normalised(r) for r in records]) == (
        (200, "application/x-ndjson"),
        expected,
    )
    as_csv = env.call("manager", "GET", f"{url}?format=csv")
    csv_rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    decoded = [
        {
            k: (
                json.loads(v)
                if k in ("payload", "metadata", "pre_annotations", "annotations")
                else v
            )
            for k, v in r.items()
        }
        for r in csv_rows
    ]
    as_parquet = env.call("manager", "GET", f"{url}?format=parquet")
    table = pq.read_table(io.BytesIO(as_parquet.content)).to_pylist()
    parquet_rows = [
        {
            k: (
                json.loads(v)
                if isinstance(v, str)
                and k in ("payload", "metadata", "pre_annotations", "annotations")
                else v
            )
            for k, v in r.items()
        }
        for r in table
    ]
    assert (
        as_csv.headers["content-type"],
        as_csv.headers["content-disposition"],
        as_parquet.headers["content-type"],
        as_parquet.headers["content-disposition"],
    ) == (
        "text/csv; charset=utf-8",
        'attachment; filename="reviews.csv"',
        "application/vnd.apache.parquet",
        'attachment; filename="reviews.parquet"',
    )
    assert [_normalised(r) for r in decoded] == [_normalised(r) for r in parquet_rows]
    assert [r["external_id"] for r in decoded] == ["r1", "r2"]
    bad = env.call("manager", "GET", f"{url}?format=xlsx")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")


def test_export_csv_formulas_query_parameter(env: Env) -> None:
    """CSV cells that start a formula get a quote unless ``csv_formulas=raw``, which JSONL
    refuses with 422 before streaming."""
    _import(env, [{"external_id": "=1+1", "payload": {"text": "a"}}])
    url = "/api/v1/projects/reviews/export?format="
    answers = {
        query: env.call("manager", "GET", url + query) for query in ("csv", "csv&csv_formulas=raw")
    }
    refused = env.call("manager", "GET", url + "jsonl&csv_formulas=raw")
    assert {
        query: (r.status_code, [row["external_id"] for row in csv.DictReader(io.StringIO(r.text))])
        for query, r in answers.items()
    } == {"csv": (200, ["'=1+1"]), "csv&csv_formulas=raw": (200, ["=1+1"])}
    assert (refused.status_code, refused.json()) == (
        422,
        {
            "code": "invalid_input",
            "message": "csv_formulas 'raw' applies to csv exports only; jsonl exports always "
            "hold the exact text",
        },
    )


def test_status_counts_everything(env: Env) -> None:
    """Status has totals, completion and per-annotator counts."""
    _import(env, [{"text": t} for t in "abcd"])
    _lease_and_submit(env, "ann1", {"sentiment": "pos"})
    skip = env.call("ann2", "POST", "/api/v1/projects/reviews/next").json()
    env.call("ann2", "POST", f"/api/v1/assignments/{skip['assignment_id']}/skip", json={})
    env.call("ann2", "POST", "/api/v1/projects/reviews/next")
    response = env.call("manager", "GET", "/api/v1/projects/reviews/status")
    assert (response.status_code, response.json()) == (
        200,
        {
            "project": "reviews",
            "overlap": 1,
            "items": 4,
            "complete": 1,
            "annotations": 1,
            "active_leases": 1,
            "skips": 1,
            "late_submissions": 0,
            "completion": 0.25,
            "annotators": [
                {
                    "email": "ann1@example.com",
                    "submitted": 1,
                    "skipped": 0,
                    "leased": 0,
                    "seconds": 3.0,
                    "seconds_per_item": 3.0,
                },
                {
                    "email": "ann2@example.com",
                    "submitted": 0,
                    "skipped": 1,
                    "leased": 1,
                    "seconds": 0.0,
                    "seconds_per_item": None,
                },
            ],
        },
    )


def _csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _login(client: TestClient, email: str, password: str) -> httpx.Response:
    token = _csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/settings"},
        follow_redirects=False,
    )


def test_users_list_and_create(env: Env, cheap_hashing: None) -> None:
    """Admins list everyone and create any role (with a password that then logs in);
    managers create annotators of their projects only; bad requests are refused."""
    created = env.call(
        "admin",
        "POST",
        "/api/v1/users",
        json={
            "email": "Rev@Example.com",
            "role": "reviewer",
            "projects": ["reviews"],
            "password": PASSWORD,
        },
    )
    by_manager = env.call(
        "manager",
        "POST",
        "/api/v1/users",
        json={"email": "new@example.com", "projects": ["reviews"], "vendor": "acme"},
    )
    refused = {
        "manager asks for a token": env.call(
            "manager",
            "POST",
            "/api/v1/users",
            json={"email": "t@example.com", "projects": ["reviews"], "token": True},
        ),
        "manager makes a manager": env.call(
            "manager", "POST", "/api/v1/users", json={"email": "m2@example.com", "role": "manager"}
        ),
        "duplicate": env.call(
            "admin", "POST", "/api/v1/users", json={"email": "rev@example.com", "role": "annotator"}
        ),
        "short password": env.call(
            "admin", "POST", "/api/v1/users", json={"email": "p@example.com", "password": "short"}
        ),
        "bad role": env.call(
            "admin", "POST", "/api/v1/users", json={"email": "p@example.com", "role": "boss"}
        ),
        "bad email": env.call("admin", "POST", "/api/v1/users", json={"email": "nope"}),
        "unknown project": env.call(
            "admin", "POST", "/api/v1/users", json={"email": "p@example.com", "projects": ["nope"]}
        ),
    }
    assert (created.status_code, created.json()) == (
        201,
        {
            "user": {
                "email": "rev@example.com",
                "name": "",
                "role": "reviewer",
                "vendor": None,
                "team": None,
                "projects": ["reviews"],
                "active": True,
            },
            "token": None,
        },
    )
    assert (by_manager.status_code, by_manager.json()["user"]["vendor"]) == (201, "acme")
    assert {k: (r.status_code, r.json()["code"]) for k, r in refused.items()} == {
        "manager asks for a token": (403, "permission_denied"),
        "manager makes a manager": (403, "permission_denied"),
        "duplicate": (409, "already_exists"),
        "short password": (422, "invalid_input"),
        "bad role": (422, "invalid_input"),
        "bad email": (422, "invalid_input"),
        "unknown project": (404, "not_found"),
    }
    assert _login(env.client, "rev@example.com", PASSWORD).status_code == 303
    listed = env.call("admin", "GET", "/api/v1/users").json()
    assert [(u["email"], u["role"], u["projects"]) for u in listed] == [
        ("ann1@example.com", "annotator", ["reviews"]),
        ("ann2@example.com", "annotator", ["reviews"]),
        ("boss@example.com", "manager", ["reviews"]),
        ("new@example.com", "annotator", ["reviews"]),
        ("rev@example.com", "reviewer", ["reviews"]),
        ("root@example.com", "admin", []),
    ]


def test_me_and_new_tokens(env: Env) -> None:
    """``me`` describes the caller; a new token is shown once and works at once."""
    me = env.call("ann1", "GET", "/api/v1/me")
    made = env.call("ann1", "POST", "/api/v1/me/tokens", json={"label": "laptop"})
    too_long = env.call("ann1", "POST", "/api/v1/me/tokens", json={"label": "x" * 201})
    token = made.json()["token"]
    again = env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (me.status_code, me.json(), made.status_code, again.json()) == (
        200,
        {
            "email": "ann1@example.com",
            "name": "",
            "role": "annotator",
            "vendor": "acme",
            "team": None,
            "projects": ["reviews"],
            "active": True,
        },
        201,
        me.json(),
    )
    assert (too_long.status_code, too_long.json()["code"]) == (422, "invalid_input")


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: these tests are about the login flow, not the hash's cost."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def with_password(env: Env, cheap_hashing: None) -> Env:
    """ann1 can log in with ``PASSWORD``."""
    set_password(env.db, "ann1@example.com", PASSWORD)
    return env


def test_session_writes_need_the_csrf_header(with_password: Env) -> None:
    """With a session cookie a POST without X-CSRF-Token is 403 (also when shaped like a
    cross-site form); with the session's token it works; a form without its token field is
    refused, the login form too."""
    client = with_password.client
    no_token = client.post(
        "/login", data={"email": "ann1@example.com", "password": PASSWORD}, follow_redirects=False
    )
    logged_in = _login(client, "ann1@example.com", PASSWORD)
    csrf = _csrf_of(client.get("/settings").text)
    bare = client.post("/api/v1/me/tokens", json={"label": "a"})
    wrong = client.post("/api/v1/me/tokens", json={"label": "a"}, headers={"X-CSRF-Token": "x"})
    right = client.post("/api/v1/me/tokens", json={"label": "a"}, headers={"X-CSRF-Token": csrf})
    read = client.get("/api/v1/me")
    # What a cross-site HTML form can send: urlencoded or text/plain bodies, no header.
    forged = [
        client.post(
            "/api/v1/projects/reviews/items",
            content=b'{"text": "forged"}\n',
            headers={"Content-Type": content_type},
        )
        for content_type in ("application/x-www-form-urlencoded", "text/plain")
    ]
    forged_page = client.post("/settings/tokens", data={"label": "forged"})
    codes = [no_token, logged_in, bare, wrong, right, read, *forged, forged_page]
    assert [r.status_code for r in codes] == [403, 303, 403, 403, 201, 200, 403, 403, 403]
    assert [r.json()["message"] for r in forged] == [bare.json()["message"]] * 2
    assert (logged_in.headers["location"], bare.json()) == (
        "/settings",
        {
            "code": "permission_denied",
            "message": "missing or wrong CSRF token (send the X-CSRF-Token header)",
        },
    )
    cookie = logged_in.headers["set-cookie"].lower()
    assert ("httponly" in cookie, "samesite=lax" in cookie) == (True, True)


def test_login_is_throttled_after_five_failures(with_password: Env) -> None:
    """Five wrong passwords get 401; the sixth attempt, even a right one, gets 429."""
    client = with_password.client
    codes = [_login(client, "ann1@example.com", "wrong password").status_code for _ in range(6)]
    right = _login(client, "ann1@example.com", PASSWORD)
    other = _login(client, "ann2@example.com", "wrong password")
    assert (codes, right.status_code, other.status_code) == ([401] * 5 + [429] * 1, 429, 401)
    assert "too many failed logins" in right.text


def test_logout_ends_the_session(with_password: Env) -> None:
    """Logout needs the form's CSRF token, then the session no longer authenticates."""
    client = with_password.client
    _login(client, "ann1@example.com", PASSWORD)
    csrf = _csrf_of(client.get("/settings").text)
    forged = client.post("/logout", data={}, follow_redirects=False)
    still = client.get("/api/v1/me").status_code
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    after = client.get("/api/v1/me")
    assert (forged.status_code, still, out.status_code, out.headers["location"]) == (
        403,
        200,
        303,
        "/login",
    )
    assert (after.status_code, after.json()["code"]) == (401, "unauthenticated")


def test_settings_forms_work_as_plain_forms(with_password: Env) -> None:
    """A browser form post (the CSRF token as a form field, no header) changes the password
    and creates a token."""
    client = with_password.client
    _login(client, "ann1@example.com", PASSWORD)
    csrf = _csrf_of(client.get("/settings").text)
    form = {"current": PASSWORD, "new": "new password", "repeat": "new password"}
    changed = client.post("/settings/password", data={**form, "csrf_token": csrf})
    token = client.post("/settings/tokens", data={"label": "laptop", "csrf_token": csrf})
    assert (changed.status_code, token.status_code, "new-token" in token.text) == (
        200,
        200,
        True,
    )


def test_password_change_page(with_password: Env) -> None:
    """The settings form (posted with the CSRF header too, as htmx does) checks the form's
    token, the current password and the repeat; then the new password logs in, the old not."""
    client = with_password.client
    _login(client, "ann1@example.com", PASSWORD)
    csrf = _csrf_of(client.get("/settings").text)

    def change(current: str, new: str, repeat: str, token: str = csrf) -> httpx.Response:
        form = {"current": current, "new": new, "repeat": repeat, "csrf_token": token}
        return client.post("/settings/password", data=form, headers={"X-CSRF-Token": csrf})

    attempts = [
        change(PASSWORD, "new password", "new password", token="forged"),
        change("wrong one!", "new password", "new password"),
        change(PASSWORD, "new password", "other password"),
        change(PASSWORD, "short", "short"),
        change(PASSWORD, "new password", "new password"),
    ]
    messages = [re.search(r'data-testid="settings-message">([^<]*)<', r.text) for r in attempts]
    assert [
        (r.status_code, m.group(1) if m else None) for r, m in zip(attempts, messages, strict=True)
    ] == [
        (403, None),
        (400, "the current password is wrong"),
        (400, "the two new passwords differ"),
        (400, "a password needs at least 8 characters"),
        (200, "Password changed. Every other session of yours has been logged out."),
    ]
    fresh = TestClient(client.app)
    assert (
        _login(fresh, "ann1@example.com", PASSWORD).status_code,
        _login(fresh, "ann1@example.com", "new password").status_code,
    ) == (401, 303)
