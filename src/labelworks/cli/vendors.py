"""``labelworks vendors`` and ``labelworks vendor …``: vendors' scorecards, their terms,
usage statements and comparisons on gold, from the local database (a trusted operator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state
from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.vendor_terms import VendorTerms, period_of
from labelworks.schemas.vendors import (
    ComparisonOut,
    ScorecardOut,
    ScorecardsOut,
    StatementOut,
    VendorOut,
)
from labelworks.services import vendors as vendor_service
from labelworks.services.vendor_comparison import compare_vendors
from labelworks.services.vendor_statements import Statement, statement_csv, usage_statement
from labelworks.services.vendor_usage import Scorecard, scorecard, scorecards
from labelworks.stats.vendor_billing import Proportion, Turnaround

app = typer.Typer(help="One vendor: scorecard, terms, usage statement, comparison.")
PERIOD_HELP = "YYYY-MM, YYYY-Www, YYYY-MM-DD..YYYY-MM-DD or all (default)"
SHOWN_LINES = 20


def _share(p: Proportion) -> str:
    if p.value is None:
        return "–"
    return f"{p.value:.1%} ({p.hits}/{p.n}, 95% {p.low or 0:.0%}–{p.high or 0:.0%})"


def _hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{round(value * 60)} min" if value < 1 else f"{value:.1f} h"


def _turnaround(t: Turnaround) -> str:
    if not t.n:
        return "no data"
    found = f"P50 {_hours(t.p50)}, P{t.percentile:g} {_hours(t.at_percentile)}"
    if t.target is not None:
        found += f" (target {_hours(t.target)}: {'met' if t.met else 'missed'})"
    return found


def _cost(card: Scorecard) -> str:
    if card.in_house:
        return "no rate (in-house)"
    cost = card.cost
    if cost.amount is None:
        return "no rate card" if card.terms is None or not card.terms.priced else "–"
    per = cost.per_accepted
    found = f"{cost.amount.text()} ({per.text(4) if per else '–'} per accepted)"
    if cost.unpriced:
        found += f"; {cost.unpriced} unpriced ({', '.join(cost.missing)})"
    return found


def vendors_command(
    ctx: typer.Context,
    period: str | None = typer.Option(None, "--period", help=PERIOD_HELP),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """Every vendor's scorecard headline: volume, gold accuracy with its interval,
    turnaround, cost per accepted label and SLA status (in-house people as internal)."""
    with reported():
        found = scorecards(state(ctx).database(), period=period_of(period))
    if as_json:
        typer.echo(ScorecardsOut.model_validate(found, from_attributes=True).model_dump_json())
        return
    if not found.cards:
        console.print("no vendors yet (people get one with `labelworks user add --vendor`)")
        return
    table = Table(
        "vendor", "delivered", "gold accuracy", "lease → submit", "cost", "SLA",
        title=f"vendors, {found.period}",
    )  # fmt: skip
    for c in found.cards:
        table.add_row(
            Text(c.vendor),
            "no data" if c.empty else f"{c.delivered:,}",
            _share(c.accuracy),
            _turnaround(c.lease),
            Text(_cost(c)),
            c.sla + (f" ({len(c.breaches)})" if c.breaches else ""),
        )
    console.print(table)


@app.command("show")
def show_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="vendor name (internal: in-house people)"),
    period: str | None = typer.Option(None, "--period", help=PERIOD_HELP),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """A vendor's scorecard: volume by billing status, quality with intervals, turnaround
    against the SLA, cost, the weekly trend and every breach."""
    with reported():
        card = scorecard(state(ctx).database(), name, period=period_of(period))
    if as_json:
        typer.echo(ScorecardOut.model_validate(card, from_attributes=True).model_dump_json())
        return
    console.print(Text(f"{card.vendor}, {card.period}", style="bold"))
    if card.empty:
        console.print(f"no work by {card.vendor} in {card.period}")
        return
    rows = [
        ("delivered", f"{card.delivered:,} ({card.billed:,} billed, {card.held:,} held in review)"),
        ("not billed", f"{card.reworked:,} reworked, {card.rejected:,} rejected, "
                       f"{card.set_aside:,} set aside"),
        ("gold accuracy", _share(card.accuracy)),
        ("review acceptance", _share(card.review_acceptance)),
        ("lease → submit", _turnaround(card.lease)),
        ("import → final", _turnaround(card.final)),
        ("cost", _cost(card)),
        ("SLA", card.sla),
    ]  # fmt: skip
    for label, value in rows:
        console.print(Text(f"{label:>18}  {value}"))
    weeks = Table("week", "delivered", "gold accuracy", "lease → submit", title="by week")
    for w in card.weeks:
        weeks.add_row(w.week, f"{w.delivered:,}", _share(w.accuracy), _hours(w.lease_hours))
    console.print(weeks)
    for b in card.breaches:
        mark = "breach" if b.certain else "watch"
        console.print(Text(f"{mark} {b.week}: {b.text}"))


def _rates(given: list[str]) -> dict[str, float]:
    found: dict[str, float] = {}
    for text in given:
        kind, sep, price = text.partition("=")
        try:
            if not sep:
                raise ValueError
            found[kind.strip()] = float(price)
        except ValueError:
            raise InvalidInput(
                f"--per-annotation takes KIND=PRICE (e.g. choice=0.05), not '{text}'",
                location=Location(field="per-annotation"),
            ) from None
    return found


@app.command("terms")
def terms_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="vendor name"),
    currency: str | None = typer.Option(None, "--currency", help="ISO 4217 code, e.g. USD"),
    per_annotation: list[str] = typer.Option(
        [], "--per-annotation", help="KIND=PRICE of an accepted annotation (repeat per kind)"
    ),
    per_hour: float | None = typer.Option(None, "--per-hour", help="price of an active hour"),
    percentile: float = typer.Option(90.0, "--percentile", help="SLA turnaround percentile"),
    turnaround: float | None = typer.Option(
        None, "--sla-turnaround-hours", help="lease to submit, hours, at the percentile"
    ),
    final_hours: float | None = typer.Option(
        None, "--sla-final-hours", help="import to final label, hours, at the percentile"
    ),
    floor: float | None = typer.Option(None, "--quality-floor", help="gold accuracy, 0–1"),
    volume: int | None = typer.Option(None, "--weekly-volume", help="annotations a week"),
    contact: str = typer.Option("", "--contact", help="who to call (free text)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """Show a vendor's terms, or with --currency replace them whole: rate card, SLA
    targets, contact."""
    with reported():
        db = state(ctx).database()
        if currency is None:
            view = vendor_service.get_terms(db, name)
        else:
            data: dict[str, Any] = {
                "currency": currency,
                "per_annotation": _rates(per_annotation),
                "per_hour": per_hour,
                "sla": {
                    "percentile": percentile,
                    "lease_to_submit_hours": turnaround,
                    "import_to_final_hours": final_hours,
                    "quality_floor": floor,
                    "weekly_volume": volume,
                },
                "contact": contact,
            }
            view = vendor_service.set_terms(db, name, data)
    if as_json:
        typer.echo(VendorOut.model_validate(view, from_attributes=True).model_dump_json())
        return
    if view.terms is None:
        console.print(Text(f"{view.vendor} has no terms yet (set them with --currency …)"))
        return
    console.print(Text(f"{view.vendor}: {describe_terms(view.terms)}"))


def describe_terms(t: VendorTerms) -> str:
    """A contract in one line."""
    parts = [f"{kind} {rate:g}" for kind, rate in sorted(t.per_annotation.items())]
    if t.per_hour is not None:
        parts.append(f"{t.per_hour:g} per active hour")
    prices = ", ".join(parts) or "no price"
    s = t.sla
    targets = [
        f"P{s.percentile:g} lease→submit ≤ {s.lease_to_submit_hours:g} h"
        if s.lease_to_submit_hours is not None
        else "",
        f"P{s.percentile:g} import→final ≤ {s.import_to_final_hours:g} h"
        if s.import_to_final_hours is not None
        else "",
        f"gold accuracy ≥ {s.quality_floor:.0%}" if s.quality_floor is not None else "",
        f"{s.weekly_volume:,} a week" if s.weekly_volume is not None else "",
    ]
    sla = "; ".join(x for x in targets if x) or "no SLA"
    contact = f"; contact {t.contact}" if t.contact else ""
    return f"{t.currency}: {prices}; {sla}{contact}"


@app.command("statement")
def statement_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="vendor name"),
    period: str = typer.Option(..., "--period", help=PERIOD_HELP),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the lines as CSV"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """A vendor's usage statement for a period: billed annotations × rate, the total, and
    a line per annotation (all of them with -o FILE.csv), reconcilable with the export."""
    with reported():
        found = usage_statement(state(ctx).database(), name, period=period_of(period))
    if output is not None:
        output.write_text(statement_csv(found), encoding="utf-8", newline="")
    if as_json:
        typer.echo(StatementOut.model_validate(found, from_attributes=True).model_dump_json())
        return
    print_statement(found, output)


def print_statement(s: Statement, output: Path | None) -> None:
    if s.empty:
        console.print(Text(f"no annotations by {s.vendor} in {s.period}"))
        return
    total = s.total.text(4) if s.total is not None else "no total (no rate card)"
    console.print(Text(f"{s.vendor}, {s.period}: {total}", style="bold"))
    console.print(
        Text(
            f"{s.billed:,} billed, {s.held:,} held (review pending), {s.reworked:,} reworked "
            f"and {s.rejected:,} rejected in review, {s.set_aside:,} set aside: not billed"
        )
    )
    if s.unpriced:
        console.print(Text(f"{s.unpriced:,} billed lines have no rate ({', '.join(s.missing)})"))
    table = Table("annotation", "project", "item", "submitted (UTC)", "kinds", "status", "amount")
    for x in s.lines[:SHOWN_LINES]:
        table.add_row(
            str(x.annotation_id),
            Text(x.project),
            Text(x.external_id or str(x.item_id)),
            x.submitted_at.strftime("%Y-%m-%d %H:%M"),
            "+".join(x.kinds),
            x.status,
            "–" if x.amount is None else str(x.amount),
        )
    console.print(table)
    if output is not None:
        console.print(Text(f"{len(s.lines):,} lines written to {output}"))
    elif len(s.lines) > SHOWN_LINES:
        console.print(f"… {len(s.lines) - SHOWN_LINES:,} more lines: -o FILE.csv writes them all")


@app.command("compare")
def compare_command(
    ctx: typer.Context,
    a: str = typer.Argument(..., help="a vendor (internal: in-house people)"),
    b: str = typer.Argument(..., help="another vendor"),
    project: str = typer.Option(..., "--project", help="the project whose gold to compare on"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """A against B on a project's gold: the difference in accuracy with its 95% interval
    (paired, with McNemar's test, on gold items both answered)."""
    with reported():
        found = compare_vendors(state(ctx).database(), a, b, project=project)
    if as_json:
        typer.echo(ComparisonOut.model_validate(found, from_attributes=True).model_dump_json())
        return
    console.print(Text(found.reading))
