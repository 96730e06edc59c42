"""``labelworks forecast PROJECT``: when the project will be done, what it needs for its
deadline and what it will cost, with what-if knobs; ``labelworks capacity``: the suggested
allocation of people across the projects the caller manages."""

from __future__ import annotations

from datetime import date

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.domain.errors import InvalidInput
from labelworks.schemas.capacity import CapacityForecastOut, CapacityOut
from labelworks.services.allocation import allocation_plan, plan_dict
from labelworks.services.capacity import Knobs, forecast_dict, project_forecast


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"--deadline must be a date YYYY-MM-DD, not '{value}'") from None


def _days(value: float | None) -> str:
    return "no bound" if value is None else f"{value:.1f} days"


def _money(amount: float, currency: str | None) -> str:
    return f"{amount:,.2f}" + (f" {currency}" if currency else "")


def forecast_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    deadline: str | None = typer.Option(None, "--deadline", help="YYYY-MM-DD (default: spec)"),
    confidence: float | None = typer.Option(None, "--confidence", help="0.5–0.99 (default 0.8)"),
    headcount: int | None = typer.Option(None, "--headcount", help="people planned"),
    overlap: float | None = typer.Option(None, "--overlap", help="annotations per item"),
    gold_rate: float | None = typer.Option(None, "--gold-rate", help="share on gold items"),
    review_rate: float | None = typer.Option(None, "--review-rate", help="share reviewed"),
    rate: float | None = typer.Option(None, "--rate", help="price of one annotation"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """The work left in annotations, the completion forecast (P10/P50/P90 dates, by Monte
    Carlo over the project's daily history), the deadline at the chosen confidence and the
    headcount it needs, and the cost against the budget. Each option replaces the spec's
    or the observed value, to ask "what if"."""
    with reported():
        knobs = Knobs(_date(deadline), confidence, headcount, overlap, gold_rate, review_rate,
                      rate)  # fmt: skip
        out = CapacityForecastOut.model_validate(
            forecast_dict(project_forecast(state(ctx).database(), project, knobs))
        )
    if as_json:
        typer.echo(out.model_dump_json())
        return
    w = out.workload
    share = "" if out.vendor is None else f" ({escape(out.vendor)}'s share, {out.share:.0%})"
    console.print(
        f"[bold]{escape(out.project)}[/]: {out.remaining:,.0f} annotations left{share}, "
        f"{out.done:,} done"
    )
    console.print(
        f"  ordinary {w.ordinary:,.0f} at overlap {w.overlap:g} · dynamic overlap "
        f"{w.dynamic:,.0f} · rework after review {w.rework:,.0f} · gold {w.gold:,.0f}"
    )
    if out.days:
        total = sum(d.annotations for d in out.days)
        console.print(
            f"  pace: {total / len(out.days):,.1f} a day over {len(out.days)} days, "
            f"{out.headcount_observed:.1f} people on the project a day"
            + ("" if out.headcount_planned is None else f" (planned: {out.headcount_planned:g})")
        )
    f = out.forecast
    if f is not None:
        console.print(
            f"done by: P10 {f.p10_date or 'never'} ({_days(f.p10_days)}) · "
            f"P50 {f.p50_date or 'never'} ({_days(f.p50_days)}) · "
            f"P90 {f.p90_date or 'never'} ({_days(f.p90_days)})"
        )
    d = out.deadline
    if d is not None and not d.passed:
        verdict = "[green]on track[/]" if d.on_track else "[red]late[/]"
        people = (
            "no number of people is that sure"
            if d.headcount_needed is None
            else f"{d.headcount_needed} {'person' if d.headcount_needed == 1 else 'people'} needed"
        )
        console.print(
            f"deadline {d.day} at {d.confidence:.0%}: {verdict} — done by "
            f"{d.done_by or 'unknown'}; {people}"
        )
    c = out.cost
    if c is not None:
        line = (
            f"cost: {_money(c.remaining, c.currency)} left at {c.rate:,.4g} an annotation "
            f"({c.source}); {_money(c.projected, c.currency)} in all"
        )
        if c.budget is not None and c.over_budget is not None:
            state_ = "[red]over[/]" if c.over_budget else "within"
            line += f", {state_} the budget of {_money(c.budget, c.budget_currency)}"
        console.print(line)
    for note in out.notes:
        console.print(escape(note))


def capacity_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """The suggested allocation of people across the projects the caller manages: each
    project's pace needed for its deadline, now and as planned, and each move with its
    reason (a linear program that meets deadlines by priority)."""
    with reported():
        out = CapacityOut.model_validate(plan_dict(allocation_plan(state(ctx).database())))
    if as_json:
        typer.echo(out.model_dump_json())
        return
    table = Table("project", "priority", "deadline", "left", "needs/day", "now/day", "plan/day",
                  "on track", title=f"allocation from the last {out.window} days, "
                  f"{out.people} people")  # fmt: skip
    for p in out.projects:
        deadline = "passed" if p.passed else str(p.deadline or "-")
        table.add_row(
            escape(p.project),
            str(p.priority),
            deadline,
            f"{p.remaining:,.0f}",
            "-" if p.need is None else f"{p.need:,.1f}",
            f"{p.current:,.1f}",
            f"{p.planned:,.1f}",
            {True: "yes", False: f"short {p.shortfall:,.1f}/day", None: "-"}[p.on_track],
        )
    console.print(table)
    if not out.moves:
        console.print("no moves: every deadline is met as people work now, or nobody can help")
    for m in out.moves:
        source = "spare time" if m.source is None else escape(m.source)
        console.print(
            f"• {escape(m.person)}: {m.share:.0%} of their day from {source} to "
            f"{escape(m.target)} — {escape(m.reason)}"
        )
