"""``labelworks judge``, ``judges`` and ``calibration``: LLM judges of an evaluation
campaign (spec ``evaluation.judges``) — run one, list them, and see how far one agrees with
the people who judged the same items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.cli.jobs import queue_here, run_here
from labelworks.domain.errors import InvalidInput
from labelworks.schemas.judges import CalibrationOut, JudgeSummaryOut
from labelworks.services.judge_calibration import judge_calibration, wire
from labelworks.services.judges import list_judges


def judge_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    judge: str = typer.Option(..., "--judge", help="the judge's name in evaluation.judges"),
    background: bool = typer.Option(
        False, "--background", help="queue a job for a worker or the server and return"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the run as JSON"),
) -> None:
    """Run an LLM judge over the campaign's items as a job: pairwise items are asked in
    both orders, requests run concurrently (the judge's concurrency) with retries and
    back-off, and every reply is stored as it comes, so a re-run asks only for what is
    missing (a changed prompt version or model asks again)."""
    with reported():
        if background:
            queue_here(ctx, "judge", {"judge": judge}, project)
            return
        result = run_here(ctx, "judge", {"judge": judge}, project, f"judge {judge}")
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    console.print(
        f"{escape(project)}: judge {escape(judge)} ({escape(result['model'])}, prompt "
        f"{escape(result['prompt'])}) on {result['items']:,} items: "
        f"{result['requests']:,} requests sent, {result['cached']:,} answered before; "
        f"{result['ok']:,} new verdicts, {result['malformed']:,} malformed, "
        f"{result['failed']:,} failed ({result['retries']:,} retries, "
        f"{result['rate_limited']:,} rate-limited); "
        f"{result['prompt_tokens'] + result['completion_tokens']:,} tokens in "
        f"{result['seconds']:.1f} s",
        highlight=False,
    )
    if result["failed"]:
        console.print("failed requests are asked again by the next run", highlight=False)


def judges_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The campaign's judges with what each has answered so far."""
    with reported():
        found = list_judges(state(ctx).database(), project)
    if as_json:
        out = [JudgeSummaryOut.model_validate(j, from_attributes=True) for j in found]
        typer.echo(json.dumps([j.model_dump(mode="json") for j in out], indent=2))
        return
    if not found:
        console.print(f"{escape(project)} has no judges (evaluation.judges in its spec)")
        return
    table = Table("judge", "model", "prompt", "endpoint", "verdicts", "malformed", "failed")
    for j in found:
        table.add_row(
            escape(j.name),
            escape(j.model),
            escape(j.prompt),
            escape(j.endpoint),
            f"{j.ok:,}",
            f"{j.malformed:,}",
            f"{j.failed:,}",
        )
    console.print(table)


def generate_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    prompt: str = typer.Option(..., "--prompt", help="registry prompt NAME@VERSION (or NAME)"),
    endpoint: str = typer.Option(
        ..., "--endpoint", help="the OpenAI-compatible API's base URL (…/v1)"
    ),
    model: str = typer.Option(..., "--model", help="the model the endpoint serves"),
    field: str | None = typer.Option(
        None, "--field", help="the field the replies answer (default: the first it can fill)"
    ),
    as_model: str | None = typer.Option(
        None, "--as", help="the model name the predictions are stored under (default: --model)"
    ),
    api_key_env: str | None = typer.Option(
        None, "--api-key-env", help="environment variable holding the API key"
    ),
    concurrency: int = typer.Option(8, "--concurrency", help="requests in flight at once"),
    temperature: float | None = typer.Option(
        None, "--temperature", help="overrides the prompt's temperature"
    ),
    rows: Path | None = typer.Option(
        None,
        "--rows",
        help="a campaign's input rows (JSONL or JSON): write them with --as's outputs added",
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="with --rows: the campaign file to write"
    ),
    background: bool = typer.Option(
        False, "--background", help="queue a job for a worker or the server and return"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the run as JSON"),
) -> None:
    """Run a registry prompt over the project's items and store each reply as a prediction
    of MODEL, version PROMPT-vN (compare prompt versions with labelworks eval compare).
    The prompt reads payload keys by name; replies are cached, so an interrupted run
    resumes and a re-run costs nothing. With --rows, a campaign's outputs instead: the
    prompt reads each row's prompt (and metadata), and the rows are written to --output
    with the reply as the output of --as (a model of the campaign), ready to import."""
    params: dict[str, Any] = {
        "prompt": prompt,
        "endpoint": endpoint,
        "model": model,
        "field": field,
        "as_model": as_model,
        "api_key_env": api_key_env,
        "concurrency": concurrency,
        "temperature": temperature,
    }
    params = {k: v for k, v in params.items() if v is not None}
    with reported():
        if rows is not None:
            params.update(_rows_params(rows, output, background))
        elif output is not None:
            raise InvalidInput("-o is for --rows (a campaign's outputs)")
        if background:
            queue_here(ctx, "generate", params, project)
            return
        result = run_here(ctx, "generate", params, project, f"generate {prompt}")
    if rows is not None:
        _outputs_done(project, result, as_json, output)
        return
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    lacking = result["skipped"]
    console.print(
        f"{escape(project)}: {escape(result['prompt'])} with {escape(result['model'])} on "
        f"{result['items']:,} items: {result['requests']:,} requests sent, "
        f"{result['cached']:,} answered before; {result['ok']:,} new predictions of "
        f"'{escape(result['field'])}' stored as {escape(result['predicted'])}, "
        f"{result['malformed']:,} malformed, {result['failed']:,} failed"
        + (f"; {lacking:,} items lack a variable the prompt reads" if lacking else ""),
        highlight=False,
    )


def _share(name: str, s: dict[str, Any] | None, *, percent: bool = True) -> None:
    if s is None:
        return
    value = s["value"] if "value" in s else s["share"]
    console.print(
        f"{name}: {_number(value, percent, 1)} (95% CI {_number(s['low'], percent, 1)}–"
        f"{_number(s['high'], percent, 1)}, n={s['n']:,})",
        highlight=False,
    )


def _number(x: float, percent: bool, digits: int) -> str:
    return f"{x:.{digits}%}" if percent else f"{x:.{digits + 2}f}"


def calibration_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    judge: str = typer.Option(..., "--judge", help="the judge's name in evaluation.judges"),
    by: str | None = typer.Option(
        None, "--by", help="also per value of this metadata key (e.g. category)"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Can the judge be trusted? Its agreement with the people's consensus on the same
    items (percent and Cohen's kappa with 95% bootstrap intervals, per category), its
    position bias and order inconsistency, its leaderboard beside the people's with
    Kendall's tau, and the items where they disagree most."""
    with reported():
        report = wire(judge_calibration(state(ctx).database(), project, judge, by=by))
    if as_json:
        typer.echo(CalibrationOut.model_validate(report).model_dump_json(indent=2))
        return
    title = f"{escape(project)}: judge {escape(judge)}"
    if report["reason"] is not None:
        console.print(f"{title}: {escape(report['reason'])}", highlight=False)
        return
    console.print(
        f"[bold]{title}[/] ({escape(report['model'] or '')}, prompt "
        f"{escape(report['prompt'] or '')}): {report['judged']:,} items judged by both, "
        f"{report['humans_only']:,} by people only, {report['judge_only']:,} by the judge only",
        highlight=False,
    )
    if report["rating"] is not None:
        _rating(report["rating"], by)
        return
    overall = report["overall"]
    _share("agreement with the people's consensus", overall["percent"])
    _share("Cohen's kappa", overall["kappa"], percent=False)
    bias = report["position_bias"]
    _share("picked the output shown first (0.5 = no bias)", bias["first_position"])
    _share("changed its verdict when the order changed", bias["inconsistent"])
    tau = report["tau"]
    if tau is not None:
        console.print(
            f"Kendall's tau between the two leaderboards: {tau['tau']:.2f} "
            f"(p = {tau['p_value']:.3g}, {tau['n']} models)",
            highlight=False,
        )
    boards = Table("model", "people: rating (95% CI)", "judge: rating (95% CI)")
    theirs = {m["model"]: m for m in report["judge_board"]}
    for m in report["human_board"]:
        j = theirs.get(m["model"])
        boards.add_row(
            escape(m["model"]),
            f"{m['rating']:.0f} ({m['low']:.0f}–{m['high']:.0f})",
            f"{j['rating']:.0f} ({j['low']:.0f}–{j['high']:.0f})" if j else "",
        )
    console.print(boards)
    if report["by_category"]:
        table = Table(escape(by or "category"), "items", "agreement (95% CI)", "kappa (95% CI)")
        for name, a in report["by_category"].items():
            table.add_row(escape(name), f"{a['items']:,}", _interval(a["percent"], True),
                          _interval(a["kappa"], False))  # fmt: skip
        console.print(table)
    if report["disagreements"]:
        table = Table("item", "left", "right", "people a/b/tie", "judge", "gap")
        for d in report["disagreements"][:20]:
            table.add_row(
                escape(str(d.get("external_id") or d["item"])),
                escape(str(d.get("left"))),
                escape(str(d.get("right"))),
                "/".join(str(n) for n in d["human"]),
                d["judge"],
                f"{d['gap']:.2f}",
            )
        console.print("largest disagreements (review these first):")
        console.print(table)


def _interval(e: dict[str, Any] | None, percent: bool) -> str:
    if e is None:
        return "—"
    v, low, high = (_number(e[k], percent, 0) for k in ("value", "low", "high"))
    return f"{v} ({low}–{high})"


def _rating(r: dict[str, Any], by: str | None) -> None:
    o = r["overall"]
    console.print(f"scores on '{escape(r['field'])}' against the people's:", highlight=False)
    _share("the same as the people's median", o["exact"])
    _share("within one point of it", o["within_one"])
    _share("judge minus people's mean (+: more lenient)", o["mean_difference"], percent=False)
    _share("weighted kappa (quadratic)", o["kappa"], percent=False)
    _share("Kendall's tau across outputs", o["tau"], percent=False)
    tau = r["model_tau"]
    if tau is not None:
        console.print(
            f"Kendall's tau between the model means: {tau['tau']:.2f} (p = {tau['p_value']:.3g},"
            f" {tau['n']} models)",
            highlight=False,
        )
    table = Table("model", "people: mean (95% CI)", "judge: mean (95% CI)")
    for m in r["models"]:
        table.add_row(
            escape(m["model"]), _interval(m["human"], False), _interval(m["judge"], False)
        )
    console.print(table)
    if r["by_category"]:
        table = Table(escape(by or "category"), "outputs", "exact (95% CI)", "kappa (95% CI)")
        for name, a in r["by_category"].items():
            table.add_row(escape(name), f"{a['items']:,}", _interval(a["exact"], True),
                          _interval(a["kappa"], False))  # fmt: skip
        console.print(table)
    if r["disagreements"]:
        table = Table("item", "model", "people", "judge", "gap")
        for d in r["disagreements"][:20]:
            table.add_row(
                escape(str(d.get("external_id") or d["item"])),
                escape(d["model"]),
                ", ".join(str(n) for n in d["human"]),
                str(d["judge"]),
                f"{d['gap']:.2f}",
            )
        console.print("largest disagreements (review these first):")
        console.print(table)


def _rows_params(rows: Path, output: Path | None, background: bool) -> dict[str, Any]:
    if not rows.is_file():
        raise InvalidInput(f"{rows}: no such file")
    params: dict[str, Any] = {
        "rows": str(rows.resolve()),
        "rows_format": "json" if rows.suffix.lower() == ".json" else "jsonl",
        "source": rows.name,
    }
    if background:
        if output is not None:
            raise InvalidInput("-o with --background: the job keeps its file (jobs show)")
        return params
    if output is None:
        raise InvalidInput("--rows needs -o FILE: where to write the campaign's rows")
    return {**params, "output": str(output.resolve())}


def _outputs_done(project: str, result: dict[str, Any], as_json: bool, output: Path | None) -> None:
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    missing = result["missing"]
    console.print(
        f"{escape(project)}: {escape(result['prompt'])} with {escape(result['model'])} on "
        f"{result['rows']:,} rows: {result['requests']:,} requests sent, "
        f"{result['cached']:,} answered before; {result['written']:,} rows written to "
        f"{escape(str(output))} with {escape(result['name'])}'s output added"
        + (f"; {missing:,} rows without one (asked again next run)" if missing else ""),
        highlight=False,
        soft_wrap=True,
    )
