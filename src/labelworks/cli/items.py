"""``labelworks items``: browse a project's items."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.services import catalog

app = typer.Typer(help="Browse a project's items.")

PREVIEW = 80  # characters of the payload shown in the table (the JSON has the API's 300)


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    status: str | None = typer.Option(None, "--status", help="new, in_progress or complete"),
    annotator: str | None = typer.Option(
        None, "--annotator", help="email of someone who annotated the item"
    ),
    label: str | None = typer.Option(None, "--label", help="a label some annotation carries"),
    text: str | None = typer.Option(None, "--q", help="text to find in the payload"),
    after: int = typer.Option(0, "--after", min=0, help="the next_after of the previous page"),
    limit: int = typer.Option(50, "--limit", help="items per page (1-500)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """A page of the project's items in import order, filtered; the last line says how to
    get the next page."""
    with reported():
        page = catalog.list_items(
            state(ctx).database(),
            project,
            status=status or None,
            annotator=annotator or None,
            label=label or None,
            text=text or None,
            after=after,
            limit=limit,
        )
    if as_json:
        rows = [
            {
                "id": i.id,
                "external_id": i.external_id,
                "status": i.status,
                "n_submitted": i.n_submitted,
                "payload_preview": i.payload_preview,
                "created_at": utc_or_none(i.created_at),
            }
            for i in page.items
        ]
        typer.echo(json.dumps({"items": rows, "next_after": page.next_after}, indent=2))
        return
    table = Table("id", "external id", "status", "submitted", "payload", "created")
    for i in page.items:
        preview = i.payload_preview
        if len(preview) > PREVIEW:
            preview = preview[: PREVIEW - 1] + "…"
        table.add_row(
            str(i.id),
            escape(i.external_id or "-"),
            i.status,
            str(i.n_submitted),
            escape(preview),
            i.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
    if page.next_after is not None:
        console.print(f"more: --after {page.next_after}", highlight=False)
    elif not page.items:
        console.print("no items match", highlight=False)
