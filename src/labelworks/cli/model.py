"""``labelworks model``: the project's baseline model (spec ``assist``): train it now and
show its trainings, their held-out accuracy and how its suggestions fare."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.cli.jobs import queue_here, run_here
from labelworks.schemas.assist import AssistReportOut
from labelworks.services.assist import assist_report

app = typer.Typer(help="The baseline model that suggests a text field's labels (spec assist).")


@app.command("train")
def train(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    background: bool = typer.Option(
        False, "--background", help="queue a job for a worker or the server and return"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the training as JSON"),
) -> None:
    """Train the baseline model now from the decided final labels and replace its
    suggestions on the open items. Runs as a job (listed by labelworks jobs); a server or
    worker also starts one by itself every `assist.every` new final labels."""
    with reported():
        if background:
            queue_here(ctx, "train", {}, project)
            return
        result = run_here(ctx, "train", {}, project, "training")
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    console.print(
        f"{escape(project)}: model version {result['version']} of '{escape(result['field'])}' "
        f"learnt from {result['labels']:,} final labels; held-out accuracy "
        f"{result['accuracy']:.1%} (95% CI {result['low']:.1%}–{result['high']:.1%}), "
        f"macro-F1 {result['macro_f1']:.3f}; {result['suggested']:,} suggestions written",
        highlight=False,
    )


@app.command("show")
def show(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The model's settings, every training (newest first) with its held-out accuracy, and
    how many current suggestions the final labels decided since confirmed."""
    with reported():
        report = assist_report(state(ctx).database(), project)
    if as_json:
        shown = AssistReportOut.model_validate(report, from_attributes=True)
        typer.echo(json.dumps(shown.model_dump(mode="json"), indent=2))
        return
    if report.assist is None:
        console.print(
            f"{escape(project)} has no assist section in its spec: add "
            "assist: {field: NAME} (docs/project-spec.md)",
            highlight=False,
        )
        return
    a = report.assist
    console.print(
        f"{escape(project)}: learns '{escape(a.field)}' from final labels; {report.decided:,} "
        f"so far, next training in {report.next_in:,} (every {a.every:,}, first at "
        f"{a.min_labels:,})",
        highlight=False,
    )
    if report.checked:
        console.print(
            f"suggestions confirmed by the final label since: {report.confirmed:,} of "
            f"{report.checked:,} ({report.confirmed / report.checked:.1%})",
            highlight=False,
        )
    if not report.models:
        console.print("not trained yet")
        return
    table = Table("version", "trained", "labels", "accuracy (95% CI)", "macro-F1", "suggested")
    for m in report.models:
        table.add_row(
            str(m.version),
            m.trained_at.strftime("%Y-%m-%d %H:%M"),
            f"{m.labels:,}",
            f"{m.accuracy:.1%} ({m.low:.1%}–{m.high:.1%})",
            f"{m.macro_f1:.3f}",
            f"{m.suggested:,}",
        )
    console.print(table)
