"""``labelworks experiment``: A/B experiments on the operation — start one (annotators or
items split at random between two arms, the split recorded), list them, follow one, stop
it, and analyse it (per-arm figures with cluster-bootstrap intervals, the differences with
randomisation p-values, the power, and the verdict)."""

from __future__ import annotations

import json
import math
from enum import StrEnum

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state
from labelworks.domain.errors import InvalidInput, Location
from labelworks.schemas.experiments import ExperimentOut, ExperimentStatusOut, analysis_out
from labelworks.services import experiments as service
from labelworks.services.experiments import ExperimentReport, ExperimentRow, ExperimentStatus
from labelworks.stats.experiments import Estimate

app = typer.Typer(help="A/B experiments: annotators or items split at random between two arms.")

MAX_SEED = 2**31 - 1


class Unit(StrEnum):
    ANNOTATOR = "annotator"
    ITEM = "item"


class Treatment(StrEnum):
    SUGGESTIONS = "suggestions"


def _arms(given: list[str]) -> list[tuple[str, str]]:
    """``NAME=description`` (or a bare ``NAME``) for each of the two ``--arm`` options."""
    if len(given) != 2:
        raise InvalidInput(
            f"give two arms, e.g. --arm A='guideline v3' --arm B='guideline v4' (got {len(given)})",
            location=Location(file="--arm"),
        )
    return [(text.partition("=")[0], text.partition("=")[2]) for text in given]


def _json(text: str) -> None:
    typer.echo(text)


def _row(row: ExperimentRow) -> ExperimentOut:
    return ExperimentOut.model_validate(row, from_attributes=True)


def _arm_names(row: ExperimentRow) -> str:
    parts = []
    for a in row.arms:
        said = a.name if not a.description else f"{a.name} ({a.description})"
        if a.suggestions is not None:
            said += " with suggestions" if a.suggestions else " without suggestions"
        parts.append(said)
    return " vs ".join(parts)


