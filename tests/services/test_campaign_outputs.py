"""A prompt version's outputs for a campaign against a real local chat server: each row's
reply added under a campaign model's name, the file imported as any campaign file, cached
per request, rows without an answer left out and asked again."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.chat_server import ChatServer, faults_first
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.errors import InvalidImport, InvalidInput, InvalidPrompt
from labelworks.domain.prompts import parse_prompt
from labelworks.domain.spec import spec_from_dict
from labelworks.services.campaign_outputs import generate_outputs
from labelworks.services.ingestion import import_items
from labelworks.services.projects import apply_spec
from labelworks.services.prompts import push_prompt
from labelworks.storage.engine import Database

PROMPT = """\
variables: [prompt, metadata]
template: "Answer briefly ({{ metadata.style }}): {{ prompt }}"
"""
ROWS = [
    {
        "id": f"q{i}",
        "prompt": f"question {i}",
        "outputs": {"human-written": f"answer {i}"},
        "metadata": {"style": "plain"},
    }
    for i in range(5)
]


def echo(body: dict[str, Any]) -> str:
    """The model: says what it was asked, so each output is known by construction."""
    return "Reply to " + body["messages"][-1]["content"].split(": ", 1)[1]


def _file(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, llm_backoff=0.01)


def _campaign(db: Database) -> None:
    spec = {"name": "answers", "fields": [{"name": "pref", "kind": "pairwise"}],
            "evaluation": {"models": ["human-written", "answer-v1", "answer-v2"]}}  # fmt: skip
    apply_spec(db, spec_from_dict(spec), guidelines=None)
    push_prompt(db, "answer", parse_prompt(PROMPT))
    push_prompt(db, "answer", parse_prompt(PROMPT.replace("briefly", "in full")))


def _run(db: Database, settings: Settings, url: str, rows: bytes, **options: Any) -> Any:
    out = io.BytesIO()
    given: dict[str, Any] = {"prompt": "answer@1", "name": "answer-v1", **options}
    run = generate_outputs(db, "answers", io.BytesIO(rows), out, fmt="jsonl",
                           source="rows.jsonl", endpoint=url, model="small",
                           settings=settings, **given)  # fmt: skip
    return run, [json.loads(line) for line in out.getvalue().splitlines()]


def test_two_prompt_versions_become_two_campaign_models(db: Database, settings: Settings) -> None:
    """Version 1's outputs are added under answer-v1, then version 2's under answer-v2 to
    the same file; importing it makes the campaign's three pairs per prompt."""
    _campaign(db)
    with ChatServer(echo) as server:
        first, rows = _run(db, settings, server.url, jsonl(ROWS).getvalue())
        second, both = _run(db, settings, server.url, _file(rows), prompt="answer@2",
                            name="answer-v2")  # fmt: skip
    assert (first.rows, first.written, first.missing, first.outcome.requests) == (5, 5, 0, 5)
    assert both[0] == {
        "id": "q0",
        "prompt": "question 0",
        "outputs": {
            "human-written": "answer 0",
            "answer-v1": "Reply to question 0",
            "answer-v2": "Reply to question 0",
        },
        "metadata": {"style": "plain"},
    }
    summary = import_items(db, "answers", io.BytesIO(_file(both)), format="jsonl",
                           source="both.jsonl")  # fmt: skip
    assert (second.prompt, summary.inserted) == ("answer@2", 15)


def test_a_rerun_costs_nothing_and_rows_without_an_answer_are_asked_again(
    db: Database, settings: Settings
) -> None:
    """A server that fails everything leaves every row out (counted); the next run against
    a working one asks for exactly those, and a third run for nothing."""
    _campaign(db)
    rows = jsonl(ROWS).getvalue()
    with ChatServer(echo, faults=faults_first("500", 99)) as down:
        failed, written = _run(db, settings, down.url, rows)
    with ChatServer(echo) as up:
        fixed, _ = _run(db, settings, up.url, rows)
        again, same = _run(db, settings, up.url, rows)
    assert (failed.written, failed.missing, failed.outcome.failed, written) == (0, 5, 5, [])
    assert (fixed.outcome.requests, fixed.written) == (5, 5)
    assert (again.outcome.requests, again.outcome.cached, len(same), up.requests) == (0, 5, 5, 5)


def test_refusals_name_the_model_the_prompt_and_the_row(db: Database, settings: Settings) -> None:
    """A name the campaign lacks, a prompt reading other variables and a bad row are each
    refused before anything is sent."""
    _campaign(db)
    push_prompt(db, "titled", parse_prompt('variables: [title]\ntemplate: "{{ title }}"\n'))
    rows = jsonl(ROWS).getvalue()
    with ChatServer(echo) as server:
        with pytest.raises(InvalidInput, match="'gpt-x' is not one of the campaign's models"):
            _run(db, settings, server.url, rows, name="gpt-x")
        with pytest.raises(InvalidPrompt, match="reads 'title'; a campaign output's prompt"):
            _run(db, settings, server.url, rows, prompt="titled")
        bad = b'{"id": "q1", "prompt": "p", "outputs": {"stranger": "x"}}\n'
        with pytest.raises(InvalidImport, match="'stranger' is not one of the campaign's"):
            _run(db, settings, server.url, bad)
        assert server.requests == 0
