"""``labelworks generations``: a project's prompt generations (``labelworks generate``) with
what each has stored so far."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.schemas.generations import GenerationSummaryOut
from labelworks.services.generations import list_generations


def generations_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The project's generations, newest first: the field each fills, the model version
    its predictions are stored as (MODEL@PROMPT-vN), the prompt, the items predicted, and
    its ok, malformed and failed replies with their tokens."""
    with reported():
        found = list_generations(state(ctx).database(), project)
    if as_json:
        out = [GenerationSummaryOut.model_validate(g, from_attributes=True) for g in found]
        typer.echo(json.dumps([g.model_dump(mode="json") for g in out], indent=2))
        return
    if not found:
        console.print(
            f"{escape(project)} has no generations yet (labelworks generate)", highlight=False
        )
        return
    table = Table(
        "model version", "field", "prompt", "served by", "items", "ok", "malformed", "failed",
        "tokens", "last (UTC)",
    )  # fmt: skip
    for g in found:
        table.add_row(
            escape(g.predicted),
            escape(g.field),
            escape(g.prompt),
            escape(g.served),
            f"{g.items:,}",
            f"{g.ok:,}",
            f"{g.malformed:,}",
            f"{g.failed:,}",
            f"{g.prompt_tokens + g.completion_tokens:,}",
            g.last.strftime("%Y-%m-%d %H:%M") if g.last else "",
        )
    console.print(table)
