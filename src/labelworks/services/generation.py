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
from labelworks.domain.generation import prediction_version, reader_for
from labelworks.domain.predictions import MAX_NAME, Prediction, model_key
from labelworks.services.access import project_for
from labelworks.services.llm_runs import (
    Planned,
    RunOutcome,
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

__all__ = ["GenerationRun", "generation_task", "run_generation"]

CHUNK = 500
MAX_CONCURRENCY = 64


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
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidInput(f"concurrency must be from 1 to {MAX_CONCURRENCY}")
    if temperature is not None and not 0 <= temperature <= 2:
        raise InvalidInput("temperature must be from 0 to 2")
    name = as_model or model
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidInput(f"the model's name must be 1-{MAX_NAME} characters")
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.MANAGE)
        spec = stored_spec(row.spec)
        target = _field(spec.fields, field)
        read = reader_for(target)
        template = registered_prompt(conn, prompt)
        ids = reply_store.item_ids(conn, row.id, gold=True)
    point = endpoint_for(settings, endpoint, model, api_key_env)
    version = prediction_version(template.name, template.version)
    predicted = model_key(name, version)
    skipped = [0]
    shown = spec.predictions

    def store_predictions(conn: Connection, batch: list[Reply]) -> None:
        rows = [
            StoredPrediction(r.item_id, Prediction(name, version, {target.name: r.parsed}))
            for r in batch
            if r.status == "ok"
        ]
        if rows:
            prediction_store.store(conn, row.id, rows, utcnow(), shown)

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
        project_id=row.id,
        task=generation_task(target.name, predicted),
        endpoint=point,
        prompt=template,
        planned=plans(),
        total=len(ids),
        parse=read,
        read_back=lambda parsed, swapped: parsed,
        concurrency=concurrency,
        backoff=settings.llm_backoff,
        job_id=job_id,
        progress=progress,
        also=store_predictions,
    )
    return GenerationRun(
        project=row.name,
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
