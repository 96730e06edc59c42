"""Job kinds that ask a language model about a project's items: ``judge`` (an LLM judge of
the project's evaluation campaign) and ``generate`` (a registry prompt's outputs stored as a
model's predictions). Both are cached per request, so a retried or re-run job asks only for
what is still missing."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from labelworks.domain.access import Action
from labelworks.domain.errors import InvalidInput
from labelworks.jobs.kinds import JobContext, JobKind, listed, register, text_param
from labelworks.services.campaign_outputs import generate_outputs
from labelworks.services.generation import run_generation
from labelworks.services.judges import run_judge
from labelworks.services.llm_runs import RunOutcome


def outcome_dict(outcome: RunOutcome) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(outcome).items()}


def _check_judge(params: dict[str, Any]) -> dict[str, Any]:
    return {"judge": text_param(params, "judge")}


def _run_judge(ctx: JobContext) -> dict[str, Any]:
    run = run_judge(
        ctx.db,
        ctx.project,
        ctx.params["judge"],
        settings=ctx.settings,
        actor=ctx.actor,
        job_id=ctx.job.id,
        progress=ctx.progress,
    )
    return {
        "judge": run.judge,
        "prompt": run.prompt,
        "model": run.model,
        "items": run.items,
        **outcome_dict(run.outcome),
    }


def _judge_what(params: dict[str, Any]) -> str:
    return f"judge {params.get('judge', '?')}"


def llm_outcome(r: dict[str, Any]) -> str:
    """A judge's or a generation's run in a line."""
    if "requests" not in r:
        return listed(r)
    tokens = r["prompt_tokens"] + r["completion_tokens"]
    return (
        f"{r['requests']:,} requests ({r['cached']:,} answered before): {r['ok']:,} ok, "
        f"{r['malformed']:,} malformed, {r['failed']:,} failed; {r['retries']:,} retries, "
        f"{tokens:,} tokens"
    )


JUDGE = register(
    JobKind(
        name="judge",
        title="Run an LLM judge",
        action=Action.MANAGE,
        # Every answer is stored as it comes and reused: a retry asks only for the rest.
        max_attempts=2,
        check=_check_judge,
        run=_run_judge,
        unit="requests",
        what=_judge_what,
        outcome=llm_outcome,
    )
)


_GENERATE_TEXTS = ("prompt", "endpoint", "model")
_GENERATE_OPTIONAL = ("field", "as_model", "api_key_env", "rows", "source", "output")
ROWS_FILE = "rows.jsonl"


def _check_generate(params: dict[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {k: text_param(params, k) for k in _GENERATE_TEXTS}
    for key in _GENERATE_OPTIONAL:
        if params.get(key) is not None:
            checked[key] = text_param(params, key)
    concurrency = params.get("concurrency", 8)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise InvalidInput("job parameter 'concurrency' must be a whole number")
    checked["concurrency"] = concurrency
    temperature = params.get("temperature")
    if temperature is not None:
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            raise InvalidInput("job parameter 'temperature' must be a number")
        checked["temperature"] = float(temperature)
    if "rows" in checked:
        # A campaign's input rows (a file the command line names, or an upload the server
        # kept): the outputs go to a campaign file under the name the campaign knows.
        if "as_model" not in checked:
            raise InvalidInput("a campaign's outputs need the model's name in the campaign (as)")
        checked["rows_format"] = text_param(params, "rows_format", choices=("jsonl", "json"))
        checked["staged"] = params.get("staged", False) is True
    return checked


def _run_outputs(ctx: JobContext) -> dict[str, Any]:
    p = ctx.params
    rows = Path(p["rows"])
    # The command line names its output file; a queued job keeps its file for download.
    target = Path(p["output"]) if "output" in p else ctx.output_dir() / ROWS_FILE
    try:
        with rows.open("rb") as given, target.open("wb") as out:
            run = generate_outputs(
                ctx.db,
                ctx.project,
                given,
                out,
                fmt=p["rows_format"],
                source=p.get("source", rows.name),
                prompt=p["prompt"],
                endpoint=p["endpoint"],
                model=p["model"],
                name=p["as_model"],
                settings=ctx.settings,
                api_key_env=p.get("api_key_env"),
                concurrency=p["concurrency"],
                temperature=p.get("temperature"),
                actor=ctx.actor,
                job_id=ctx.job.id,
                progress=ctx.progress,
            )
    except FileNotFoundError:
        raise InvalidInput(f"{p.get('source', rows.name)}: the rows file is gone") from None
    finally:
        if p.get("staged"):
            rows.unlink(missing_ok=True)
    return {
        "prompt": run.prompt,
        "model": run.model,
        "name": run.name,
        "rows": run.rows,
        "written": run.written,
        "missing": run.missing,
        **({} if "output" in p else {"file": ROWS_FILE}),
        **outcome_dict(run.outcome),
    }


def _run_generate(ctx: JobContext) -> dict[str, Any]:
    p = ctx.params
    if "rows" in p:
        return _run_outputs(ctx)
    run = run_generation(
        ctx.db,
        ctx.project,
        prompt=p["prompt"],
        endpoint=p["endpoint"],
        model=p["model"],
        settings=ctx.settings,
        field=p.get("field"),
        as_model=p.get("as_model"),
        api_key_env=p.get("api_key_env"),
        concurrency=p["concurrency"],
        temperature=p.get("temperature"),
        actor=ctx.actor,
        job_id=ctx.job.id,
        progress=ctx.progress,
    )
    return {
        "prompt": run.prompt,
        "model": run.model,
        "field": run.field,
        "predicted": run.predicted,
        "items": run.items,
        "skipped": run.skipped,
        **outcome_dict(run.outcome),
    }


def _generate_what(params: dict[str, Any]) -> str:
    return f"prompt {params.get('prompt', '?')} with {params.get('model', '?')}"


GENERATE = register(
    JobKind(
        name="generate",
        title="Generate with a prompt",
        action=Action.MANAGE,
        max_attempts=2,
        check=_check_generate,
        run=_run_generate,
        unit="requests",
        what=_generate_what,
        outcome=llm_outcome,
    )
)
