"""``labelworks project``: apply, show and list project specs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.services import projects as project_service

app = typer.Typer(help="Create, update and inspect projects described by YAML specs.")


@app.command("apply")
def apply(
    ctx: typer.Context,
    spec_file: Path = typer.Argument(..., help="YAML project spec"),
    force: bool = typer.Option(
        False, "--force", help="apply even if existing annotations would become invalid"
    ),
) -> None:
    """Create the project or update it to match SPEC_FILE (idempotent)."""
    with reported():
        spec, guidelines = project_service.load_spec_file(spec_file)
        result = project_service.apply_spec(
            state(ctx).database(), spec, guidelines=guidelines, force=force
        )
    guideline = f", guidelines v{result.guideline_version}" if result.guideline_version else ""
    console.print(
        f"project [bold]{result.project}[/]: {result.action} "
        f"(spec revision {result.spec_revision}{guideline})"
    )
    if result.guidelines_changed:
        console.print(f"new guidelines version v{result.guideline_version}")
    for reason in result.forced_changes:
        console.print(f"[yellow]forced:[/] {reason}")


@app.command("show")
def show(ctx: typer.Context, name: str = typer.Argument(..., help="project name")) -> None:
    """Print the project's effective spec (every default filled in) as YAML."""
    with reported():
        text = project_service.effective_spec_yaml(state(ctx).database(), name)
    typer.echo(text, nl=not text.endswith("\n"))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List projects."""
    with reported():
        rows = project_service.list_projects(state(ctx).database())
    table = Table("name", "overlap", "lease (min)", "spec revision", "guidelines", "updated")
    for p in rows:
        table.add_row(
            p.name,
            str(p.overlap),
            str(p.lease_minutes),
            str(p.spec_revision),
            f"v{p.guideline_version}" if p.guideline_version else "-",
            p.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
