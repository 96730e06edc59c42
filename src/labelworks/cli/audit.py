"""``labelworks audit``: a project's audit trail, as a table or exported."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state
from labelworks.domain.errors import InvalidInput
from labelworks.services import audit


def audit_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    action: str | None = typer.Option(None, "--action", help="only this kind of event"),
    format: str = typer.Option("table", "--format", help="table, jsonl or csv"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write jsonl/csv here"),
) -> None:
    """Who did what to PROJECT's quality, when, under which guideline version."""
    with reported():
        if format not in ("table", "jsonl", "csv"):
            raise InvalidInput(f"--format must be table, jsonl or csv, not '{format}'")
        db = state(ctx).database()
        if format == "table":
            events = audit.audit_trail(db, project, action=action, limit=audit.MAX_PAGE)
        else:
            if action is not None:
                raise InvalidInput("--action filters the table; exports hold every event")
            chunks = audit.audit_export(db, project, format)
            out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
            try:
                for chunk in chunks:
                    out.write(chunk)
            finally:
                if output:
                    out.close()
            return
    table = Table("when (UTC)", "who", "action", "subject", "guidelines", "details")
    for e in events:
        # Text cells: a subject or detail like "[bold]" is shown as written.
        table.add_row(
            *(
                Text(cell)
                for cell in (
                    e.at.strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor or "system",
                    e.action,
                    e.subject,
                    f"v{e.guideline_version}" if e.guideline_version else "–",
                    json.dumps(e.details, ensure_ascii=False),
                )
            )
        )
    console.print(table)
    if len(events) == audit.MAX_PAGE:
        console.print(f"(the first {audit.MAX_PAGE} events; export with --format jsonl for all)")
