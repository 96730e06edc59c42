"""``labelworks generate``: a registry prompt run over a project's items against a chat
endpoint, each reply read as a value of one field (``domain.generation``) and stored as a
prediction of the model, version ``PROMPT-vN`` — in the same transaction as the reply, so a
killed run resumes where it stopped and a re-run costs nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from labelworks.config import Settings
from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidInput
from labelworks.domain.fields import FieldSpec
from labelworks.domain.generation import prediction_version, reader_for
from labelworks.domain.predictions import MAX_NAME, Prediction, model_key
from labelworks.domain.spec import ProjectSpec
from labelworks.services.access import project_for
from labelworks.services.chat_endpoint import Endpoint
from labelworks.services.llm_runs import (
    Planned,
    RunOutcome,
    check_run_options,
    endpoint_for,
    plan_request,
    registered_prompt,
    run_requests,
)
from labelworks.services.specs import stored_spec
from labelworks.storage import llm_replies as reply_store
from labelworks.storage import predictions as prediction_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.llm_replies import Reply
from labelworks.storage.predictions import StoredPrediction
from labelworks.storage.prompts import PromptRow

__all__ = ["GenerationRun", "check_generation", "generation_task", "run_generation"]

CHUNK = 500


@dataclass(frozen=True, slots=True)
class GenerationRun:
    """What a generation did: ``predicted`` is the model version its outputs are stored as
    (``model@PROMPT-vN``); ``skipped`` items lack a variable the prompt reads."""

    project: str
    prompt: str
    model: str
    field: str
    predicted: str
    items: int
    skipped: int
    outcome: RunOutcome


def generation_task(field: str, predicted: str) -> str:
    """The ``llm_replies`` task a generation's replies are stored under."""
    return f"generate:{field}:{predicted}"


@dataclass(frozen=True, slots=True)
class _Prepared:
    project_id: int
    project: str
    spec: ProjectSpec
    target: FieldSpec
    read: Callable[[str], Any]
    template: PromptRow
    endpoint: Endpoint
    name: str
    ids: list[int]


def _prepare(
    db: Database,
    project: str,
    *,
    prompt: str,
    endpoint: str,
    model: str,
    settings: Settings,
    field: str | None,
    as_model: str | None,
    api_key_env: str | None,
    concurrency: int,
    temperature: float | None,
    actor: Actor | None,
) -> _Prepared:
    check_run_options(concurrency, temperature)
    name = as_model or model
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidInput(f"the model's name must be 1-{MAX_NAME} characters")
    point = endpoint_for(settings, endpoint, model, api_key_env)
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.MANAGE)
        template = registered_prompt(conn, prompt)
        spec = stored_spec(row.spec)
        target = _field(spec.fields, field)
        read = reader_for(target)
        ids = reply_store.item_ids(conn, row.id, gold=True)
    return _Prepared(row.id, row.name, spec, target, read, template, point, name, ids)


def check_generation(
    db: Database,
    project: str,
    *,
    prompt: str,
    endpoint: str,
    model: str,
    settings: Settings,
    field: str | None = None,
    as_model: str | None = None,
    api_key_env: str | None = None,
    concurrency: int = 8,
    temperature: float | None = None,
    actor: Actor | None = None,
) -> None:
    """Refuse a generation that could not start (unknown prompt or field, a field it cannot
    fill, a bad endpoint or key variable) before a job is queued for it."""
    _prepare(db, project, prompt=prompt, endpoint=endpoint, model=model, settings=settings,
             field=field, as_model=as_model, api_key_env=api_key_env, concurrency=concurrency,
             temperature=temperature, actor=actor)  # fmt: skip


def run_generation(
    db: Database,
    project: str,
    *,
    prompt: str,
    endpoint: str,
    model: str,
    settings: Settings,
    field: str | None = None,
    as_model: str | None = None,
    api_key_env: str | None = None,
    concurrency: int = 8,
    temperature: float | None = None,
    actor: Actor | None = None,
    job_id: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> GenerationRun:
    """Ask the prompt about every item of the project not answered yet with this prompt
    version and model, and store each reply as a prediction of ``field``."""
    p = _prepare(db, project, prompt=prompt, endpoint=endpoint, model=model, settings=settings,
                 field=field, as_model=as_model, api_key_env=api_key_env,
                 concurrency=concurrency, temperature=temperature, actor=actor)  # fmt: skip
    target, template, name, ids = p.target, p.template, p.name, p.ids
    version = prediction_version(template.name, template.version)
    predicted = model_key(name, version)
    skipped = [0]
    shown = p.spec.predictions

    def store_predictions(conn: Connection, batch: list[Reply]) -> None:
        rows = [
            StoredPrediction(r.item_id, Prediction(name, version, {target.name: r.parsed}))
            for r in batch
            if r.status == "ok" and r.item_id is not None
        ]
        if rows:
            prediction_store.store(conn, p.project_id, rows, utcnow(), shown)

    def plans() -> Iterator[Planned]:
        wanted = template.content.variables
        for start in range(0, len(ids), CHUNK):
            with db.read() as conn:
                found = reply_store.items_by_id(conn, ids[start : start + CHUNK])
            for item in found:
                values: dict[str, Any] = {**item.payload, "metadata": item.metadata}
                if any(v not in values for v in wanted):
                    skipped[0] += 1
                    continue
                chosen = {k: values[k] for k in wanted}
                overrides = {"temperature": temperature}
                yield plan_request(template, model, item.item_id, False, chosen, overrides)

    outcome = run_requests(
        db,
        project_id=p.project_id,
        task=generation_task(target.name, predicted),
        endpoint=p.endpoint,
        prompt=template,
        planned=plans(),
        total=len(ids),
        parse=p.read,
        read_back=lambda parsed, swapped: parsed,
        concurrency=concurrency,
        backoff=settings.llm_backoff,
        job_id=job_id,
        progress=progress,
        also=store_predictions,
    )
    return GenerationRun(
        project=p.project,
        prompt=f"{template.name}@{template.version}",
        model=model,
        field=target.name,
        predicted=predicted,
        items=len(ids),
        skipped=skipped[0],
        outcome=outcome,
    )


def _field(fields: list[Any], name: str | None) -> Any:
    if name is None:
        for f in fields:
            try:
                reader_for(f)
            except InvalidInput:
                continue
            return f
        raise InvalidInput(
            "the project has no choice, multi_choice, rating or text field to generate"
        )
    for f in fields:
        if f.name == name:
            return f
    raise InvalidInput(f"the project has no field '{name[:200]}'")
