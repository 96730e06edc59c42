"""``labelworks consensus`` (final labels, the consensus summary, refit) and ``labelworks
adjudication`` (the queue, an expert's decision)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state, value_option
from labelworks.formats.json_text import utc_text
from labelworks.services import adjudication as adjudication_service
from labelworks.services import final_labels as final_service
from labelworks.services.adjudication import Case
from labelworks.services.final_labels import ConsensusSummary, FinalLabelView

consensus_app = typer.Typer(help="Final labels: list them, see how a project decides, refit.")
adjudication_app = typer.Typer(help="Items consensus left unsure: list them, decide them.")

MAX_ITEM_ID = 2**31 - 1  # ids are 32-bit columns on PostgreSQL
PREVIEW = 200  # characters of an item's payload shown in the adjudication list


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _percent(x: float) -> str:
    return f"{x:.0%}" if x == x else "-"  # NaN is not a number to show


# ---- labelworks consensus -------------------------------------------------------------------


@consensus_app.command("refit")
def refit(ctx: typer.Context, project: str = typer.Argument(..., help="project name")) -> None:
    """Fit the project's consensus model now and re-decide every item that reached its
    overlap (adjudicated items stay as the expert decided)."""
    with reported():
        tally = final_service.refit_consensus(state(ctx).database(), project)
    console.print(
        f"{escape(project)}: {tally['final']} final, {tally['more']} sent back for one more "
        f"annotation, {tally['adjudicate']} at adjudication"
    )


def _label_dict(f: FinalLabelView) -> dict[str, Any]:
    return {
        "item_id": f.item_id,
        "external_id": f.external_id,
        "value": f.value,
        "method": f.method,
        "confidence": f.confidence,
        "fields": f.fields,
        "status": f.status,
        "annotation_ids": f.annotation_ids,
        "decided_at": utc_text(f.decided_at),
        "decided_by": f.decided_by,
        "note": f.note,
    }


@consensus_app.command("labels")
def labels(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    status: str | None = typer.Option(
        None, "--status", help="only final, adjudication or adjudicated"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List the project's final labels with how each was decided."""
    rows: list[FinalLabelView] = []
    with reported():
        db = state(ctx).database()
        after: int | None = 0
        while after is not None:
            page, after = final_service.final_labels(
                db, project, status=status, after=after, limit=final_service.MAX_PAGE
            )
            rows.extend(page)
    if as_json:
        typer.echo(json.dumps([_label_dict(r) for r in rows], indent=2, ensure_ascii=False))
        return
    table = Table("item", "external id", "label", "method", "confidence", "status", "decided by")
    for r in rows:
        table.add_row(
            str(r.item_id),
            Text(r.external_id or "-"),
            Text(_compact(r.value)),
            r.method,
            _percent(r.confidence),
            r.status,
            Text(r.decided_by or "-"),
        )
    console.print(table)


def _summary_dict(s: ConsensusSummary) -> dict[str, Any]:
    return {
        "project": s.project,
        "method": s.method,
        "dynamic_overlap": s.dynamic_overlap,
        "counts": s.counts,
        "without_final": s.without_final,
        "model": None
        if s.model is None
        else {
            "method": s.model.method,
            "fitted_at": utc_text(s.model.fitted_at),
            "n_annotations": s.model.n_annotations,
        },
    }


