"""The SDK against the real app, in-process (FastAPI's TestClient is the httpx client the SDK
borrows through ``Client.from_httpx``), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client, Task, error_classes
from labelworks.sdk.jobs import JobFailed
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
    "guidelines": "# Rules\n\nBe kind.\n",
}
YAML_SPEC = """\
name: reviews
description: Sentiment of reviews
fields:
  - name: sentiment
    kind: choice
    labels: [pos, neg]
overlap: 1
guidelines: |
  # Rules

  Be kind.
"""


@pytest.fixture
def http(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """The app over the test database, served in-process."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        yield client


def _token(db: Database, email: str, role: str, projects: list[str] | None = None) -> str:
    token = add_user(db, email, role=role, projects=projects, with_token=True).token
    assert token is not None
    return token


@pytest.fixture
def admin(db: Database, http: TestClient) -> Client:
    """An admin's SDK client."""
    return Client.from_httpx(http, _token(db, "root@example.com", "admin"))


def test_error_classes_are_the_whole_tree() -> None:
    """Every code of the domain error tree maps to its own class, and the SDK's own
    ``job_failed`` (a waited-for job that did not succeed) to ``JobFailed``."""
    assert error_classes() == {
        "error": E.LabelworksError,
        "invalid_input": E.InvalidInput,
        "invalid_spec": E.InvalidSpec,
        "invalid_import": E.InvalidImport,
        "invalid_annotation": E.InvalidAnnotation,
        "invalid_prompt": E.InvalidPrompt,
        "not_found": E.NotFound,
        "conflict": E.Conflict,
        "unsafe_spec_change": E.UnsafeSpecChange,
        "already_exists": E.AlreadyExists,
        "lease_lost": E.LeaseLost,
        "assignment_closed": E.AssignmentClosed,
        "guidelines_changed": E.GuidelinesChanged,
        "acceptance_not_met": E.AcceptanceNotMet,
        "unauthenticated": E.Unauthenticated,
        "permission_denied": E.PermissionDenied,
        "annotator_paused": E.AnnotatorPaused,
        "not_qualified": E.NotQualified,
        "rate_limited": E.RateLimited,
        "payload_too_large": E.PayloadTooLarge,
        "job_failed": JobFailed,
    }


def _mocked(status: int, body: bytes, content_type: str = "application/json") -> Client:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": content_type})

    return Client("http://lw.test/", "lw_x", transport=httpx.MockTransport(reply))


def _described(error: E.LabelworksError) -> tuple[Any, ...]:
    return (type(error), error.message, error.location, error.details, str(error))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(
            422,
            b'{"code": "invalid_import", "message": "f, line 3, field \'text\': no text",'
            b' "location": {"file": "f", "line": 3, "field": "text"}}',
            (
                E.InvalidImport,
                "no text",
                E.Location("f", 3, "text"),
                {},
                "f, line 3, field 'text': no text",
            ),
            id="location-kept-once",
        ),
        pytest.param(
            409,
            b'{"code": "brand_new_conflict", "message": "later server", "details": {"a": 1}}',
            (
                E.Conflict,
                "later server",
                None,
                {"a": 1, "code": "brand_new_conflict"},
                "later server",
            ),
            id="unknown-code-by-status",
        ),
        pytest.param(
            502,
            b"<html>bad gateway</html>",
            (
                E.LabelworksError,
                "HTTP 502: <html>bad gateway</html>",
                None,
                {"status": 502},
                "HTTP 502: <html>bad gateway</html>",
            ),
            id="not-a-labelworks-body",
        ),
    ],
)
def test_error_responses_become_domain_errors(
    status: int, body: bytes, expected: tuple[Any, ...]
) -> None:
    """An error body becomes the class of its code (or of its status), message and location."""
    with _mocked(status, body) as client, pytest.raises(E.LabelworksError) as raised:
        client.projects()
    assert _described(raised.value) == expected


