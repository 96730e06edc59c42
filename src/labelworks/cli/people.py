"""``labelworks people``: people analytics of a project, or across every project."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.period import parse_period
from labelworks.schemas.people_analytics import PeopleReportOut
from labelworks.services.people_analytics import PeopleReport, people_overall, people_report
from labelworks.stats.people import Percentile, Proportion

# Each sign in a word or two for the table; the explanations follow it in full.
SHORT = {
    "too_fast": "too-fast",
    "straight_lining": "straight-lining",
    "guideline_drop": "gold-drop",
    "idle_leases": "idle-lease",
}


def _share(s: Proportion) -> str:
    if s.value is None or s.low is None or s.high is None:
        return "–"
    few = "[yellow]*[/]" if s.few else ""
    return f"{s.value:.0%} ({100 * s.low:.0f}–{100 * s.high:.0f}){few}"


def _standing(p: Percentile) -> str:
    if p.value is None or p.low is None or p.high is None:
        return "–"
    return f"{p.value:.0f} ({p.low:.0f}–{p.high:.0f})"


def _print(report: PeopleReport) -> None:
    where = report.project or f"{len(report.projects)} projects"
    walled = f", {report.wall}'s people" if report.wall else ""
    console.print(f"[bold]{escape(where)}[/] · {escape(report.period.label)}{escape(walled)}")
    if report.empty:
        console.print(escape(report.message or "nothing to measure"))
        return
    t = report.team
    hourly = "–" if t.throughput.value is None else f"{t.throughput.value:.0f}"
    median = "–" if t.median_seconds is None else f"{t.median_seconds:.1f} s"
    console.print(
        f"{len(report.people)} people, {t.annotations:,} annotations, {hourly} per active "
        f"hour, {median} per item; gold {_share(t.gold)}, review {_share(t.review)}, "
        f"agree with final {_share(t.agreement)}"
    )
    retests = t.retest.trials > 0
    table = Table("person", "vendor", "annotations", "per hour", "s/item", "gold", "review",
                  "agree w/ final", title="people")  # fmt: skip
    for name in (["retest"] if retests else []) + ["gold pctile", "warnings"]:
        table.add_column(name)
    for column in table.columns[:-1]:
        column.no_wrap = True
    table.columns[-1].overflow = "fold"
    table.columns[-1].min_width = len(max(SHORT.values(), key=len))
    for r in report.people:
        f = r.figures
        table.add_row(
            escape(r.email),
            escape(r.vendor or "in-house"),
            f"{f.annotations:,}",
            "–" if f.throughput.value is None else f"{f.throughput.value:.0f}",
            "–" if f.median_seconds is None else f"{f.median_seconds:.1f}",
            _share(f.gold),
            _share(f.review),
            _share(f.agreement),
            *([_share(f.retest)] if retests else []),
            _standing(f.percentiles["gold"]),
            escape(" ".join(SHORT.get(s.code, s.code) for _, s in r.signs)),
        )
    console.print(table)
    console.print(
        "shares with their 95% interval; [yellow]*[/] few answers (under 20, or an interval "
        "wider than 30 points); gold pctile: the share of the rest of the team below them, "
        "with where the ends of their interval would stand"
    )
    for r in report.people:
        for project, sign in r.signs:
            named = f" ({project})" if project else ""
            console.print(
                f"[bold yellow]{escape(r.email)}[/]{escape(named)}: {escape(sign.title)}. "
                f"{escape(sign.explanation)}",
                soft_wrap=True,
            )


def people_command(
    ctx: typer.Context,
    project: str | None = typer.Argument(None, help="project name (none: every project)"),
    every: bool = typer.Option(False, "--all", help="everyone across every project"),
    period: str | None = typer.Option(None, "--period", help="an ISO week, e.g. 2026-W48"),
    since: str | None = typer.Option(None, "--since", help="first day (YYYY-MM-DD, UTC)"),
    until: str | None = typer.Option(None, "--until", help="last day, inclusive (YYYY-MM-DD)"),
    floor_seconds: float | None = typer.Option(
        None,
        "--floor-seconds",
        help="seconds per item under which answers are too fast (default: a quarter of the "
        "team's median person)",
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """Per annotator: annotations per active hour, median seconds per item, gold accuracy,
    review acceptance, agreement with the final label and retest consistency with 95%
    intervals, percentiles within the team, and warning signs explained (too fast,
    straight-lining, accuracy dropping after a guideline change, idle leases)."""
    with reported():
        if project is not None and every:
            raise InvalidInput(
                "give a project or --all, not both", location=Location(field="--all")
            )
        if project is None and floor_seconds is not None:
            raise InvalidInput(
                "--floor-seconds applies to one project's report",
                location=Location(field="--floor-seconds"),
            )
        chosen = parse_period(period, since, until)
        db = state(ctx).database()
        report = (
            people_overall(db, period=chosen)
            if project is None
            else people_report(db, project, period=chosen, floor_seconds=floor_seconds)
        )
    if as_json:
        typer.echo(PeopleReportOut.model_validate(report.to_dict()).model_dump_json())
        return
    _print(report)