@app.command("create")
def create(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    name: str = typer.Argument(..., help="the experiment's name"),
    unit: Unit = typer.Option(Unit.ANNOTATOR, "--unit", help="what is split: annotator or item"),
    arm: list[str] = typer.Option(
        [], "--arm", help="an arm as NAME=description; give it twice, first arm first"
    ),
    treatment: Treatment | None = typer.Option(
        None, "--treatment", help="suggestions: the second arm is not shown suggestions"
    ),
    description: str = typer.Option("", "--description", help="what the experiment tests"),
    seed: int | None = typer.Option(
        None, "--seed", min=0, max=MAX_SEED, help="the split's seed (default: drawn at random)"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Start an experiment: the project's members who label (or its items) split by a
    seeded permutation halved, the split recorded."""
    with reported():
        db = state(ctx).database()
        row = service.create_experiment(
            db,
            project,
            name=name,
            unit=unit.value,
            arms=_arms(arm),
            treatment=None if treatment is None else treatment.value,
            description=description,
            seed=seed,
        )
        status = service.experiment_status(db, project, row.name)
    if as_json:
        _json(_row(row).model_dump_json(indent=2))
        return
    sizes = ", ".join(f"{a.arm.name}: {a.units}" for a in status.arms)
    console.print(
        f"experiment '{escape(row.name)}' started in {escape(project)}: "
        f"{escape(_arm_names(row))}; {row.unit}s per arm {escape(sizes)} (seed {row.seed})",
        highlight=False,
    )
    console.print(
        f"analyse it: labelworks experiment analyze {escape(project)} {escape(row.name)}",
        highlight=False,
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The project's experiments, oldest first."""
    with reported():
        rows = service.project_experiments(state(ctx).database(), project)
    if as_json:
        _json(json.dumps([_row(r).model_dump(mode="json") for r in rows], indent=2))
        return
    if not rows:
        console.print(f"no experiments in {escape(project)}")
        return
    table = Table(title=f"{escape(project)}: experiments")
    for column in ("name", "unit", "arms", "status", "started (UTC)"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            Text(r.name),
            r.unit,
            Text(_arm_names(r)),
            Text(r.status, style="green" if r.status == "running" else ""),
            r.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


def _status_out(s: ExperimentStatus) -> ExperimentStatusOut:
    return ExperimentStatusOut.model_validate(
        {
            "experiment": _row(s.experiment),
            "arms": [
                {
                    "name": a.arm.name,
                    "units": a.units,
                    "late": a.late,
                    "annotations": a.annotations,
                    "gold_answers": a.gold_answers,
                    "annotators": a.annotators,
                }
                for a in s.arms
            ],
        }
    )


@app.command("status")
def status(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    name: str = typer.Argument(..., help="the experiment's name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Each arm's units and the annotations, gold answers and annotators in it so far."""
    with reported():
        s = service.experiment_status(state(ctx).database(), project, name)
    if as_json:
        _json(_status_out(s).model_dump_json(indent=2))
        return
    e = s.experiment
    console.print(Text(f"{e.name} · {e.status} · split by {e.unit} · seed {e.seed}", style="bold"))
    table = Table()
    for column in (
        "arm",
        f"{e.unit}s in it",
        "joined later",
        "annotations",
        "gold answers",
        "annotators",
    ):
        table.add_column(column, justify="left" if column == "arm" else "right")
    for a in s.arms:
        table.add_row(
            Text(a.arm.name),
            str(a.units),
            str(a.late),
            str(a.annotations),
            str(a.gold_answers),
            str(a.annotators),
        )
    console.print(table)


def _share(e: Estimate) -> str:
    if e.value is None:
        return "-"
    if e.low is None or e.high is None:
        return f"{e.value:.1%}"
    return f"{e.value:.1%} ({e.low:.1%}–{e.high:.1%})"


def _seconds(e: Estimate, *, log: bool = False) -> str:
    if e.value is None:
        return "-"

    def shown(x: float) -> str:
        return f"{math.exp(x) if log else x:.1f} s"

    if e.low is None or e.high is None:
        return shown(e.value)
    return f"{shown(e.value)} ({shown(e.low)}–{shown(e.high)})"


def _report_table(report: ExperimentReport) -> Table:
    a = report.analysis
    names = [arm.name for arm in report.experiment.arms]
    table = Table(title="per arm, with 95% cluster-bootstrap intervals")
    table.add_column("figure")
    for n in names:
        table.add_column(n, justify="right")
    table.add_column(f"{names[1]} − {names[0]}", justify="right")
    table.add_column("p", justify="right")
    rows = [
        ("gold accuracy", "gold_accuracy", _share),
        ("agreement with final label", "agreement", _share),
    ]
    for title, metric, shown in rows:
        d = a.differences[metric]
        diff = "-" if d.value is None else f"{d.value * 100:+.1f} pts"
        if d.low is not None and d.high is not None:
            diff += f" ({d.low * 100:+.1f} to {d.high * 100:+.1f})"
        p = "-" if d.p_value is None else f"{d.p_value:.3g}"
        table.add_row(title, *(shown(f.figure(metric)) for f in a.arms), diff, p)
    d = a.differences["log_seconds"]
    ratio = "-" if d.value is None else f"{math.exp(d.value) - 1:+.0%}"
    if d.low is not None and d.high is not None:
        ratio += f" ({math.exp(d.low) - 1:+.0%} to {math.exp(d.high) - 1:+.0%})"
    p = "-" if d.p_value is None else f"{d.p_value:.3g}"
    geo = [_seconds(f.log_seconds, log=True) for f in a.arms]
    table.add_row("time per item (geometric mean)", *geo, ratio, p)
    d = a.differences["median_seconds"]
    table.add_row(
        "time per item (median)",
        *(_seconds(f.median_seconds) for f in a.arms),
        "-" if d.value is None else f"{d.value:+.1f} s",
        "",
    )
    table.add_row("answers (units)", *(f"{f.answers} ({f.units})" for f in a.arms), "", "")
    return table


@app.command("analyze")
def analyze(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    name: str = typer.Argument(..., help="the experiment's name"),
    min_effect: float = typer.Option(
        0.05,
        "--min-effect",
        help="accuracy difference worth detecting, as a share (0.05: 5 points)",
    ),
    min_time_change: float = typer.Option(
        0.10, "--min-time-change", help="change in time per item worth detecting (0.10: 10%)"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Compare the arms: gold accuracy, agreement with the final label and time per item,
    clustered by the randomised unit; the power; the verdict."""
    with reported():
        report = service.analyze_experiment(
            state(ctx).database(),
            project,
            name,
            min_effect=min_effect,
            min_time_change=min_time_change,
        )
    if as_json:
        body = analysis_out(report.experiment, report.analysis, report.verdict, report.until)
        _json(body.model_dump_json(indent=2))
        return
    e = report.experiment
    console.print(Text(f"{e.name} · {e.status} · {_arm_names(e)}", style="bold"))
    console.print(_report_table(report))
    for sentence in report.verdict:
        console.print(Text(sentence))
    for note in report.analysis.notes:
        console.print(Text(f"note: {note}", style="yellow"))


@app.command("stop")
def stop(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    name: str = typer.Argument(..., help="the experiment's name"),
) -> None:
    """Stop a running experiment: its window closes and a suggestions treatment ends."""
    with reported():
        row = service.stop_experiment(state(ctx).database(), project, name)
    console.print(
        f"experiment '{escape(row.name)}' stopped; analyse it: labelworks experiment "
        f"analyze {escape(project)} {escape(row.name)}",
        highlight=False,
    )
