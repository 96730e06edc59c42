"""Generation against a real local chat server: a registry prompt's replies read as field
values and stored as predictions tagged with the prompt version, cached and resumable, so
two prompt versions compare like two models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.chat_server import ChatServer, faults_first
from tests.services.eval_world import ITEMS, PROJECT, answer_v1, answer_v2, make_eval_world

from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput
from labelworks.domain.prompts import parse_prompt
from labelworks.services import evaluation, predictions
from labelworks.services.generation import run_generation
from labelworks.services.model_comparison import compare_models
from labelworks.services.prompts import push_prompt
from labelworks.storage.engine import Database

PROMPT_V1 = """\
variables: [text]
parameters: {temperature: 0}
template: "Classify the review as pos, neg or neu. Review: {{ text }}"
"""
PROMPT_V2 = PROMPT_V1.replace("Classify", "Read carefully, then classify")


def reviewer(body: dict[str, Any]) -> str:
    """The model: version 1's mistakes when read quickly, version 2's when carefully; its
    replies vary in form as real ones do."""
    content = body["messages"][-1]["content"]
    found = re.search(r"review (\d+)", content)
    assert found is not None
    n = int(found.group(1))
    label = answer_v2(n) if "carefully" in content else answer_v1(n)
    return (f"[[{label}]]", f"{label.upper()}.", f" {label}\n")[n % 3]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, llm_backoff=0.01)


def test_two_prompt_versions_become_two_model_versions_to_compare(
    db: Database, settings: Settings
) -> None:
    """Each version's replies are stored as predictions of 'gen@classify-vN'; the paired
    comparison finds version 2 better, as the model was built to be."""
    make_eval_world(db, push=False)
    push_prompt(db, "classify", parse_prompt(PROMPT_V1))
    push_prompt(db, "classify", parse_prompt(PROMPT_V2))
    with ChatServer(reviewer) as server:
        first = run_generation(db, PROJECT, prompt="classify@1", endpoint=server.url,
                               model="gen", settings=settings)  # fmt: skip
        second = run_generation(db, PROJECT, prompt="classify", endpoint=server.url,
                                model="gen", settings=settings)  # fmt: skip
    assert (first.predicted, second.predicted) == ("gen@classify-v1", "gen@classify-v2")
    assert (first.field, first.items, first.skipped) == ("sentiment", ITEMS, 0)
    assert (first.outcome.ok, first.outcome.malformed, second.outcome.ok) == (ITEMS, 0, ITEMS)
    run = evaluation.run_evaluation(db, PROJECT, "gen@classify-v1", against="final")
    # Version 1 is wrong on every fifth of the 40 decided items.
    assert run.report["accuracy"]["value"] == pytest.approx(32 / 40)
    verdict = compare_models(db, PROJECT, "gen@classify-v1", "gen@classify-v2")
    assert verdict.report["accuracy_difference"]["value"] == pytest.approx(4 / 40)


def test_a_rerun_costs_nothing_and_an_interrupted_run_resumes(
    db: Database, settings: Settings
) -> None:
    """A run stopped after 20 replies keeps them (and their predictions); the next run asks
    only for the other items, and a third asks for nothing."""
    make_eval_world(db, push=False)
    push_prompt(db, "classify", parse_prompt(PROMPT_V1))

    def stop_after_20(done: int, total: int | None) -> None:
        if done >= 20:
            raise KeyboardInterrupt

    with ChatServer(reviewer) as server:
        with pytest.raises(KeyboardInterrupt):
            run_generation(db, PROJECT, prompt="classify@1", endpoint=server.url, model="gen",
                           settings=settings, concurrency=1, progress=stop_after_20)  # fmt: skip
        kept = predictions.model_versions(db, PROJECT)
        resumed = run_generation(db, PROJECT, prompt="classify@1", endpoint=server.url,
                                 model="gen", settings=settings)  # fmt: skip
        again = run_generation(db, PROJECT, prompt="classify@1", endpoint=server.url,
                               model="gen", settings=settings)  # fmt: skip
    assert [(m.model, m.version, m.items) for m in kept] == [("gen", "classify-v1", 20)]
    assert (resumed.outcome.cached, resumed.outcome.requests) == (20, ITEMS - 20)
    assert (again.outcome.cached, again.outcome.requests) == (ITEMS, 0)
    assert server.requests == ITEMS


def test_unreadable_replies_are_malformed_and_items_without_a_variable_are_skipped(
    db: Database, settings: Settings
) -> None:
    """A reply that is no label is asked again, then kept as malformed (no prediction); a
    prompt reading a payload key some items lack skips those items."""
    make_eval_world(db, push=False)
    push_prompt(db, "classify", parse_prompt(PROMPT_V1))
    with ChatServer(lambda body: "It is hard to say.", faults=faults_first("500", 1)) as server:
        run = run_generation(db, PROJECT, prompt="classify@1", endpoint=server.url,
                             model="gen", settings=settings)  # fmt: skip
    # Five attempts each (a 500, then four unreadable replies): four retries.
    assert (run.outcome.ok, run.outcome.malformed, run.outcome.retries) == (0, ITEMS, ITEMS * 4)
    assert predictions.model_versions(db, PROJECT) == []
    push_prompt(db, "titled", parse_prompt('variables: [title]\ntemplate: "{{ title }}"\n'))
    with ChatServer(reviewer) as server:
        skipped = run_generation(db, PROJECT, prompt="titled", endpoint=server.url,
                                 model="gen", settings=settings)  # fmt: skip
    assert (skipped.skipped, skipped.outcome.requests, server.requests) == (ITEMS, 0, 0)


def test_refusals_name_the_field_and_the_settings(db: Database, settings: Settings) -> None:
    """A field generation cannot fill, an unknown field and out-of-range settings are
    refused before anything is sent."""
    make_eval_world(db, push=False)
    push_prompt(db, "classify", parse_prompt(PROMPT_V1))
    with ChatServer(reviewer) as server:
        for options, message in [
            ({"field": "nope"}, "no field 'nope'"),
            ({"concurrency": 0}, "concurrency must be from 1 to 64"),
            ({"temperature": 3.0}, "temperature must be from 0 to 2"),
            ({"endpoint": "ftp://x"}, "must be an http:// or https:// URL"),
        ]:
            given: dict[str, Any] = {"endpoint": server.url, **options}
            with pytest.raises(InvalidInput, match=message):
                run_generation(db, PROJECT, prompt="classify@1", model="gen",
                               settings=settings, **given)  # fmt: skip
        assert server.requests == 0
