"""A project's generations (``labelworks generations``, the Generate page): each model
version a registry prompt's replies were stored as (``services.generation``), with the
replies it holds so far — ok, malformed (answered, no value to read) and failed (asked
again by the next run) — their tokens, and how many predictions of it the project keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from labelworks.domain.access import Actor
from labelworks.domain.predictions import model_key, split_model
from labelworks.services.evaluation import evaluable_project
from labelworks.storage import llm_replies as reply_store
from labelworks.storage import predictions as prediction_store
from labelworks.storage.engine import Database

__all__ = ["GenerationSummary", "list_generations", "parse_task"]

PREFIX = "generate:"


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """A generation: the ``field`` it fills, the model version it stored (``model``,
    ``version`` = ``PROMPT-vN``; ``predicted`` = ``model@version``), the registry ``prompt``
    (``NAME@N``) and the model the endpoint served (``served``) of its newest reply, its
    stored replies and tokens, and the ``items`` holding a prediction of that version."""

    field: str
    model: str
    version: str
    predicted: str
    prompt: str
    served: str
    items: int
    ok: int
    malformed: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    last: datetime | None


def parse_task(task: str) -> tuple[str, str, str] | None:
    """A generation's ``llm_replies`` task (``generate:FIELD:MODEL@VERSION``) as (field,
    model, version); ``None`` for a task that is not one. Field names hold no ``:`` and
    prompt names (the version's ``NAME-vN``) no ``@``, so a model's name may hold both."""
    if not task.startswith(PREFIX):
        return None
    field, colon, predicted = task.removeprefix(PREFIX).partition(":")
    model, version = split_model(predicted)
    if not colon or not field or version is None or not version:
        return None
    return field, model, version


def list_generations(
    db: Database, project: str, *, actor: Actor | None = None
) -> list[GenerationSummary]:
    """The project's generations, the newest reply first. Needs the review right, outside
    any vendor's wall (as evaluations)."""
    with db.read() as conn:
        row = evaluable_project(conn, actor, project)
        counts = reply_store.summaries(conn, row.id, PREFIX)
        stored = {
            (m.model, m.version): m.items for m in prediction_store.model_versions(conn, row.id)
        }
        setups = {task: reply_store.latest_setup(conn, row.id, task) for task in counts}
    out = []
    for task, s in counts.items():
        parsed = parse_task(task)
        setup = setups[task]
        if parsed is None or setup is None:
            continue
        field, model, version = parsed
        prompt, prompt_version, served = setup
        out.append(
            GenerationSummary(
                field=field,
                model=model,
                version=version,
                predicted=model_key(model, version),
                prompt=f"{prompt}@{prompt_version}",
                served=served,
                items=stored.get((model, version), 0),
                ok=s.ok,
                malformed=s.malformed,
                failed=s.failed,
                prompt_tokens=s.prompt_tokens,
                completion_tokens=s.completion_tokens,
                last=s.last,
            )
        )
    return sorted(
        out,
        key=lambda g: (g.last.timestamp() if g.last else 0.0, g.predicted, g.field),
        reverse=True,
    )
