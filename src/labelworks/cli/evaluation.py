"""``labelworks predictions`` and ``labelworks eval``: push models' predictions, score a
model version against final labels or gold, and compare two versions (a CI gate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.domain.errors import InvalidInput, Location
from labelworks.formats.json_input import load_json
from labelworks.schemas.evaluation import ComparisonOut, EvalRunOut, EvalRunSummaryOut
from labelworks.services import evaluation, predictions
from labelworks.services.model_comparison import compare_models
from labelworks.storage.eval_runs import EvalRunRow

predictions_app = typer.Typer(help="Models' predictions for a project's items.")
app = typer.Typer(help="Evaluate models' predictions against final labels or gold answers.")

AGAINST_HELP = "score against the decided final labels or the gold answers"
SLICE_HELP = "also break the figures down by this metadata (or payload) key"


def _read_jsonl(path: Path) -> tuple[list[Any], list[int]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc.strerror}", location=Location(file=str(path))
        ) from None
    rows: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            rows.append(load_json(line, source=str(path)))
        except InvalidInput as exc:
            raise InvalidInput(
                exc.message, location=Location(file=str(path), line=number)
            ) from None
        lines.append(number)
    if not rows:
        raise InvalidInput(f"{path} has no predictions", location=Location(file=str(path)))
    return rows, lines


@predictions_app.command("push")
def push(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    file: Path = typer.Argument(..., help="JSONL: one prediction per line", show_default=False),
) -> None:
    """Store predictions from a JSONL file, one per line: {"item": external id (or
    "item_id": id), "model", "version", "value": {field: answer}, "score",
    "probabilities": {field: {label: p}}}. Each replaces an earlier prediction of the same
    item, model and version. All or none: the first bad line is named and nothing is stored."""
    with reported():
        rows, lines = _read_jsonl(file)
        result = predictions.push(
            state(ctx).database(), project, rows, source=str(file), lines=lines, limit=None
        )
    console.print(
        f"{escape(result.project)}: {result.stored:,} predictions stored from "
        f"{escape(', '.join(result.models))}",
        highlight=False,
    )


@predictions_app.command("models")
def models(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The model versions with predictions in the project, newest first."""
    with reported():
        found = predictions.model_versions(state(ctx).database(), project)
    if as_json:
        typer.echo(json.dumps([_plain(m) for m in found], indent=2, default=str))
        return
    table = Table(title=f"models with predictions in {escape(project)}")
    for name in ("model", "version", "items", "last pushed"):
        table.add_column(name, justify="right" if name == "items" else "left")
    for m in found:
        table.add_row(
            escape(m.model), escape(m.version), f"{m.items:,}", f"{m.last:%Y-%m-%d %H:%M}"
        )
    console.print(table)


def _plain(m: Any) -> dict[str, Any]:
    return {
        "model": m.model,
        "version": m.version,
        "items": m.items,
        "first": m.first,
        "last": m.last,
    }