@consensus_app.command("show")
def show(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """How the project decides its final labels and where its items stand."""
    with reported():
        s = final_service.consensus_summary(state(ctx).database(), project)
    if as_json:
        typer.echo(json.dumps(_summary_dict(s), indent=2, ensure_ascii=False))
        return
    rule = s.dynamic_overlap
    how = "keeps no final labels" if s.method is None else f"decides by {s.method}"
    if rule is not None:
        how += (
            f", dynamic overlap {rule['min']} to {rule['max']} annotations until "
            f"{rule['confidence']:.0%} sure"
        )
    c = s.counts
    console.print(f"{escape(s.project)}: {how}")
    console.print(
        f"{c['final']:,} final, {c['adjudication']:,} at adjudication, "
        f"{c['adjudicated']:,} adjudicated; without a final label: {s.without_final:,}"
    )
    if s.model is not None:
        console.print(
            f"model: {s.model.method}, fitted {utc_text(s.model.fitted_at)} on "
            f"{s.model.n_annotations:,} annotations"
        )


# ---- labelworks adjudication ----------------------------------------------------------------


def _case_dict(c: Case) -> dict[str, Any]:
    return {
        "item_id": c.item_id,
        "external_id": c.external_id,
        "payload": c.payload,
        "proposal": c.proposal,
        "confidence": c.confidence,
        "annotations": [{"alias": alias, "value": value} for alias, value in c.annotations],
        "disagreements": c.disagreements,
    }


def _cell(answer: dict[str, Any], name: str) -> Text:
    if name not in answer:
        return Text("-", style="dim")
    value = answer[name]
    return Text(value if isinstance(value, str) else _compact(value))


def _preview(payload: dict[str, Any]) -> str:
    text = _compact(payload)
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def _case_view(c: Case) -> Group:
    """One item: a heading with consensus's confidence, its payload, then each answer in a
    row (consensus's proposal first) with the fields whose answers disagree marked ``≠`` in
    red."""
    fields = [*c.disagreements, *(name for name in c.proposal if name not in c.disagreements)]
    heading = Text(f"item {c.item_id}", style="bold")
    if c.external_id:
        heading.append(f" · {c.external_id}")
    heading.append(f" · proposal at {_percent(c.confidence)} confidence")
    table = Table("answer")
    for name in fields:
        disagree = c.disagreements.get(name, False)
        header = Text(name)
        if disagree:
            header.append(" ≠", style="bold red")
        table.add_column(header, style="red" if disagree else None)
    table.add_row(Text("proposal", style="bold"), *(_cell(c.proposal, n) for n in fields))
    for alias, answer in c.annotations:
        table.add_row(alias, *(_cell(answer, n) for n in fields))
    return Group(heading, Text(f"payload {_preview(c.payload)}"), table)


@adjudication_app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Show every item waiting for an expert: its payload, what consensus would pick and
    how sure it is, each annotation (anonymised) and the fields they disagree on."""
    cases: list[Case] = []
    with reported():
        db = state(ctx).database()
        after = 0
        while page := adjudication_service.adjudication_queue(
            db, project, after=after, limit=adjudication_service.MAX_PAGE
        ):
            cases.extend(page)
            after = page[-1].item_id
    if as_json:
        typer.echo(json.dumps([_case_dict(c) for c in cases], indent=2, ensure_ascii=False))
        return
    if not cases:
        console.print(f"nothing waits for adjudication in {escape(project)}")
        return
    for c in cases:
        console.print(_case_view(c))
        console.print()
    noun = "item waits" if len(cases) == 1 else "items wait"
    console.print(f"{len(cases)} {noun} for adjudication in {escape(project)}")


@adjudication_app.command("decide")
def decide(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    item_id: int = typer.Argument(..., min=1, max=MAX_ITEM_ID, help="the item's id"),
    value: str | None = typer.Option(
        None, "--value", help='the final label as a JSON object, e.g. \'{"sentiment": "pos"}\''
    ),
    value_file: Path | None = typer.Option(
        None, "--value-file", help="a file holding the final label as a JSON object"
    ),
    note: str = typer.Option("", "--note", help="why (kept with the decision)"),
) -> None:
    """Decide an item's final label as an expert; consensus never overrides it."""
    with reported():
        # before the database: bad input changes nothing
        label = value_option(value, value_file, what="the final label")
        adjudication_service.adjudicate(
            state(ctx).database(), project, item_id, value=label, note=note
        )
    console.print(f"item {item_id} of {escape(project)} is adjudicated: {escape(_compact(label))}")
