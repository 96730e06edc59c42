"""What the API and page tests build their worlds from, through the services: the
reviews spec, a project and a project 'other', the staff of both (each with an API token),
the app in-process, and for pages, people logging in through the login form.

Each test module keeps its own spec changes and what its people do; this module holds
what they share, so a change to how people, projects or logins are made is made once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import ingestion, passwords
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

# A sentiment label and an optional note on texts; modules add overlap and quality.
REVIEWS: dict[str, Any] = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]},
        {"name": "note", "kind": "text", "required": False},
    ],
}
# who -> (email, role, vendor, projects)
People = dict[str, tuple[str, str, str | None, list[str]]]
PASSWORD = "correct horse"


def staff(
    project: str = "reviews", *, manages_other: bool = False, acme_reviewer: bool = False
) -> People:
    """An admin, an in-house and an acme manager, a reviewer (and an acme one), an acme and
    a globex annotator of ``project``, and a manager of 'other' only. The order is the
    order of their user ids."""
    people: People = {
        "admin": ("root@example.com", "admin", None, []),
        "manager": (
            "boss@example.com",
            "manager",
            None,
            [project, "other"] if manages_other else [project],
        ),
        "acme_lead": ("lead@acme.example", "manager", "acme", [project]),
        "reviewer": ("rev@example.com", "reviewer", None, [project]),
    }
    if acme_reviewer:
        people["acme_rev"] = ("rev@acme.example", "reviewer", "acme", [project])
    people["ann1"] = ("ann1@acme.example", "annotator", "acme", [project])
    people["ann2"] = ("ann2@globex.example", "annotator", "globex", [project])
    people["outsider"] = ("out@example.com", "manager", None, ["other"])
    return people


def two_projects(
    db: Database,
    spec: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    other: dict[str, Any] | None = None,
    other_rows: int = 1,
) -> None:
    """Project ``spec`` (guidelines "# Rules") holding ``rows``, and project 'other' (the
    same spec with ``other``'s keys, no guidelines) holding the first ``other_rows``."""
    apply_spec(db, spec_from_dict(spec), guidelines="# Rules")
    apply_spec(db, spec_from_dict({**spec, "name": "other", **(other or {})}), guidelines=None)
    ingestion.import_items(db, spec["name"], jsonl(rows), format="jsonl", source="a.jsonl")
    if other_rows:
        ingestion.import_items(
            db, "other", jsonl(rows[:other_rows]), format="jsonl", source="b.jsonl"
        )


def add_people(db: Database, people: People) -> tuple[dict[str, str], dict[str, int]]:
    """Everyone in ``people``, in order, each with an API token: tokens and user ids."""
    tokens, ids = {}, {}
    for who, (email, role, vendor, projects) in people.items():
        made = add_user(db, email, role=role, vendor=vendor, projects=projects, with_token=True)
        assert made.token is not None
        tokens[who], ids[who] = made.token, made.user.id
    return tokens, ids


def api_client(db: Database, tmp_path: Path, *, run_jobs: bool = False) -> TestClient:
    """The app on ``db`` with its data directory under ``tmp_path``; not yet started.
    ``run_jobs``: the app's own job consumer runs while it does, as ``serve``'s."""
    settings = Settings(data_dir=tmp_path / "data")
    return TestClient(create_app(settings, database=db, run_jobs=run_jobs))


@dataclass
class Bearer:
    """Requests in someone's name, with their API token."""

    client: TestClient
    tokens: dict[str, str]

    def call(self, who: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, url, headers=headers, **kwargs)


def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: page tests set passwords and log in many times."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def csrf_of(page: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    """``client``, logged in through the login form as a browser would be."""
    form = {"email": email, "password": password, "csrf_token": csrf_of(client.get("/login").text)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return client
