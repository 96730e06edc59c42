"""Generation under the Evaluation tab (``/projects/{project}/evaluation/generate``): for
managers a form that starts a generation job — a registry prompt run over the project's
items at an OpenAI-compatible endpoint, each reply stored as a prediction of the model,
version ``PROMPT-vN`` — refused beside the form when it could not start; for everyone who
may review, the project's generations with their replies so far and a way to score or
compare each. The browser face of ``services.generation`` and ``services.generations``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from labelworks.config import Settings
from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.generation import GENERATED_KINDS
from labelworks.domain.predictions import model_key
from labelworks.jobs import records
from labelworks.schemas.judges import GenerateIn
from labelworks.server.api.jobs import job_queue
from labelworks.server.api.judges import queue_outputs
from labelworks.server.bodies import invalid_input
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.judges import ACTIVE, may_run, prompt_link
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import evaluation, predictions, prompts
from labelworks.services import projects as project_service
from labelworks.services.generation import check_generation
from labelworks.services.generations import GenerationSummary, list_generations
from labelworks.services.llm_runs import MAX_CONCURRENCY
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
# The prompt select offers each prompt's newest versions; older ones are typed in the CLI.
VERSIONS_OFFERED = 10
DESCRIPTION_SHOWN = 60
FORM_KEYS = ("prompt", "endpoint", "model", "field", "as_model", "api_key_env",
             "concurrency", "temperature")  # fmt: skip
DEFAULTS = {"concurrency": "8"}


@dataclass(frozen=True, slots=True)
class GenerationRow:
    """A generation as its row shows it, with where to score and compare it."""

    generation: GenerationSummary
    prompt_link: str
    scorable: bool
    compare: str | None
    compare_with: str | None


def _here(project: str) -> str:
    return f"/projects/{quote(project)}/evaluation"


def _prompt_groups(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The registry's prompts, each with its newest versions (newest first) as options."""
    groups = []
    for p in prompts.list_prompts(db, actor=actor):
        described = p.description.strip()
        if len(described) > DESCRIPTION_SHOWN:
            described = described[: DESCRIPTION_SHOWN - 1] + "…"
        oldest = max(0, p.latest - VERSIONS_OFFERED)
        options = [
            (f"{p.name}@{v}", f"{p.name}@{v}" + (" (latest)" if v == p.latest else ""))
            for v in range(p.latest, oldest, -1)
        ]
        groups.append({"label": f"{p.name} — {described}" if described else p.name,
                       "options": options})  # fmt: skip
    return groups


def _rows(
    project: str, found: list[GenerationSummary], scorable: set[str], keys: list[str]
) -> list[GenerationRow]:
    """Each generation's row: scored on its field when the field can be, compared with the
    next older generation of the same field (the same model's first: another prompt
    version), else offered the comparison form with it as the candidate."""
    here = _here(project)
    rows = []
    for n, g in enumerate(found):
        older = [o for o in found[n + 1 :] if o.field == g.field and o.items and g.items]
        older.sort(key=lambda o: o.model != g.model)  # stable: the newest of the same model
        can_score = g.field in scorable and g.items > 0
        compare = None
        baseline = older[0].predicted if older else None
        if can_score and baseline is not None:
            compare = f"{here}/compare?" + urlencode({"a": baseline, "b": g.predicted,
                                                      "field": g.field})  # fmt: skip
        elif can_score and len(keys) > 1:
            compare = f"{here}/compare?" + urlencode({"b": g.predicted, "field": g.field})
        rows.append(GenerationRow(g, prompt_link(g.prompt), can_score, compare, baseline))
    return rows


def _chosen_first(
    found: list[GenerationSummary], fields: list[str], groups: list[dict[str, Any]]
) -> dict[str, str]:
    """What the form first offers: the newest generation's field and prompt (at its latest
    version: its next run is likely a new version's), else the first field and the first
    prompt's latest version."""
    recent = found[0] if found else None
    latest = [g["options"][0][0] for g in groups]
    name = recent.prompt.partition("@")[0] if recent else None
    again = [v for v in latest if v.partition("@")[0] == name]
    return {
        "field": recent.field if recent and recent.field in fields else next(iter(fields), ""),
        "prompt": next(iter(again + latest), ""),
    }


