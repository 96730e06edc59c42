"""``labelworks agreement``: inter-annotator agreement per categorical field."""

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


def _summary(report: AgreementReport) -> Table:
    table = Table(
        "field",
        "items",
        "ratings",
        "annotators",
        *(TITLES[m] for m in METRICS),
        title=f"{escape(report.project)}: agreement, 95% bootstrap intervals",
    )
    for f in report.fields:
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
        table.add_row(escape(str(label)), "-" if value is None else f"{value:.3f}")
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
        mean = p.mean[i]
        table.add_row(escape(email), "-" if mean is None else f"{mean:.2f}", *cells)
    return table


def agreement_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    field: str | None = typer.Option(None, "--field", help="one categorical field only"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Inter-annotator agreement per categorical field (choice, rating, pairwise) on items
    labelled twice or more: Krippendorff's α, Fleiss' κ and Gwet's AC1 with 95% bootstrap
    intervals, per-label κ and Cohen's κ of each pair of annotators."""
    with reported():
        report = project_agreement(state(ctx).database(), project, field=field)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    if not report.fields:
        console.print(f"{escape(report.project)} has no choice, rating or pairwise field")
        return
    console.print(_summary(report))
    for f in report.fields:
        if f.labels:
            console.print(_labels(f))
        pairs = _pairs(f)
        if pairs is not None:
            console.print(pairs)
