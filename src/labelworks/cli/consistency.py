"""``labelworks consistency``: test–retest agreement from the consistency audits."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.services.gold import Share
from labelworks.services.retests import FieldConsistency, RetestPair, RetestReport, retest_report


def _share(share: Share) -> str:
    """``9 of 10 (90%, 60–98%)``; ``-`` with none."""
    if share.accuracy is None or share.interval is None:
        return "-"
    low, high = share.interval
    return f"{share.correct} of {share.total} ({share.accuracy:.0%}, {low:.0%}–{high:.0%})"


def _fields(fields: list[FieldConsistency]) -> str:
    return ", ".join(
        f"{escape(f.field)} {f.pairs.accuracy or 0:.0%}"
        + ("" if f.kappa is None else f" κ {f.kappa:.2f}")
        for f in fields
    )


def _title(report: RetestReport) -> str:
    if report.rate is None:
        rule = "retests off (set quality.retest in the spec)"
    else:
        newer = "annotation" if report.after == 1 else "annotations"
        rule = f"{report.rate:.0%} of leases retest an item {report.after}+ {newer} old"
    return f"{report.project}: {report.retests} retests, {rule}"


def _answer(value: dict[str, Any] | None) -> str:
    if value is None:
        return "(set aside)"
    return escape(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _recent(pairs: list[RetestPair]) -> Table:
    table = Table("annotator", "item", "first", "second", "same", title="latest retests")
    for p in pairs:
        same = "-" if p.same is None else "yes" if p.same else "no"
        table.add_row(escape(p.email), str(p.item_id), _answer(p.first), _answer(p.second), same)
    return table


def consistency_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Test–retest agreement: how often each annotator gave the same answer when an item
    of theirs came back unannounced (quality.retest), with 95% intervals and Cohen's kappa
    per field."""
    with reported():
        report = retest_report(state(ctx).database(), project)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    table = Table("annotator", "retests", "same answer", "per field", title=escape(_title(report)))
    for a in report.annotators:
        table.add_row(escape(a.email), str(a.retests), _share(a.same), _fields(a.fields))
    table.add_section()
    table.add_row("everyone", str(report.retests), _share(report.same), _fields(report.fields))
    console.print(table)
    if report.recent:
        console.print(_recent(report.recent[:10]))