@app.command("run")
def run(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    model: str = typer.Option(..., "--model", help="NAME or NAME@VERSION (bare: the newest)"),
    field: str | None = typer.Option(None, "--field", help="default: the first field predicted"),
    against: str = typer.Option("final", "--against", help=AGAINST_HELP),
    slice_key: str | None = typer.Option(None, "--slice", help=SLICE_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the stored run as JSON"),
) -> None:
    """Score a model version: accuracy, macro-F1, per-class precision/recall/F1, Cohen's
    kappa, Brier score and calibration error (with probabilities); F1 of matched objects
    for spans, boxes and segments. Every figure has a 95% bootstrap interval over items.
    The run is stored (labelworks eval runs, the Evaluation tab)."""
    with reported():
        found = evaluation.run_evaluation(
            state(ctx).database(),
            project,
            model,
            field=field,
            against=evaluation.against_of(against),
            slice_key=slice_key,
        )
    if as_json:
        out = EvalRunOut.model_validate(found, from_attributes=True)
        typer.echo(out.model_dump_json(indent=2))
        return
    _print_run(found)


def _ci(estimate: dict[str, Any] | None, percent: bool = True) -> str:
    if estimate is None or estimate.get("value") is None:
        return "–"
    fmt = "{:.1%}" if percent else "{:.3f}"
    value = fmt.format(estimate["value"])
    if estimate.get("low") is None:
        return value
    return f"{value} ({fmt.format(estimate['low'])}–{fmt.format(estimate['high'])})"


def _print_run(found: EvalRunRow) -> None:
    report = found.report
    console.print(
        f"run {found.id}: [bold]{escape(found.model)}@{escape(found.version)}[/] on "
        f"'{escape(found.field)}' against {found.against} labels, {found.items:,} items"
        + (
            f" ({report['skipped']:,} without this field left out)" if report.get("skipped") else ""
        ),
        highlight=False,
    )
    headline = [
        (name, key, percent)
        for name, key, percent in (
            ("accuracy", "accuracy", True),
            ("subset accuracy", "subset_accuracy", True),
            ("precision", "precision", True),
            ("recall", "recall", True),
            ("F1", "f1", True),
            ("macro-F1", "macro_f1", False),
            ("micro-F1", "micro_f1", False),
            ("Cohen's kappa", "kappa", False),
            ("Hamming loss", "hamming_loss", False),
        )
        if key in report
    ]
    table = Table(title="overall (95% bootstrap intervals)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, key, percent in headline:
        table.add_row(name, _ci(report[key], percent))
    calibration = report.get("calibration")
    if calibration:
        table.add_row("Brier score", _ci(calibration["brier"], False))
        table.add_row("calibration error (ECE)", _ci(calibration["ece"], False))
    console.print(table)
    classes = Table(title="per class")
    for name in ("label", "precision", "recall", "F1", "support"):
        classes.add_column(name, justify="left" if name == "label" else "right")
    for c in report.get("classes", []):
        classes.add_row(
            escape(str(c["label"])),
            _ci(c["precision"]),
            _ci(c["recall"]),
            _ci(c["f1"]),
            f"{c['support']:,}",
        )
    console.print(classes)
    if report.get("slices"):
        slices = Table(title=f"by {escape(found.slice_key or '')}")
        slices.add_column("value")
        slices.add_column("items", justify="right")
        slices.add_column("headline", justify="right")
        for s in report["slices"]:
            first = next((k for _, k, _ in headline if k in s), None)
            shown = str(s.get("error") or _ci(s.get(first) if first else None))
            slices.add_row(escape(str(s["value"])), f"{s['items']:,}", escape(shown))
        console.print(slices)


@app.command("runs")
def runs(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The project's stored evaluation runs, newest first."""
    with reported():
        found = evaluation.eval_runs(state(ctx).database(), project)
    if as_json:
        shown = [
            EvalRunSummaryOut.model_validate(r, from_attributes=True).model_dump(mode="json")
            for r in found
        ]
        typer.echo(json.dumps(shown, indent=2))
        return
    table = Table(title=f"evaluation runs of {escape(project)}")
    for name in ("run", "model", "field", "against", "items", "headline", "when"):
        table.add_column(name, justify="right" if name in ("run", "items", "headline") else "left")
    for r in found:
        table.add_row(
            str(r.id),
            escape(f"{r.model}@{r.version}" if r.version else r.model),
            escape(r.field),
            r.against,
            f"{r.items:,}",
            "–" if r.headline is None else f"{r.headline:.1%}",
            f"{r.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    run_id: int = typer.Argument(..., help="the run's number (labelworks eval runs)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """One stored evaluation run, as it was computed."""
    with reported():
        found = evaluation.eval_run(state(ctx).database(), project, run_id)
    if as_json:
        typer.echo(EvalRunOut.model_validate(found, from_attributes=True).model_dump_json(indent=2))
        return
    _print_run(found)


@app.command("compare")
def compare(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    a: str = typer.Option(..., "--a", help="the baseline: NAME or NAME@VERSION"),
    b: str = typer.Option(..., "--b", help="the candidate: NAME or NAME@VERSION"),
    field: str | None = typer.Option(None, "--field", help="default: the first field predicted"),
    against: str = typer.Option("final", "--against", help=AGAINST_HELP),
    slice_key: str | None = typer.Option(None, "--slice", help=SLICE_HELP),
    fail_if_worse: float | None = typer.Option(
        None,
        "--fail-if-worse",
        help="exit 1 when B's accuracy is below A's by more than DELTA with 95% confidence",
        metavar="DELTA",
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Compare model B with model A on the items both predicted: accuracy and macro-F1
    differences (B - A) with paired-bootstrap 95% intervals, McNemar's exact test, and
    slices whose difference is clear flagged. With --fail-if-worse, a regression exits 1
    (for a model's CI pipeline)."""
    with reported():
        found = compare_models(
            state(ctx).database(),
            project,
            a,
            b,
            field=field,
            against=evaluation.against_of(against),
            slice_key=slice_key,
            fail_if_worse=fail_if_worse,
        )
    if as_json:
        typer.echo(
            ComparisonOut.model_validate(found, from_attributes=True).model_dump_json(indent=2)
        )
    else:
        r = found.report
        console.print(
            f"[bold]{escape(found.b)}[/] against [bold]{escape(found.a)}[/] on "
            f"'{escape(found.field)}', {found.items:,} items with {found.against} labels",
            highlight=False,
        )
        table = Table()
        for name in ("", "A", "B", "B − A (95% CI)"):
            table.add_column(name, justify="left" if not name else "right")
        table.add_row(
            "accuracy",
            f"{r['accuracy_a']:.1%}",
            f"{r['accuracy_b']:.1%}",
            _signed(r["accuracy_difference"]),
        )
        table.add_row(
            "macro-F1",
            f"{r['macro_f1_a']:.3f}",
            f"{r['macro_f1_b']:.3f}",
            _signed(r["macro_f1_difference"], False),
        )
        console.print(table)
        m = r["mcnemar"]
        console.print(
            f"McNemar's exact test: A right and B wrong on {m['only_a']:,} items, B right and "
            f"A wrong on {m['only_b']:,}; p = {m['p_value']:.4g}",
            highlight=False,
        )
        if found.slices:
            slices = Table(title=f"B − A accuracy by {escape(str(found.slice_key))}")
            for name in ("value", "items", "A", "B", "B − A (95% CI)", ""):
                slices.add_column(name, justify="left" if name in ("value", "") else "right")
            for s in found.slices:
                if "error" in s:
                    slices.add_row(escape(str(s["value"])), f"{s['items']:,}", "", "", "",
                                   escape(s["error"]))  # fmt: skip
                    continue
                slices.add_row(
                    escape(str(s["value"])),
                    f"{s['items']:,}",
                    f"{s['accuracy_a']:.1%}",
                    f"{s['accuracy_b']:.1%}",
                    _signed(s["accuracy_difference"]),
                    "[bold]differs[/]" if s.get("flagged") else "",
                )
            console.print(slices)
    if found.worse and not as_json:
        console.print(
            f"[red]regression[/]: {escape(found.b)} is worse than {escape(found.a)} by more "
            f"than {found.fail_if_worse} with 95% confidence",
            highlight=False,
        )
    if found.worse:
        # A regression: the JSON says "worse": true; the exit code tells a CI pipeline.
        raise typer.Exit(1)


def _signed(estimate: dict[str, Any], percent: bool = True) -> str:
    if estimate.get("value") is None:
        return "–"
    fmt = "{:+.1%}" if percent else "{:+.3f}"
    if estimate.get("low") is None:
        return fmt.format(estimate["value"])
    return (
        f"{fmt.format(estimate['value'])} ({fmt.format(estimate['low'])} to "
        f"{fmt.format(estimate['high'])})"
    )