def test_manager_workflow(admin: Client, tmp_path: Path) -> None:
    """Apply a spec (dict, then the same as YAML), import, page items, status and export."""
    created = admin.apply_spec(SPEC)
    again = admin.apply_spec(YAML_SPEC)
    assert (created.model_dump(), again.model_dump()) == (
        {
            "project": "reviews",
            "action": "created",
            "spec_revision": 1,
            "guideline_version": 1,
            "guidelines_changed": True,
            "forced_changes": [],
        },
        {
            "project": "reviews",
            "action": "unchanged",
            "spec_revision": 1,
            "guideline_version": 1,
            "guidelines_changed": False,
            "forced_changes": [],
        },
    )
    rows = [{"text": f"review {i}", "external_id": f"r{i}"} for i in range(5)]
    imported = admin.import_items("reviews", rows)
    assert imported.model_dump() == {
        "annotations": 0,
        "created_annotators": [],
        "project": "reviews",
        "rows": 5,
        "inserted": 5,
        "skipped_duplicates": 0,
    }
    assert [p.name for p in admin.projects()] == ["reviews"]
    assert [i.external_id for i in admin.items("reviews", page_size=2)] == [
        "r0",
        "r1",
        "r2",
        "r3",
        "r4",
    ]
    assert [i.external_id for i in admin.items("reviews", q="review 3")] == ["r3"]
    assert [i.external_id for i in admin.items("reviews", status="complete")] == []
    status = admin.status("reviews")
    assert (status.items, status.complete, status.annotations) == (5, 0, 0)
    records = list(admin.export("reviews"))
    assert [(r["external_id"], r["payload"], r["annotations"]) for r in records] == [
        (f"r{i}", {"text": f"review {i}"}, []) for i in range(5)
    ]
    parquet = admin.export("reviews", "parquet", path=tmp_path / "out.parquet")
    table = pq.read_table(parquet)
    assert (parquet, table.column("external_id").to_pylist()) == (
        tmp_path / "out.parquet",
        [f"r{i}" for i in range(5)],
    )
    assert not (tmp_path / "out.parquet.part").exists()
    csv_path = admin.export("reviews", "csv", path=tmp_path / "out.csv")
    assert csv_path.read_text().splitlines()[0] == (
        "id,external_id,status,created_at,payload,metadata,pre_annotations,annotations"
    )


def test_export_times_match_the_item_list(admin: Client) -> None:
    """The records the SDK's export yields give ``created_at`` as the item list's UTC text."""
    admin.apply_spec(SPEC)
    admin.import_items("reviews", [{"text": "a"}, {"text": "b"}])
    listed = [i.model_dump(mode="json")["created_at"] for i in admin.items("reviews")]
    exported = [r["created_at"] for r in admin.export("reviews")]
    assert (exported, [t.endswith("Z") for t in listed]) == (listed, [True, True])


def test_export_csv_formulas(admin: Client, tmp_path: Path) -> None:
    """``csv_formulas`` reaches the server: escaped by default, exact when raw, refused for
    JSONL."""
    admin.apply_spec(SPEC)
    admin.import_items("reviews", [{"text": "a", "external_id": "@SUM(A1)"}])
    external_ids = {
        mode: admin.export("reviews", "csv", path=tmp_path / f"{mode}.csv", csv_formulas=mode)
        .read_text()
        .splitlines()[1]
        .split(",")[1]
        for mode in ("escape", "raw")
    }
    with pytest.raises(E.InvalidInput) as caught:
        admin.export("reviews", "jsonl", path=tmp_path / "out.jsonl", csv_formulas="raw")
    assert (external_ids, str(caught.value), list(tmp_path.glob("out.*"))) == (
        {"escape": "'@SUM(A1)", "raw": "@SUM(A1)"},
        "csv_formulas 'raw' applies to csv exports only; jsonl exports always hold the exact text",
        [],
    )


def test_project_detail(admin: Client) -> None:
    """``project`` returns the settings, the effective spec and the counts."""
    admin.apply_spec(SPEC)
    admin.import_items("reviews", [{"text": "a"}, {"text": "b"}])
    detail = admin.project("reviews")
    assert detail.counts is not None
    assert (
        detail.name,
        detail.spec["fields"][0]["labels"],
        detail.counts.items,
        detail.counts.complete,
    ) == ("reviews", ["pos", "neg"], 2, 0)


