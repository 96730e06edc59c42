"""``labelworks simulate``: run a spec's quality settings on a simulated crowd."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from labelworks.cli.context import console, reported
from labelworks.domain.errors import InvalidInput
from labelworks.services import projects as project_service
from labelworks.services.simulation import CrowdSettings, simulate


def _skill(text: str) -> tuple[float, float]:
    low, sep, high = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return float(low), float(high)
    except ValueError:
        raise InvalidInput(f"--skill must be LOW:HIGH, e.g. 0.6:0.95 (got {text!r})") from None


def simulate_command(
    spec_file: Path = typer.Argument(..., help="YAML project spec whose quality settings to try"),
    items: int = typer.Option(1000, "--items", help="ordinary items to label"),
    annotators: int = typer.Option(30, "--annotators", help="simulated annotators"),
    spammers: float = typer.Option(0.1, "--spammers", help="share of spammers (0 to <1)"),
    skill: str = typer.Option("0.6:0.95", "--skill", help="honest annotators' accuracy LOW:HIGH"),
    classes: int | None = typer.Option(
        None, "--classes", help="label one choice field of this many classes instead"
    ),
    drift: float = typer.Option(0.0, "--drift", help="accuracy lost per 1,000 tasks"),
    gold_items: int | None = typer.Option(
        None,
        "--gold-items",
        help="gold items (default: 5% of items, at least 50, with gold_rate; plus "
        "qualification.items x (retries + 1) with a qualification test)",
    ),
    seed: int = typer.Option(0, "--seed", help="the same seed gives the same crowd and result"),
    baseline: bool = typer.Option(
        True, "--baseline/--no-baseline", help="also run fixed overlap 3 with majority vote"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Run SPEC_FILE's quality settings end to end on a simulated crowd, in a throwaway
    database, and report the accuracy and cost they achieve against fixed overlap 3."""
    with reported():
        spec, _ = project_service.load_spec_file(spec_file)
        settings = CrowdSettings(
            items=items,
            annotators=annotators,
            spammers=spammers,
            skill=_skill(skill),
            classes=classes,
            drift=drift,
            gold_items=gold_items,
            seed=seed,
        )
        settings.check()
        with console.status("simulating…") as status:
            report = simulate(
                spec, settings, baseline=baseline, progress=lambda what: status.update(what)
            )
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table(
        "", "these settings", "fixed overlap 3, majority", title=f"{spec.name}: simulated"
    )
    base = report.get("baseline") or {}

    def pct(value: object) -> str:
        return f"{value:.1%}" if isinstance(value, float) else "–"

    def per(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else "–"

    table.add_row("accuracy", pct(report["accuracy"]), pct(base.get("accuracy")))
    table.add_row(
        "annotations per item",
        per(report["annotations_per_item"]),
        per(base.get("annotations_per_item")),
    )
    table.add_row("spammers paused", f"{report['spammers_paused']} of {report['spammers']}", "–")
    table.add_row("honest annotators paused", str(report["honest_paused"]), "–")
    table.add_row(
        "blocked by the qualification test",
        f"{report['spammers_blocked']} spammers, {report['honest_blocked']} honest",
        "–",
    )
    table.add_row("items at adjudication", str(report["adjudication"]), "–")
    table.add_row(
        "gold leaks / lost annotations", f"{report['gold_leaks']} / {report['lost']}", "–"
    )
    console.print(table)
    console.print(
        f"{report['items']:,} items, {report['gold_items']:,} gold, {report['annotators']} "
        f"annotators, {report['classes']} classes, seed {report['seed']}: "
        f"{report['annotations']:,} annotations in {report['seconds']} s"
    )
