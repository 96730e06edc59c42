"""``labelworks escalations`` (the queue of annotators' flags, an expert's resolution) and
``labelworks edge-cases`` (the library of resolved cases, searchable)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from labelworks.cli.context import console, optional_value_option, reported, state, utc_or_none
from labelworks.domain.escalation import case_url
from labelworks.services import escalations as service
from labelworks.services.escalations import EscalationRow

app = typer.Typer(help="Items annotators flagged as ambiguous or edge cases: list, resolve.")

MAX_ID = 2**31 - 1  # ids are 32-bit columns on PostgreSQL
PREVIEW = 120  # characters of an item's content shown in a table


class Status(StrEnum):
    open = "open"
    resolved = "resolved"
    all = "all"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _preview(payload: dict[str, Any]) -> str:
    text = " · ".join(v if isinstance(v, str) else _compact(v) for v in payload.values())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def _case_dict(project: str, e: EscalationRow) -> dict[str, Any]:
    """The API's shape of a case (``EscalationOut``), for ``--json``."""
    return {
        "id": e.id,
        "item_id": e.item_id,
        "external_id": e.external_id,
        "payload": e.payload,
        "kind": e.kind,
        "comment": e.comment,
        "annotation": e.annotation,
        "flagged_by": e.flagged_by,
        "flagged_by_name": e.flagged_by_name,
        "vendor": e.vendor,
        "created_at": utc_or_none(e.created_at),
        "status": e.status,
        "answer": e.answer,
        "note": e.note,
        "guideline_section": e.guideline_section,
        "made_gold": e.made_gold,
        "resolved_by": e.resolved_by,
        "resolved_at": utc_or_none(e.resolved_at),
        "url": case_url(project, e.id) if e.status == "resolved" else None,
    }


def _all(fetch: Any) -> list[EscalationRow]:
    """Every page ``fetch(after)`` gives."""
    rows: list[EscalationRow] = []
    after = 0
    while page := fetch(after):
        rows.extend(page)
        after = page[-1].id
    return rows


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    status: Status = typer.Option(Status.open, "--status", help="open, resolved or all"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List the flags, oldest first: the item, the kind, the annotator's comment, who."""
    wanted = None if status is Status.all else status.value
    with reported():
        db = state(ctx).database()
        rows = _all(
            lambda after: service.escalation_queue(
                db, project, status=wanted, after=after, limit=service.MAX_PAGE
            ),
        )
    if as_json:
        typer.echo(json.dumps([_case_dict(project, e) for e in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print(f"{escape(project)}: no {'' if wanted is None else wanted + ' '}escalations")
        return
    table = Table(
        "id",
        "item",
        "kind",
        "flagged by",
        "comment",
        "status",
        Column("resolution", overflow="fold"),
    )
    for e in rows:
        resolution = "-"
        if e.status == "resolved":
            answer = "" if e.answer is None else f" {_compact(e.answer)}"
            resolution = f"{e.note}{answer}" + (" (made gold)" if e.made_gold else "")
        who = e.flagged_by + (f" ({e.vendor})" if e.vendor else "")
        item = f"{e.item_id}: {_preview(e.payload)}"
        table.add_row(
            str(e.id),
            escape(item),
            e.kind,
            escape(who),
            escape(e.comment),
            e.status,
            escape(resolution),
        )
    console.print(table)


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    escalation_id: int = typer.Argument(..., min=1, max=MAX_ID, help="the escalation's id"),
    note: str = typer.Option(..., "--note", help="what the expert decided, and why"),
    value: str | None = typer.Option(
        None, "--value", help='the answer as a JSON object, e.g. \'{"sentiment": "neg"}\''
    ),
    value_file: Path | None = typer.Option(
        None, "--value-file", help="a file holding the answer as a JSON object"
    ),
    section: str | None = typer.Option(
        None, "--section", help="the guideline section that must change"
    ),
    make_gold: bool = typer.Option(
        False, "--make-gold", help="make the item a gold question with the answer"
    ),
) -> None:
    """Resolve a flag: it joins the project's edge-case library."""
    with reported():
        # before the database: bad input changes nothing
        answer = optional_value_option(value, value_file, what="the answer")
        done = service.resolve_escalation(
            state(ctx).database(),
            project,
            escalation_id,
            answer=answer,
            note=note,
            guideline_section=section,
            make_gold=make_gold,
        )
    gold = "; the item is now a gold question" if done.made_gold else ""
    console.print(
        f"escalation {done.id} of {escape(project)} is resolved{gold}; "
        f"in the edge-case library at {escape(case_url(project, done.id))}",
        soft_wrap=True,
    )


def edge_cases_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    search: str | None = typer.Option(
        None, "--search", help="only cases whose comment, note, section or item holds this"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The project's edge-case library: resolved flags with what the expert decided."""
    with reported():
        db = state(ctx).database()
        rows = _all(
            lambda after: service.edge_cases(
                db, project, query=search, after=after, limit=service.MAX_PAGE
            ),
        )
    if as_json:
        cases = []
        for e in rows:
            case = _case_dict(project, e)
            private = ("annotation", "flagged_by", "flagged_by_name", "vendor", "status")
            for private_key in (*private, "created_at"):
                del case[private_key]
            cases.append(case)
        typer.echo(json.dumps(cases, indent=2, ensure_ascii=False))
        return
    if not rows:
        found = f" matching {search!r}" if search else ""
        console.print(f"{escape(project)}: no edge cases{escape(found)}")
        return
    table = Table(
        "case",
        "item",
        "kind",
        "question",
        Column("answer", overflow="fold"),
        "note",
        "section",
        Column("link", overflow="fold"),
    )
    for e in rows:
        table.add_row(
            str(e.id),
            escape(f"{e.item_id}: {_preview(e.payload)}"),
            e.kind,
            escape(e.comment),
            escape("-" if e.answer is None else _compact(e.answer))
            + (" (gold)" if e.made_gold else ""),
            escape(e.note),
            escape(e.guideline_section or "-"),
            escape(case_url(project, e.id)),
        )
    console.print(table)
