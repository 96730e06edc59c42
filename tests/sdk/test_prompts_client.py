"""The SDK's prompt registry methods against the real app, in-process: push a mapping, YAML
text, a YAML file and a plain template; list, read, diff and render; and each refusal as the
domain's error class."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

YAML = "variables: [topic]\nparameters: {max_tokens: 200}\ntemplate: 'Write about {{ topic }}.'\n"


@pytest.fixture
def clients(db: Database, tmp_path: Path) -> Iterator[tuple[Client, Client]]:
    """A manager's client and a reviewer's."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        made = [
            add_user(db, f"{role}@example.com", role=role, with_token=True).token
            for role in ("manager", "reviewer")
        ]
        assert made[0] is not None and made[1] is not None
        yield Client.from_httpx(http, made[0]), Client.from_httpx(http, made[1])


def test_push_every_kind_of_prompt_and_read_them(
    clients: tuple[Client, Client], tmp_path: Path
) -> None:
    """YAML text makes version 1, the same as a file nothing new, a mapping version 2; a
    .j2 template declares the names it reads; the reviewer lists, reads, diffs and renders."""
    manager, reviewer = clients
    (tmp_path / "essay.yaml").write_text(YAML)
    (tmp_path / "ask.j2").write_text("Answer {{ question }} in {{ words }} words.")
    pushed = [
        manager.push_prompt("essay", YAML),
        manager.push_prompt("essay", tmp_path / "essay.yaml"),
        manager.push_prompt("essay", {"variables": ["topic"], "template": "On {{ topic }}."}),
        manager.push_prompt("ask", tmp_path / "ask.j2"),
    ]
    shown = reviewer.prompt("essay", 1)
    diff = reviewer.prompt_diff("essay", 1, 2)
    rendered = reviewer.render_prompt("essay", {"topic": "tides"}, version=1)
    assert [(p.name, p.version, p.created) for p in pushed] == [
        ("essay", 1, True),
        ("essay", 1, False),
        ("essay", 2, True),
        ("ask", 1, True),
    ]
    assert pushed[3].variables == {"question": "", "words": ""}
    assert [(p.name, p.latest, p.versions) for p in reviewer.prompts()] == [
        ("ask", 1, 1),
        ("essay", 2, 2),
    ]
    assert (shown.version, shown.latest, shown.parameters, [v.version for v in shown.versions]) == (
        1,
        2,
        {"max_tokens": 200},
        [1, 2],
    )
    assert (diff.added, diff.removed) == (1, 3)
    assert (rendered.version, rendered.text, rendered.parameters) == (
        1,
        "Write about tides.",
        {"max_tokens": 200},
    )
    assert reviewer.render_prompt("essay", {"topic": "tides"}).text == "On tides."


def test_refusals_are_the_domain_errors(clients: tuple[Client, Client]) -> None:
    """A bad prompt is InvalidPrompt with its line, a reviewer's push PermissionDenied, a
    missing variable InvalidInput, an unknown version NotFound."""
    manager, reviewer = clients
    manager.push_prompt("essay", YAML)
    with pytest.raises(E.InvalidPrompt) as bad:
        manager.push_prompt("essay", YAML.replace("[topic]", "[topic, tone]"))
    with pytest.raises(E.PermissionDenied):
        reviewer.push_prompt("essay", YAML)
    with pytest.raises(E.InvalidInput) as missing:
        reviewer.render_prompt("essay", {})
    with pytest.raises(E.NotFound):
        reviewer.prompt("essay", 2)
    assert (bad.value.location, bad.value.message) == (
        E.Location(file="request body", line=1, field="variables"),
        "'variables' declares variable 'tone' but the template never reads it",
    )
    assert missing.value.details == {"missing": ["topic"], "unknown": []}
