"""``labelworks gold``: expert answers, gold accuracy, and pausing, reinstating and
requeueing annotators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state, value_option
from labelworks.formats.json_text import utc_text
from labelworks.services import gold as gold_service
from labelworks.services.gold import GoldAnswer, GoldReport, Share, answer_text

app = typer.Typer(
    help="Gold questions: expert answers, annotators' gold accuracy, pausing and requeueing."
)

MAX_ITEM_ID = 2**31 - 1  # ids are 32-bit columns on PostgreSQL


@app.command("mark")
def mark(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    item_id: int = typer.Argument(..., min=1, max=MAX_ITEM_ID, help="the item's id"),
    value: str | None = typer.Option(
        None, "--value", help='the expert answer as a JSON object, e.g. \'{"sentiment": "pos"}\''
    ),
    value_file: Path | None = typer.Option(
        None, "--value-file", help="a file holding the expert answer as a JSON object"
    ),
    explanation: str = typer.Option("", "--explanation", help="why this is the answer"),
) -> None:
    """Make an item gold with the expert's answer (replacing an earlier one)."""
    with reported():
        # before the database: bad input changes nothing
        answer = value_option(value, value_file, what="the expert answer", allow_empty=True)
        gold_service.mark_gold(
            state(ctx).database(), project, item_id, value=answer, explanation=explanation
        )
    console.print(f"item {item_id} of {escape(project)} is gold: {escape(answer_text(answer))}")


@app.command("unmark")
def unmark(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    item_id: int = typer.Argument(..., min=1, max=MAX_ITEM_ID, help="the item's id"),
) -> None:
    """Return a gold item to ordinary work (its gold results stay in the record)."""
    with reported():
        gold_service.unmark_gold(state(ctx).database(), project, item_id)
    console.print(f"item {item_id} of {escape(project)} is ordinary work again")


def _answer_dict(row: GoldAnswer) -> dict[str, Any]:
    return {
        "item_id": row.item_id,
        "external_id": row.external_id,
        "value": row.value,
        "explanation": row.explanation,
        "created_at": utc_text(row.created_at),
        "answered": row.answered,
        "correct": row.correct,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List the gold items with their expert answers and how often each was answered."""
    rows: list[GoldAnswer] = []
    with reported():
        db = state(ctx).database()
        after = 0
        while page := gold_service.gold_answers(
            db, project, after=after, limit=gold_service.MAX_PAGE
        ):
            rows.extend(page)
            after = page[-1].item_id
    if as_json:
        typer.echo(json.dumps([_answer_dict(r) for r in rows], indent=2, ensure_ascii=False))
        return
    table = Table("item", "external id", "answer", "explanation", "answered", "correct")
    for r in rows:
        table.add_row(
            str(r.item_id),
            escape(r.external_id or "-"),
            escape(answer_text(r.value)),
            escape(r.explanation),
            str(r.answered),
            f"{r.correct} ({r.correct / r.answered:.0%})" if r.answered else "-",
        )
    console.print(table)


def _share_dict(share: Share) -> dict[str, Any]:
    low, high = share.interval or (None, None)
    return {
        "correct": share.correct,
        "total": share.total,
        "accuracy": share.accuracy,
        "low": low,
        "high": high,
    }


def _report_dict(report: GoldReport) -> dict[str, Any]:
    return {
        "project": report.project,
        "gold_items": report.gold_items,
        "gold_rate": report.gold_rate,
        "auto_pause": report.auto_pause,
        "annotators": [
            {
                "email": a.email,
                "name": a.name,
                "vendor": a.vendor,
                "overall": _share_dict(a.overall),
                "fields": {name: _share_dict(s) for name, s in a.fields.items()},
                "paused": a.paused,
                "paused_at": None if a.paused_at is None else utc_text(a.paused_at),
            }
            for a in report.annotators
        ],
    }


def _accuracy(share: Share) -> str:
    """``82% (64–93%)``: accuracy with its 95% interval; ``-`` with no answers."""
    if share.accuracy is None or share.interval is None:
        return "-"
    low, high = share.interval
    return f"{share.accuracy:.0%} ({100 * low:.0f}–{high:.0%})"


def _title(report: GoldReport) -> str:
    rate = "no gold rate" if report.gold_rate is None else f"gold rate {report.gold_rate:.0%}"
    rule = report.auto_pause
    pause = (
        "no auto-pause"
        if rule is None
        else f"auto-pause below {rule['below']:.0%} after {rule['min_gold']} gold answers"
    )
    return f"{report.project}: {report.gold_items} gold items, {rate}, {pause}"


@app.command("report")
def report_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Each annotator's gold accuracy with its 95% interval, overall and per field, and who
    is paused and why."""
    with reported():
        report = gold_service.gold_report(state(ctx).database(), project)
    if as_json:
        typer.echo(json.dumps(_report_dict(report), indent=2, ensure_ascii=False))
        return
    fields = sorted({name for a in report.annotators for name in a.fields})
    columns = ("annotator", "vendor", "gold answered", "accuracy", *map(escape, fields), "paused")
    table = Table(*columns, title=escape(_title(report)))
    for a in report.annotators:
        table.add_row(
            escape(a.email),
            escape(a.vendor or "-"),
            str(a.overall.total),
            _accuracy(a.overall),
            *(_accuracy(a.fields[f]) if f in a.fields else "-" for f in fields),
            escape(a.paused or "-"),
        )
    console.print(table)


@app.command("pause")
def pause(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    email: str = typer.Argument(..., help="the annotator's email"),
    reason: str = typer.Option(..., "--reason", help="why (shown to them)"),
) -> None:
    """Pause an annotator: no tasks until reinstated."""
    with reported():
        gold_service.pause_annotator(state(ctx).database(), project, email, reason=reason)
    console.print(f"{escape(email)} is paused in {escape(project)}")


@app.command("reinstate")
def reinstate(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    email: str = typer.Argument(..., help="the annotator's email"),
) -> None:
    """Lift a pause; the next auto-pause counts only gold answers from now on."""
    with reported():
        gold_service.reinstate_annotator(state(ctx).database(), project, email)
    console.print(f"{escape(email)} is reinstated in {escape(project)}")


@app.command("requeue")
def requeue(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    email: str = typer.Argument(..., help="the annotator's email"),
    reason: str = typer.Option("", "--reason", help="why their work is redone"),
) -> None:
    """Send every annotation the person made on ordinary items back for others to redo
    (set aside whole, out of exports and statistics)."""
    with reported():
        n = gold_service.requeue_annotations(state(ctx).database(), project, email, reason=reason)
    noun = "annotation" if n == 1 else "annotations"
    console.print(f"{n} {noun} by {escape(email)} in {escape(project)} went back to the queue")
