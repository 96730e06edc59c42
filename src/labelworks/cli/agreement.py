"""``labelworks agreement``: inter-annotator agreement per field, over a period and a
vendor."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.services.agreement import (
    METRICS,
    AgreementReport,
    Coefficient,
    FieldAgreement,
    moment,
    project_agreement,
)

TITLES = {
    "krippendorff_alpha": "Krippendorff's α",
    "fleiss_kappa": "Fleiss' κ",
    "gwet_ac1": "Gwet's AC1",
}


def _coefficient(c: Coefficient) -> str:
    """``0.82 (0.71–0.90)``; ``-`` where undefined."""
    if c.value is None:
        return "-"
    if c.low is None or c.high is None:
        return f"{c.value:.3f}"
    return f"{c.value:.3f} ({c.low:.3f}–{c.high:.3f})"


def _number(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _scope(report: AgreementReport) -> str:
    f = report.filters
    parts = [
        f"since {f.since:%Y-%m-%d %H:%M}" if f.since else "",
        f"until {f.until:%Y-%m-%d %H:%M}" if f.until else "",
        f"vendor {f.vendor}" if f.vendor else "",
    ]
    shown = ", ".join(p for p in parts if p)
    return f" ({escape(shown)})" if shown else ""


def _summary(report: AgreementReport) -> Table:
    table = Table(
        "field",
        "items",
        "ratings",
        "annotators",
        *(TITLES[m] for m in METRICS),
        title=f"{escape(report.project)}: agreement, 95% bootstrap intervals{_scope(report)}",
    )
    for f in report.fields:
        if f.structured is not None or f.level is None:
            s = f.structured
            how = "F1" if s is None else f"F1 {_number(s.f1, 3)}"
            table.add_row(
                f"{escape(f.field)} ({f.kind}, {how})",
                str(f.items),
                str(f.ratings),
                str(f.annotators),
                *("-" for _ in METRICS),
            )
            continue
        alpha = "α ordinal" if f.level == "ordinal" else "α nominal"
        table.add_row(
            f"{escape(f.field)} ({f.kind}, {alpha})",
            str(f.items),
            str(f.ratings),
            str(f.annotators),
            *(_coefficient(f.coefficients[m]) for m in METRICS),
        )
    return table


def _labels(f: FieldAgreement) -> Table:
    table = Table(
        "label", "Fleiss' κ (this label vs the rest)", title=f"{escape(f.field)}: per label"
    )
    for label, value in f.labels:
        table.add_row(escape(str(label)), _number(value, 3))
    return table


def _pairs(f: FieldAgreement) -> Table | None:
    if f.pairs is None:
        return None
    p = f.pairs
    table = Table("annotator", "mean κ", *map(escape, p.annotators))
    table.title = f"{escape(f.field)}: Cohen's κ of each pair (shared items)"
    for i, email in enumerate(p.annotators):
        cells = [
            "" if i == j else "-" if v is None else f"{v:.2f} ({p.shared[i][j]})"
            for j, v in enumerate(p.kappa[i])
        ]
        table.add_row(escape(email), _number(p.mean[i]), *cells)
    return table


def _with_rest(f: FieldAgreement) -> Table:
    table = Table("annotator", "items", "pairs", "agree", "Cohen's κ with the rest (95%)")
    table.title = f"{escape(f.field)}: each annotator against the others, lowest first"
    for a in f.with_rest:
        agree = "-" if a.percent is None else f"{a.percent:.0%}"
        table.add_row(escape(a.annotator), str(a.items), str(a.pairs), agree, _coefficient(a.kappa))
    return table


def _confusion(f: FieldAgreement) -> Table | None:
    if f.confusion is None or not f.confusion.top:
        return None
    table = Table("label", "confused with", "times", title=f"{escape(f.field)}: most confused")
    for a, b, n in f.confusion.top:
        table.add_row(escape(str(a)), escape(str(b)), str(n))
    return table


def _contested(f: FieldAgreement) -> Table | None:
    if not f.contested:
        return None
    table = Table("item", "external id", "pairs agreeing", "votes")
    table.title = f"{escape(f.field)}: most contested items"
    for c in f.contested:
        votes = ", ".join(f"{who}: {label}" for who, label in c.votes)
        table.add_row(
            str(c.item_id), escape(c.external_id or ""), f"{c.agreement:.0%}", escape(votes)
        )
    return table


def _structured(f: FieldAgreement) -> Table | None:
    s = f.structured
    if s is None:
        return None
    table = Table("annotator", "F1 with the others")
    sampled = f", the newest {s.items} items" if s.sampled else ""
    table.title = f"{escape(f.field)}: pairwise F1 ({escape(s.match)}{sampled})"
    for who, value in zip(s.annotators, s.annotator_f1, strict=True):
        table.add_row(escape(who), _number(value, 3))
    return table


def agreement_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    field: str | None = typer.Option(None, "--field", help="one field only"),
    since: str | None = typer.Option(
        None, "--since", help="annotations submitted at or after this date or time (UTC)"
    ),
    until: str | None = typer.Option(
        None, "--until", help="annotations submitted before this date or time (UTC)"
    ),
    vendor: str | None = typer.Option(None, "--vendor", help="that vendor's annotators only"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Inter-annotator agreement on items labelled twice or more: per categorical field
    (choice, rating, pairwise) Krippendorff's α, Fleiss' κ and Gwet's AC1 with 95%
    bootstrap intervals, per-label κ, Cohen's κ of each pair of annotators, the labels most
    confused, the most contested items and each annotator against the rest; per spans,
    boxes or segments field, pairwise F1."""
    with reported():
        report = project_agreement(
            state(ctx).database(),
            project,
            field=field,
            since=None if since is None else moment(since, "--since"),
            until=None if until is None else moment(until, "--until"),
            vendor=vendor,
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    if not report.fields:
        console.print(f"{escape(report.project)} has no field agreement is measured on")
        return
    console.print(_summary(report))
    for f in report.fields:
        tables = [
            _labels(f) if f.labels else None,
            _pairs(f),
            _with_rest(f) if f.with_rest else None,
            _confusion(f),
            _contested(f),
            _structured(f),
        ]
        for table in tables:
            if table is not None:
                console.print(table)
