"""A prompt version's outputs for a campaign (``labelworks generate … --rows FILE``): a
registry prompt asked about each row of a campaign's input (``{id, prompt, outputs?,
metadata?}``), its reply added to the row's outputs under a model name of the campaign, and
the rows written back as a campaign file to import — so two prompt versions, or a prompt
and any model, are compared blind like any two models.

The prompt reads ``prompt`` (the row's prompt) and may read ``metadata``. Replies are cached
per request like every generation (``services.llm_runs``): a re-run, or a run of the next
file holding the same rows, asks only for what has no answer yet. Rows whose request failed
or whose reply was empty are left out of the file and counted."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from labelworks.config import Settings
from labelworks.domain.access import Action, Actor
from labelworks.domain.campaign import CampaignSpec
from labelworks.domain.errors import InvalidInput
from labelworks.domain.generation import reply_text
from labelworks.pipelines.rows import ImportFormat
from labelworks.services.access import unwalled_project
from labelworks.services.campaigns import read_campaign_rows
from labelworks.services.chat_endpoint import Endpoint
from labelworks.services.judges import campaign_of
from labelworks.services.llm_runs import (
    Planned,
    RunOutcome,
    check_run_options,
    endpoint_for,
    plan_request,
    prompt_reading,
    run_requests,
)
from labelworks.services.specs import stored_spec
from labelworks.storage import llm_replies as reply_store
from labelworks.storage.engine import Database
from labelworks.storage.projects import ProjectRow
from labelworks.storage.prompts import PromptRow

__all__ = ["OutputsRun", "check_outputs", "generate_outputs", "outputs_task"]

VARIABLES = ("prompt", "metadata")


@dataclass(frozen=True, slots=True)
class OutputsRun:
    """``written`` rows went to the file with ``name``'s output; ``missing`` rows have none
    yet (their request failed or the reply was empty: the next run asks again)."""

    project: str
    prompt: str
    model: str
    name: str
    rows: int
    written: int
    missing: int
    outcome: RunOutcome


def outputs_task(name: str) -> str:
    """The ``llm_replies`` task a campaign model's generated outputs are stored under."""
    return f"outputs:{name}"


def _prepare(
    db: Database,
    project: str,
    *,
    prompt: str,
    endpoint: str,
    model: str,
    name: str,
    settings: Settings,
    api_key_env: str | None,
    concurrency: int,
    temperature: float | None,
    actor: Actor | None,
) -> tuple[ProjectRow, CampaignSpec, PromptRow, Endpoint]:
    check_run_options(concurrency, temperature)
    point = endpoint_for(settings, endpoint, model, api_key_env)
    with db.read() as conn:
        why = "a campaign's outputs are generated from outside any vendor's wall"
        row = unwalled_project(conn, actor, project, Action.MANAGE, why)
        template = prompt_reading(conn, prompt, VARIABLES, "a campaign output's prompt")
    campaign = campaign_of(stored_spec(row.spec), row.name)
    if name not in campaign.models:
        raise InvalidInput(
            f"'{name[:200]}' is not one of the campaign's models ({', '.join(campaign.models)}):"
            " add it to evaluation.models first"
        )
    return row, campaign, template, point


def check_outputs(
    db: Database,
    project: str,
    *,
    prompt: str,
    endpoint: str,
    model: str,
    name: str,
    settings: Settings,
    api_key_env: str | None = None,
    concurrency: int = 8,
    temperature: float | None = None,
    actor: Actor | None = None,
) -> None:
    """Refuse a campaign-output generation that could not start, before a job is queued."""
    _prepare(db, project, prompt=prompt, endpoint=endpoint, model=model, name=name,
             settings=settings, api_key_env=api_key_env, concurrency=concurrency,
             temperature=temperature, actor=actor)  # fmt: skip


def generate_outputs(
    db: Database,
    project: str,
    rows: BinaryIO,
    out: BinaryIO,
    *,
    fmt: ImportFormat,
    source: str,
    prompt: str,
    endpoint: str,
    model: str,
    name: str,
    settings: Settings,
    api_key_env: str | None = None,
    concurrency: int = 8,
    temperature: float | None = None,
    actor: Actor | None = None,
    job_id: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> OutputsRun:
    """Write ``rows`` (a campaign file, JSONL or a JSON array) to ``out`` as JSONL with
    ``name``'s output added to each, asking the prompt for the outputs not answered yet."""
    row, campaign, template, point = _prepare(
        db, project, prompt=prompt, endpoint=endpoint, model=model, name=name,
        settings=settings, api_key_env=api_key_env, concurrency=concurrency,
        temperature=temperature, actor=actor,
    )  # fmt: skip
    parsed = read_campaign_rows(rows, campaign, fmt, source, min_outputs=0)
    wanted = template.content.variables

    def plans() -> Iterator[Planned]:
        for r in parsed:
            values: dict[str, Any] = {"prompt": r.prompt, "metadata": r.metadata}
            chosen = {k: values[k] for k in wanted}
            overrides = {"temperature": temperature}
            yield plan_request(template, model, None, False, chosen, overrides, row_key=r.id)

    task = outputs_task(name)
    outcome = run_requests(
        db,
        project_id=row.id,
        task=task,
        endpoint=point,
        prompt=template,
        planned=plans(),
        total=len(parsed),
        parse=reply_text,
        read_back=lambda text, swapped: text,
        concurrency=concurrency,
        backoff=settings.llm_backoff,
        job_id=job_id,
        progress=progress,
    )
    texts: dict[str, str] = {}
    with db.read() as conn:
        setup = (template.name, template.version, model)
        for reply in reply_store.replies(conn, row.id, task, setup):
            if reply.row_key is not None and reply.status == "ok":
                texts[reply.row_key] = str(reply.parsed)
    written = 0
    for r in parsed:
        text = texts.get(r.id)
        if text is None:
            continue
        record = {"id": r.id, "prompt": r.prompt, "outputs": {**r.outputs, name: text}}
        if r.metadata:
            record["metadata"] = r.metadata
        out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
        written += 1
    return OutputsRun(
        project=row.name,
        prompt=f"{template.name}@{template.version}",
        model=model,
        name=name,
        rows=len(parsed),
        written=written,
        missing=len(parsed) - written,
        outcome=outcome,
    )