def test_annotator_workflow(admin: Client, http: TestClient, db: Database) -> None:
    """Next, submit (a replay creates nothing), skip, and None when nothing is left."""
    admin.apply_spec(SPEC)
    admin.import_items("reviews", [{"text": "good"}, {"text": "bad"}])
    worker = Client.from_httpx(http, _token(db, "ann@example.com", "annotator", ["reviews"]))
    task = worker.next_task("reviews")
    assert isinstance(task, Task)
    assert (task.item.payload, task.item.pre_annotations, task.guideline_version) == (
        {"text": "good"},
        [],
        1,
    )
    first = worker.submit(
        task.assignment_id, {"sentiment": "pos"}, seconds=2.5, idempotency_key="k1"
    )
    replay = worker.submit(task.assignment_id, {"sentiment": "pos"}, idempotency_key="k1")
    assert (first.created, replay.created, replay.annotation_id) == (
        True,
        False,
        first.annotation_id,
    )
    second = worker.next_task("reviews")
    assert second is not None and second.item.payload == {"text": "bad"}
    worker.skip(second.assignment_id, reason="unclear")
    assert worker.next_task("reviews") is None
    status = admin.status("reviews")
    assert [a.model_dump() for a in status.annotators] == [
        {
            "email": "ann@example.com",
            "submitted": 1,
            "skipped": 1,
            "leased": 0,
            "seconds": 2.5,
            "seconds_per_item": 2.5,
        }
    ]


def test_errors_are_the_domain_classes(admin: Client, http: TestClient, db: Database) -> None:
    """Each failure raises the error class the server mapped, with its location."""
    admin.apply_spec(SPEC)
    admin.import_items("reviews", [{"text": "a"}])
    worker = Client.from_httpx(http, _token(db, "ann@example.com", "annotator", ["reviews"]))
    task = worker.next_task("reviews")
    assert task is not None
    worker.submit(task.assignment_id, {"sentiment": "pos"})
    narrowed = {**SPEC, "fields": [{"name": "sentiment", "kind": "choice", "labels": ["neg"]}]}
    anonymous = Client.from_httpx(http, "lw_not_a_token")
    failures = {
        "unknown project": lambda: admin.project("nope"),
        "bad row": lambda: admin.import_items("reviews", [{"text": "ok"}, {"txt": "typo"}]),
        "unsafe change": lambda: admin.apply_spec(narrowed),
        "closed": lambda: worker.submit(task.assignment_id, {"sentiment": "neg"}),
        "not a label": lambda: worker.skip(task.assignment_id),
        "annotator status": lambda: worker.status("reviews"),
        "bad token": lambda: anonymous.me(),
        "iterate parquet": lambda: admin.export("reviews", "parquet"),  # type: ignore[call-overload]
        "spec without name": lambda: admin.apply_spec("description: x\n"),
    }
    raised: dict[str, tuple[type[Exception], E.Location | None]] = {}
    for what, call in failures.items():
        try:
            call()
        except E.LabelworksError as exc:
            raised[what] = (type(exc), exc.location)
    assert raised == {
        "unknown project": (E.NotFound, None),
        "bad row": (
            E.InvalidImport,
            E.Location("request body", 2, "payload.text"),
        ),
        "unsafe change": (E.UnsafeSpecChange, None),
        "closed": (E.AssignmentClosed, None),
        "not a label": (E.AssignmentClosed, None),
        "annotator status": (E.PermissionDenied, None),
        "bad token": (E.Unauthenticated, None),
        "iterate parquet": (E.InvalidInput, None),
        "spec without name": (E.InvalidSpec, E.Location("spec", None, "name")),
    }
    forced = admin.apply_spec(narrowed, force=True)
    assert (forced.action, forced.spec_revision, len(forced.forced_changes)) == ("updated", 2, 1)


