"""The prompt registry over HTTP, in-process: pushing JSON and YAML (201 for a new version,
200 for the same content), the errors of a bad prompt with their line, who may push,
reading, diffing and rendering; and the Prompts pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services import passwords
from labelworks.services.auth import set_password
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

JUDGE_YAML = """\
description: Is the answer faithful?
variables:
  source: the text
  answer: the answer
parameters: {temperature: 0, max_tokens: 5}
template: |
  Source: {{ source }}
  Answer: {{ answer }}
"""
JUDGE_JSON: dict[str, Any] = {
    "description": "Is the answer faithful?",
    "variables": {"source": "the text", "answer": "the answer"},
    "parameters": {"temperature": 0.5, "max_tokens": 5},
    "template": "Source: {{ source }}\nAnswer: {{ answer }}\n",
}
YAML = {"content-type": "application/yaml"}


@dataclass
class World:
    http: TestClient
    tokens: dict[str, dict[str, str]]

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.tokens[who], **kwargs.pop("headers", {})}
        return self.http.request(method, f"/api/v1{path}", headers=headers, **kwargs)


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """A manager and an annotator with tokens (no project: prompts have none)."""
    tokens = {}
    for who in ("manager", "annotator"):
        made = add_user(db, f"{who}@example.com", role=who, with_token=True)
        tokens[who] = {"Authorization": f"Bearer {made.token}"}
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(http, tokens)


def test_push_yaml_then_json_then_the_same_again(world: World) -> None:
    """YAML makes version 1 (201), JSON version 2 (201), the same JSON again nothing (200,
    created false, version 2); the list and a version read back what was pushed."""
    first = world.call("manager", "POST", "/prompts/judge", content=JUDGE_YAML, headers=YAML)
    second = world.call("manager", "POST", "/prompts/judge", json=JUDGE_JSON)
    again = world.call("manager", "POST", "/prompts/judge", json=JUDGE_JSON)
    listed = world.call("annotator", "GET", "/prompts").json()
    shown = world.call("annotator", "GET", "/prompts/judge", params={"version": 1}).json()
    pushed = [(r.status_code, r.json()["version"], r.json()["created"]) for r in (first, second)]
    assert [*pushed, (again.status_code, again.json()["version"], again.json()["created"])] == [
        (201, 1, True),
        (201, 2, True),
        (200, 2, False),
    ]
    assert [(p["name"], p["latest"], p["versions"]) for p in listed] == [("judge", 2, 2)]
    assert {k: shown[k] for k in ("version", "latest", "variables", "parameters", "yaml")} == {
        "version": 1,
        "latest": 2,
        "variables": {"source": "the text", "answer": "the answer"},
        "parameters": {"temperature": 0.0, "max_tokens": 5},
        "yaml": JUDGE_YAML.replace(
            " {temperature: 0, max_tokens: 5}", "\n  temperature: 0.0\n  max_tokens: 5"
        ),
    }
    assert [(v["version"], v["created_by"]) for v in shown["versions"]] == [
        (1, "manager@example.com"),
        (2, "manager@example.com"),
    ]


def test_bad_prompts_are_422_with_their_line_and_nothing_is_stored(world: World) -> None:
    """A YAML prompt reading an undeclared variable names its line and field and lists
    what differs; JSON that is not an object, an unknown parameter and a bad name are
    refused too; the registry stays empty."""
    bad = JUDGE_YAML.replace("Answer: {{ answer }}", "Answer: {{ answer }} {{ rubric }}")
    answers = [
        world.call("manager", "POST", "/prompts/judge", content=bad, headers=YAML),
        world.call("manager", "POST", "/prompts/judge", json=["x"]),
        world.call(
            "manager",
            "POST",
            "/prompts/judge",
            json={**JUDGE_JSON, "parameters": {"temperatur": 1}},
        ),
        world.call("manager", "POST", "/prompts/Judge!", json=JUDGE_JSON),
    ]
    assert [r.status_code for r in answers] == [422, 422, 422, 422]
    assert answers[0].json() == {
        "code": "invalid_prompt",
        "message": "request body, line 2, field 'variables': the template reads variable "
        "'rubric' but 'variables' does not declare it",
        "location": {"file": "request body", "line": 2, "field": "variables"},
        "details": {"undeclared": ["rubric"], "unused": []},
    }
    assert [(r.json()["code"], r.json()["location"]["field"]) for r in answers[1:]] == [
        ("invalid_prompt", None),
        ("invalid_prompt", "parameters.temperatur"),
        ("invalid_input", "name"),
    ]
    assert world.call("manager", "GET", "/prompts").json() == []


def test_annotators_may_not_push_but_read_diff_and_render(world: World) -> None:
    """An annotator's push is 403; they read the diff of two versions and render one (the
    latest by default, or the version asked for) with its parameters."""
    world.call("manager", "POST", "/prompts/judge", content=JUDGE_YAML, headers=YAML)
    world.call("manager", "POST", "/prompts/judge", json=JUDGE_JSON)
    refused = world.call("annotator", "POST", "/prompts/judge", json=JUDGE_JSON)
    diff = world.call("annotator", "GET", "/prompts/judge/diff", params={"a": 1, "b": 2}).json()
    values = {"source": "S", "answer": "A"}
    latest = world.call("annotator", "POST", "/prompts/judge/render", json={"variables": values})
    first = world.call(
        "annotator", "POST", "/prompts/judge/render", json={"variables": values, "version": 1}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert (diff["added"], diff["removed"], diff["a"]["version"], diff["b"]["version"]) == (
        1,
        1,
        1,
        2,
    )
    assert "-  temperature: 0.0\n+  temperature: 0.5" in diff["diff"]
    assert (latest.json(), first.json()["parameters"]) == (
        {
            "name": "judge",
            "version": 2,
            "text": "Source: S\nAnswer: A\n",
            "parameters": {"temperature": 0.5, "max_tokens": 5},
        },
        {"temperature": 0.0, "max_tokens": 5},
    )


def test_rendering_refusals_and_missing_things(world: World) -> None:
    """Missing and unknown variables are 422 naming them; a sandboxed template's refusal
    is 422; an unknown prompt or version is 404."""
    world.call("manager", "POST", "/prompts/judge", content=JUDGE_YAML, headers=YAML)
    sneaky = {"variables": ["x"], "template": "{{ x|attr('__class__') }}"}
    world.call("manager", "POST", "/prompts/sneaky", json=sneaky)
    answers = [
        world.call("annotator", "POST", "/prompts/judge/render", json={"variables": {"a": 1}}),
        world.call("annotator", "POST", "/prompts/sneaky/render", json={"variables": {"x": ""}}),
        world.call("annotator", "GET", "/prompts/nothing"),
        world.call("annotator", "GET", "/prompts/judge", params={"version": 5}),
        world.call("annotator", "GET", "/prompts/judge/diff", params={"a": 1, "b": 5}),
    ]
    assert [(r.status_code, r.json()["message"]) for r in answers] == [
        (422, "field 'variables': missing variables 'source', 'answer'; unknown variable 'a' "
              "(the prompt's variables: source, answer)"),
        (422, "the sandbox refused the template: access to attribute '__class__' of 'str' "
              "object is unsafe."),
        (404, "prompt 'nothing' does not exist"),
        (404, "prompt 'judge' has no version 5"),
        (404, "prompt 'judge' has no version 5"),
    ]  # fmt: skip


def test_the_prompts_pages(world: World, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The list links each prompt; a prompt's page shows the chosen version's template,
    variables and parameters, its versions and the diff between the two chosen (escaped);
    the top nav links the list; an unknown prompt is a 404 page."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    set_password(db, "annotator@example.com", "correct horse")
    world.call("manager", "POST", "/prompts/judge", content=JUDGE_YAML, headers=YAML)
    world.call("manager", "POST", "/prompts/judge", json={**JUDGE_JSON, "description": "<b>"})
    http = world.http
    form = http.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    login = {"email": "annotator@example.com", "password": "correct horse"}
    http.post("/login", data={**login, "csrf_token": csrf.group(1)})
    listed = http.get("/prompts").text
    page = http.get("/prompts/judge", params={"version": 1, "a": 1, "b": 2}).text
    missing = http.get("/prompts/nothing")
    assert ('<a href="/prompts">Prompts</a>' in listed, '<a href="/prompts/judge">' in listed) == (
        True,
        True,
    )
    assert re.findall(r'data-testid="version" data-version="(\d)"', page) == ["2", "1"]
    assert "version 1 of 2" in page and "Source: {{ source }}\nAnswer: {{ answer }}" in page
    assert re.findall(r'<tr class="(add|remove)">.*?</span>([^<]*)</td>', page) == [
        ("remove", "description: Is the answer faithful?"),
        ("add", "description: &lt;b&gt;"),
        ("remove", "  temperature: 0.0"),
        ("add", "  temperature: 0.5"),
    ]
    assert missing.status_code == 404
