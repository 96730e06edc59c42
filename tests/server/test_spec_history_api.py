"""The spec history over HTTP and through the SDK, in-process, on SQLite and PostgreSQL:
revisions and the diff between any two, guideline versions, and ``spec/check`` (the dry
run of ``PUT /projects/{project}``: its problems with their lines, or what would change)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "hist",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]}],
    "guidelines": "# Rules\nBe kind.",
    "guidelines_changelog": "first",
}
BROKEN = """\
name: hist
fields:
  - name: sentiment
    kind: choice
    labels: [pos, pos]
overlap: zero
"""


@dataclass
class World:
    http: TestClient
    manager: Client
    annotator: Client
    outsider: Client


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Project 'hist' at revision 3 (the last forced: label 'meh' was in use; so is 'pos') with
    guideline versions 1 and 2; an annotator of it, and a manager of another project."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:

        def client(email: str, role: str, projects: list[str] | None) -> Client:
            made = add_user(db, email, role=role, projects=projects, with_token=True)
            assert made.token is not None
            return Client.from_httpx(http, made.token)

        manager = client("boss@example.com", "manager", None)
        manager.apply_spec(SPEC)
        manager.apply_spec(
            {**SPEC, "guidelines": "# Rules\nBe kind. Be fast.", "guidelines_changelog": "faster"}
        )
        manager.import_items("hist", [{"text": "a"}, {"text": "b"}])
        annotator = client("ann@example.com", "annotator", ["hist"])
        for label in ("meh", "pos"):
            task = annotator.next_task("hist")
            assert task is not None
            annotator.submit(task.assignment_id, {"sentiment": label})
        fewer = {
            **SPEC,
            "guidelines": "# Rules\nBe kind. Be fast.",
            "guidelines_changelog": "faster",
        }
        fewer["fields"] = [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}]
        manager.apply_spec(fewer, force=True)
        outsider = client("out@example.com", "manager", None)
        outsider.apply_spec({**SPEC, "name": "elsewhere"})
        yield World(http, manager, annotator, outsider)


def test_revisions_and_the_diff_between_two(world: World) -> None:
    revisions = world.manager.spec_revisions("hist")
    diff = world.manager.spec_diff("hist", 1, 3)
    third = world.manager.spec_revision("hist", 3)
    assert [(r.revision, r.forced) for r in revisions] == [(1, False), (2, False), (3, True)]
    assert (diff.a.revision, diff.b.revision, diff.b.forced) == (1, 3, True)
    assert "-  labels: [pos, neg, meh]" in diff.diff.splitlines()
    assert "+  labels: [pos, neg]" in diff.diff.splitlines()
    assert (diff.added, diff.removed) == (
        sum(line.startswith("+") and not line.startswith("+++") for line in diff.diff.splitlines()),
        sum(line.startswith("-") and not line.startswith("---") for line in diff.diff.splitlines()),
    )
    assert third.spec["fields"][0]["labels"] == ["pos", "neg"]
    assert "labels: [pos, neg]" in third.yaml


def test_guideline_versions_are_each_readable(world: World) -> None:
    versions = world.annotator.guideline_versions("hist")
    second = world.annotator.guideline_version("hist", 2)
    assert [(v.version, v.changelog) for v in versions] == [(1, "first"), (2, "faster")]
    assert (second.content, second.changelog) == ("# Rules\nBe kind. Be fast.", "faster")


def test_missing_revisions_and_versions_are_404_and_bad_numbers_422(world: World) -> None:
    with pytest.raises(E.NotFound, match="has no spec revision 4"):
        world.manager.spec_diff("hist", 1, 4)
    with pytest.raises(E.NotFound, match="has no guideline version 9"):
        world.manager.guideline_version("hist", 9)
    headers = {"Authorization": world.manager._headers["Authorization"]}
    answers = [
        world.http.get(url, headers=headers).status_code
        for url in (
            "/api/v1/projects/hist/spec/diff?a=0&b=1",
            "/api/v1/projects/hist/spec/diff?a=1",
            f"/api/v1/projects/hist/spec/diff?a=1&b={2**31}",
            "/api/v1/projects/hist/spec/revisions/0",
            "/api/v1/projects/hist/guidelines/x",
        )
    ]
    assert answers == [422] * 5


def test_a_non_member_is_told_the_project_does_not_exist(world: World) -> None:
    for call in (
        lambda: world.outsider.spec_revisions("hist"),
        lambda: world.outsider.spec_diff("hist", 1, 2),
        lambda: world.outsider.guideline_versions("hist"),
        lambda: world.outsider.check_spec(SPEC),
    ):
        with pytest.raises(E.NotFound):
            call()


def test_check_answers_what_applying_would_change_and_applies_nothing(world: World) -> None:
    """Adding a label: an update, safe; removing one in use: unsafe, with the apply's own
    reasons; the spec stays at revision 3."""
    current = world.manager.spec_revision("hist", 3).spec
    more = {**current, "fields": [{**current["fields"][0], "labels": ["pos", "neg", "new"]}]}
    fewer = {**current, "fields": [{**current["fields"][0], "labels": ["neg"]}]}
    safe = world.manager.check_spec(more)
    unsafe = world.manager.check_spec(fewer)
    same = world.manager.check_spec(current)
    with pytest.raises(E.UnsafeSpecChange) as refused:
        world.manager.apply_spec(fewer)
    assert (safe.action, safe.spec_revision, safe.unsafe_changes) == ("updated", 3, [])
    assert "+  labels: [pos, neg, new]" in safe.diff.splitlines()
    assert (unsafe.unsafe_changes, same.action) == (refused.value.details["reasons"], "unchanged")
    assert unsafe.unsafe_changes == [
        "label 'pos' of field 'sentiment' is in use and would be removed"
    ]
    assert [r.revision for r in world.manager.spec_revisions("hist")] == [1, 2, 3]


def test_check_refuses_an_invalid_spec_with_every_problem_and_its_line(world: World) -> None:
    """The apply's own 422: the first problem in the message, all of them with their lines
    in ``details.errors``; YAML or JSON, and a spec naming another project."""
    with pytest.raises(E.InvalidSpec) as yaml_refused:
        world.manager.check_spec(BROKEN)
    with pytest.raises(E.InvalidSpec) as apply_refused:
        world.manager.apply_spec(BROKEN)
    headers = {
        "Authorization": world.manager._headers["Authorization"],
        "Content-Type": "application/yaml",
    }
    renamed = world.http.post(
        "/api/v1/projects/hist/spec/check",
        content=b"name: other\nfields: [{name: s, kind: text}]\n",
        headers=headers,
    )
    errors = (yaml_refused.value.details or {})["errors"]
    assert str(yaml_refused.value) == str(apply_refused.value)
    assert [(e["line"], e["field"]) for e in errors] == [
        (5, "fields[0].labels[1]"),
        (6, "overlap"),
    ]
    assert (renamed.status_code, renamed.json()["message"]) == (
        422,
        "request body, field 'name': the spec names project 'other' but the URL names 'hist'",
    )


def test_check_of_a_new_project_would_create_it_for_managers_only(world: World) -> None:
    fresh = world.manager.check_spec({**SPEC, "name": "fresh"})
    with pytest.raises(E.PermissionDenied, match="an annotator may not create projects"):
        world.annotator.check_spec({**SPEC, "name": "fresh"})
    assert (fresh.action, fresh.spec_revision, fresh.guidelines_changed) == ("created", None, True)
    assert [p.name for p in world.manager.projects()] == ["hist"]
