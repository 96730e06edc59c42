"""The ASGI app: health, the index page, OpenAPI docs, and API errors mapped to HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from labelworks import __version__
from labelworks.config import Settings
from labelworks.domain.errors import (
    AlreadyExists,
    InvalidImport,
    LabelworksError,
    LeaseLost,
    Location,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UnsafeSpecChange,
)
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services.projects import apply_spec
from labelworks.storage.engine import Database
from labelworks.storage.migration import current_revision, head_revision


@pytest.fixture
def client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """The app over the test database (SQLite or PostgreSQL)."""
    app = create_app(Settings(data_dir=tmp_path), database=db)
    with TestClient(app) as test_client:
        yield test_client


def test_health_names_the_database(client: TestClient, db_kind: str) -> None:
    """``/api/health`` answers ok with the version and the database kind."""
    response = client.get("/api/health")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "version": __version__, "database": db_kind},
    )


def test_index_sends_anonymous_visitors_to_login(client: TestClient) -> None:
    """Without a session the project list redirects to the login page."""
    response = client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")


def test_index_lists_projects_and_escapes_html(client: TestClient, db: Database) -> None:
    """A logged-in admin sees project descriptions escaped, never as live markup."""
    import re

    from labelworks.services.passwords import hash_password
    from labelworks.services.users import add_user

    spec = spec_from_dict(
        {
            "name": "xss",
            "description": '<script>alert("hi")</script> & <b>bold</b>',
            "fields": [{"name": "s", "kind": "choice", "labels": ["a", "b"]}],
            "overlap": 2,
        }
    )
    apply_spec(db, spec, guidelines=None)
    add_user(db, "root@example.com", role="admin", password_hash=hash_password("password1"))
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    client.post(
        "/login",
        data={
            "email": "root@example.com",
            "password": "password1",
            "csrf_token": token.group(1),
            "next": "/",
        },
    )
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    body = response.text
    assert (
        '<small class="muted">&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; &amp; '
        "&lt;b&gt;bold&lt;/b&gt;</small>"
    ) in body
    assert "<script>alert" not in body


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    """Swagger UI is at ``/docs`` and the schema lists the health operation."""
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    spec = schema.json()
    assert (spec["info"]["title"], spec["info"]["version"]) == ("labelworks", __version__)
    assert spec["paths"]["/api/health"]["get"]["operationId"] == "health"
    assert "/" not in spec["paths"]


ERRORS = [
    pytest.param(
        InvalidImport("bad row", location=Location(file="a.jsonl", line=3, field="text")),
        422,
        {
            "code": "invalid_import",
            "message": "a.jsonl, line 3, field 'text': bad row",
            "location": {"file": "a.jsonl", "line": 3, "field": "text"},
        },
        id="invalid-422",
    ),
    pytest.param(
        NotFound("project 'x' does not exist"),
        404,
        {"code": "not_found", "message": "project 'x' does not exist"},
        id="not-found-404",
    ),
    pytest.param(
        AlreadyExists("taken"), 409, {"code": "already_exists", "message": "taken"}, id="exists"
    ),
    pytest.param(
        UnsafeSpecChange("no", details={"reasons": ["r"]}),
        409,
        {"code": "unsafe_spec_change", "message": "no", "details": {"reasons": ["r"]}},
        id="unsafe-409",
    ),
    pytest.param(LeaseLost("late"), 409, {"code": "lease_lost", "message": "late"}, id="lease"),
    pytest.param(
        Unauthenticated("who?"), 401, {"code": "unauthenticated", "message": "who?"}, id="401"
    ),
    pytest.param(
        PermissionDenied("no"), 403, {"code": "permission_denied", "message": "no"}, id="403"
    ),
    pytest.param(RateLimited("slow"), 429, {"code": "rate_limited", "message": "slow"}, id="429"),
    pytest.param(LabelworksError("odd"), 500, {"code": "error", "message": "odd"}, id="500"),
]


@pytest.mark.parametrize(("error", "status", "body"), ERRORS)
def test_errors_map_to_status_and_body(
    client: TestClient, error: LabelworksError, status: int, body: dict[str, object]
) -> None:
    """A labelworks error raised in a route becomes its status and a {code, message} body."""

    def boom() -> None:
        raise error

    client.app.add_api_route("/api/boom", boom)  # type: ignore[attr-defined]
    response = client.get("/api/boom")
    assert (response.status_code, response.json()) == (status, body)


def test_embedded_database_is_created_and_migrated(tmp_path: Path) -> None:
    """With only a data directory, the app creates the SQLite file at the head revision."""
    app = create_app(Settings(data_dir=tmp_path / "data"))
    with TestClient(app) as test_client:
        assert test_client.get("/api/health").json()["database"] == "sqlite"
    assert (tmp_path / "data" / "labelworks.db").is_file()
    assert current_revision(app.state.db) == head_revision()
    app.state.db.dispose()