def test_apply_spec_file_sends_guidelines_file_inline(admin: Client, tmp_path: Path) -> None:
    """A spec file whose guidelines name a Markdown file beside it creates guidelines v1."""
    (tmp_path / "rules.md").write_text("# Rules\n\nRead twice.\n")
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(YAML_SPEC.split("guidelines:")[0] + "guidelines: rules.md\n")
    plain_file = tmp_path / "plain.yaml"
    plain_file.write_text(YAML_SPEC.replace("reviews", "other"))
    results = [admin.apply_spec(spec_file), admin.apply_spec(plain_file)]
    assert [(r.project, r.action, r.guideline_version) for r in results] == [
        ("reviews", "created", 1),
        ("other", "created", 1),
    ]
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "one"}\n{"text": "two"}\n{"text": "one"}\n')
    summary = admin.import_items("reviews", rows)
    assert (summary.rows, summary.inserted, summary.skipped_duplicates) == (3, 2, 1)


def test_people(admin: Client, http: TestClient) -> None:
    """Create a user with a token and a password, list users, ``me`` and new tokens."""
    admin.apply_spec(SPEC)
    created = admin.create_user(
        "Worker@Example.com", name="W", projects=["reviews"], vendor="acme", token=True
    )
    assert created.user.model_dump() == {
        "email": "worker@example.com",
        "name": "W",
        "role": "annotator",
        "vendor": "acme",
        "team": None,
        "projects": ["reviews"],
        "active": True,
    }
    assert created.token is not None
    worker = Client.from_httpx(http, created.token)
    fresh = Client.from_httpx(http, worker.create_token("laptop"))
    assert (worker.me().email, fresh.me().email) == ("worker@example.com", "worker@example.com")
    assert [(u.email, u.role) for u in admin.users()] == [
        ("root@example.com", "admin"),
        ("worker@example.com", "annotator"),
    ]
    with pytest.raises(E.AlreadyExists):
        admin.create_user("worker@example.com", role="reviewer")
    admin.apply_spec({**SPEC, "name": "other"})
    joined = admin.add_member("other", "Worker@Example.com")
    admin.remove_member("reviews", "worker@example.com")
    issued = Client.from_httpx(http, admin.issue_token("worker@example.com", "ci"))
    labels = sorted(t.label for t in worker.tokens())
    laptop = next(t.id for t in worker.tokens() if t.label == "laptop")
    worker.revoke_token(laptop)
    with pytest.raises(E.Unauthenticated):
        fresh.me()
    off = admin.deactivate_user("worker@example.com")
    with pytest.raises(E.Unauthenticated):
        issued.me()
    on = admin.reactivate_user("worker@example.com")
    assert (joined.projects, labels, off.active, on.active, issued.me().projects) == (
        ["other", "reviews"],
        ["ci", "cli", "laptop"],
        False,
        True,
        ["other"],
    )
    with pytest.raises(E.InvalidInput) as short:
        admin.create_user("p@example.com", password="short")
    assert str(short.value) == "a password needs at least 8 characters"


def test_client_owns_its_connection_pool() -> None:
    """``Client`` sends the token on every request and closes its own pool on exit."""
    seen: list[tuple[str, str, str | None]] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.headers.get("authorization")))
        return httpx.Response(200, json=[])

    with Client("http://lw.test/base/", "lw_abc", transport=httpx.MockTransport(reply)) as c:
        assert (c.projects(), c.users()) == ([], [])
    assert seen == [
        ("GET", "http://lw.test/base/api/v1/projects", "Bearer lw_abc"),
        ("GET", "http://lw.test/base/api/v1/users", "Bearer lw_abc"),
    ]
    with pytest.raises(RuntimeError):
        c.projects()
    with pytest.raises(E.InvalidInput):
        Client("http://lw.test", "two words")


def test_import_streams_a_large_jsonl_file(admin: Client, tmp_path: Path) -> None:
    """A JSONL file larger than one upload chunk is imported whole."""
    admin.apply_spec(SPEC)
    path = tmp_path / "big.jsonl"
    with path.open("w") as out:
        for i in range(3000):
            out.write(json.dumps({"text": f"row {i} " + "x" * 400}) + "\n")
    assert path.stat().st_size > 1024 * 1024
    summary = admin.import_items("reviews", path)
    assert (summary.rows, summary.inserted) == (3000, 3000)
    assert sum(1 for _ in admin.items("reviews", page_size=500)) == 3000
