"""``labelworks model``: the project's baseline model (spec ``assist``): train it now, show
its trainings, their held-out accuracy and how its suggestions fare, and simulate active
learning on its final labels (``curve``)."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.cli.jobs import queue_here, run_here
from labelworks.schemas.assist import AssistReportOut, LearningCurveOut
from labelworks.services.assist import assist_report
from labelworks.services.learning_curve import CurveReport, learning_curve

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


@app.command("curve")
def curve(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Would active learning pay off? Simulates it on the project's final labels (at most
    2,000, a quarter held out, three runs; takes seconds): the baseline model's held-out
    accuracy by labels spent when it picks the texts it is least sure about (uncertainty,
    routing.order: uncertainty) and in random order, and the labels uncertainty saves at
    the accuracy random order ends with."""
    with reported():
        report = learning_curve(state(ctx).database(), project)
    if as_json:
        shown = LearningCurveOut.model_validate(report, from_attributes=True)
        typer.echo(json.dumps(shown.model_dump(mode="json"), indent=2))
        return
    if report.reason is not None:
        console.print(f"{escape(project)}: no learning curve: {escape(report.reason)}")
        return
    console.print(
        f"{escape(project)}: '{escape(report.field or '')}' simulated on {report.used:,} of "
        f"{report.decided:,} final labels ({report.test:,} held out, {report.pool:,} to "
        f"label, {report.runs} runs)",
        highlight=False,
    )
    table = Table("labels", "uncertainty (95% CI)", "random (95% CI)")
    by = {(p.strategy, p.labels): p for p in report.points}
    for labels in report.steps:
        u, r = by[("uncertainty", labels)], by[("random", labels)]
        table.add_row(
            f"{labels:,}",
            f"{u.accuracy:.1%} ({u.low:.1%}–{u.high:.1%})",
            f"{r.accuracy:.1%} ({r.low:.1%}–{r.high:.1%})",
        )
    console.print(table)
    console.print(saving_line(report), highlight=False)


def saving_line(report: CurveReport) -> str:
    """The simulation's answer in a sentence."""
    s = report.saving
    if s is None:
        return "no saving to report"
    if s.random_labels is None or s.uncertainty_labels is None or s.saved is None:
        return (
            f"uncertainty does not reach {s.accuracy:.1%}, random order's final accuracy, "
            "within the budget"
        )
    share = s.saved / s.random_labels if s.random_labels else 0.0
    return (
        f"to reach {s.accuracy:.1%} (random order's final accuracy), uncertainty needs "
        f"{s.uncertainty_labels:,} labels, random order {s.random_labels:,}: "
        f"{s.saved:,} labels saved ({share:.0%})"
    )
