"""``labelworks leaderboard``: a project's evaluation campaign as a leaderboard."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.schemas.leaderboard import LeaderboardOut
from labelworks.services.leaderboards import LeaderboardReport, leaderboard_report, wire


def leaderboard(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    by: str | None = typer.Option(
        None, "--by", help="also a board per value of this metadata key (e.g. category)"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The campaign's leaderboard: Bradley-Terry ratings on the Elo scale with 95% bootstrap
    intervals, ranks by non-overlapping intervals, battles and win rates, tie rate,
    position bias and agreement between evaluators (a rating campaign: each model's mean
    per criterion). Needs an evaluation section in the spec (docs/evaluation.md)."""
    with reported():
        report = leaderboard_report(state(ctx).database(), project, by=by)
    if as_json:
        typer.echo(LeaderboardOut.model_validate(wire(report)).model_dump_json(indent=2))
        return
    if report.mode == "rating":
        _rubric(report)
        return
    board = report.board
    if board is None:
        console.print(
            f"{escape(report.project)}: no leaderboard yet ({escape(report.reason or '')})"
        )
        return
    console.print(
        f"[bold]{escape(report.project)}[/]: {report.votes:,} votes on {len(report.models)} models",
        highlight=False,
    )
    _standings(board["models"], "Bradley-Terry ratings (Elo scale, 95% bootstrap intervals)")
    figures = [
        ("ties", board["tie_rate"]),
        ("left side won (position bias)", board["position_bias"]),
        ("evaluators agree (same item)", board["evaluator_agreement"]),
    ]
    for name, share in figures:
        if share is not None:
            console.print(
                f"{name}: {share['value']:.1%} (95% CI {share['low']:.1%}–{share['high']:.1%},"
                f" n={share['n']:,})",
                highlight=False,
            )
    if board.get("length_controlled"):
        _standings(board["length_controlled"], "controlled for response length")
    for category, found in report.categories.items():
        _standings(found["models"], f"{report.by} = {category}")


def _standings(models: list[dict[str, Any]], title: str) -> None:
    table = Table(title=escape(title))
    for name in ("rank", "model", "rating", "95% CI", "battles", "W-L-T", "win rate"):
        table.add_column(name, justify="left" if name == "model" else "right")
    for m in models:
        table.add_row(
            str(m["rank"]),
            escape(m["model"]),
            f"{m['rating']:.0f}",
            f"{m['low']:.0f}–{m['high']:.0f}",
            f"{m['battles']:,}",
            f"{m['wins']}-{m['losses']}-{m['ties']}",
            f"{m['win_rate']:.1%}",
        )
    console.print(table)


def _rubric(report: LeaderboardReport) -> None:
    console.print(
        f"[bold]{escape(report.project)}[/]: {report.votes:,} ratings of {len(report.models)} "
        "models",
        highlight=False,
    )
    for criterion in report.criteria:
        table = Table(title=escape(f"{criterion['field']}: mean (95% CI)"))
        for name in ("model", "mean", "95% CI", "ratings"):
            table.add_column(name, justify="left" if name == "model" else "right")
        for m in criterion["models"]:
            shown = "–" if m["mean"] is None else f"{m['mean']:.2f}"
            ci = "–" if m["low"] is None else f"{m['low']:.2f}–{m['high']:.2f}"
            table.add_row(escape(m["model"]), shown, ci, f"{m['n']:,}")
        console.print(table)
        agreement = criterion["agreement"]
        if agreement is not None:
            console.print(
                f"  Krippendorff's alpha between evaluators: {agreement['value']:.3f} "
                f"({agreement['low']:.3f}–{agreement['high']:.3f}, {agreement['items']:,} items)",
                highlight=False,
            )