def _render(
    request: Request,
    project: str,
    db: Database,
    settings: Settings,
    actor: Actor,
    *,
    typed: dict[str, str] | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    found = list_generations(db, project, actor=actor)  # the review right, outside vendors
    spec = project_service.get_project(db, project, actor=actor).spec
    keys = [
        model_key(v.model, v.version) for v in predictions.model_versions(db, project, actor=actor)
    ]
    scorable = {f.name for f in evaluation.evaluable_fields(spec)}
    manager = may_run(actor)
    groups: list[dict[str, Any]] = []
    running = []
    if manager:
        groups = _prompt_groups(db, actor)
        jobs = records.list_jobs(db, actor=actor, project=project, kind="generate", limit=20,
                                 data_dir=settings.data_dir)  # fmt: skip
        running = [j for j in jobs if j.state in ACTIVE]
    fields = [(f.name, f.kind) for f in spec.fields if f.kind in GENERATED_KINDS]
    # A campaign's outputs are generated from a rows file, under one of its models.
    campaign_models = spec.evaluation.models if spec.evaluation is not None else []
    form = {**DEFAULTS, **(typed or {})}
    offered = {value for g in groups for value, _ in g["options"]}
    if typed is None:
        form.update(_chosen_first(found, [name for name, _ in fields], groups))
    return page(
        request,
        "generate.html",
        actor,
        status=422 if problem else 200,
        project=project,
        rows=_rows(project, found, scorable, keys),
        may_run=manager,
        groups=groups,
        # A prompt typed elsewhere (an older version, a name gone since) stays chosen.
        typed_prompt=form.get("prompt") if form.get("prompt") not in offered else None,
        fields=fields,
        form=form,
        problem=problem,
        key_variables=settings.llm_key_variable_list,
        campaign_models=campaign_models,
        max_rows_bytes=settings.max_request_bytes,
        max_concurrency=MAX_CONCURRENCY,
        running=running,
        notice=take_flash(request),
        here=_here(project),
    )


@router.get("/projects/{project}/evaluation/generate", response_class=HTMLResponse)
def generate_page(
    request: Request, project: str, db: DB, settings: AppSettings, actor: CurrentActor
) -> Response:
    return _render(request, project, db, settings, actor)


def _params(typed: dict[str, str]) -> dict[str, Any]:
    """The form as the API's body (``GenerateIn``: the same bounds, the same messages);
    an empty optional box is left out."""
    given: dict[str, Any] = {k: v.strip() for k, v in typed.items() if v.strip()}
    try:
        body = GenerateIn.model_validate(given)
    except ValidationError as exc:
        raise invalid_input(exc) from None
    return body.model_dump(exclude_none=True)


@router.post("/projects/{project}/evaluation/generate", response_class=HTMLResponse)
def start_generation(
    request: Request,
    project: str,
    db: DB,
    settings: AppSettings,
    actor: CurrentActor,
    csrf: str = Form("", alias=CSRF_FIELD),
    prompt: str = Form("", max_length=200),
    endpoint: str = Form("", max_length=4000),
    model: str = Form("", max_length=400),
    field: str = Form("", max_length=400),
    as_model: str = Form("", max_length=400),
    api_key_env: str = Form("", max_length=400),
    concurrency: str = Form("", max_length=40),
    temperature: str = Form("", max_length=40),
    rows: UploadFile | None = File(None),
) -> Response:
    check_form_csrf(request, csrf)
    list_generations(db, project, actor=actor)  # a project the actor may review (else 404/403)
    if not may_run(actor):
        raise PermissionDenied("starting a generation needs the manage right")
    values = (prompt, endpoint, model, field, as_model, api_key_env, concurrency, temperature)
    typed = dict(zip(FORM_KEYS, values, strict=True))
    upload = rows.file.read() if rows is not None else b""
    try:
        params = _params(typed)
        if upload:
            return _start_outputs(request, project, db, settings, actor, params, upload,
                                  rows.filename if rows is not None else None)  # fmt: skip
        check_generation(db, project, settings=settings, actor=actor, **params)
    except (InvalidInput, NotFound) as exc:
        # The refusal belongs beside the form, with what was typed kept.
        return _render(request, project, db, settings, actor, typed=typed, problem=exc.message)
    job = records.create_job(db, "generate", params, project=project, actor=actor)
    job_queue(request).enqueue(job.id)
    shown = params.get("as_model", params["model"])
    flash(request, f"Generation with {params['prompt']} started as job {job.id}: its replies "
                   f"are stored as predictions of {shown}.")  # fmt: skip
    return RedirectResponse(f"/projects/{quote(project)}/jobs?kind=generate", status_code=303)


def _start_outputs(
    request: Request,
    project: str,
    db: Database,
    settings: Settings,
    actor: Actor,
    params: dict[str, Any],
    upload: bytes,
    filename: str | None,
) -> Response:
    """Queue a campaign-output generation of the uploaded rows (kept for the job, which
    removes them); its file is on the Jobs page when done."""
    name = params.get("as_model")
    if name is None:
        raise InvalidInput("choose the campaign model the outputs are for")
    fmt = "json" if (filename or "").lower().endswith(".json") else "jsonl"
    source = (filename or "rows")[:200]
    queue = job_queue(request)
    job = queue_outputs(db, queue, settings, project, actor, params, upload, fmt, source)
    flash(request, f"Outputs of {name} for {source} started as job {job.id}: download the rows "
                   "from the Jobs page when it is done.")  # fmt: skip
    return RedirectResponse(f"/projects/{quote(project)}/jobs?kind=generate", status_code=303)
