"""``labelworks project``: apply, show, list, preview and delete projects."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.domain.errors import NotFound
from labelworks.services import guidelines, preview, project_archive, project_removal
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
def list_(
    ctx: typer.Context,
    archived: bool = typer.Option(False, "--archived", help="list the archived projects"),
) -> None:
    """List the projects in use (or with --archived, the archived ones)."""
    with reported():
        rows = project_service.list_projects(state(ctx).database(), archived=archived)
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


@app.command("requeue-outdated")
def requeue_outdated(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="project name"),
    before_version: int | None = typer.Option(
        None, "--before-version", help="send back work made under older versions (default: current)"
    ),
    field: str | None = typer.Option(None, "--field", help="only annotations with --label here"),
    label: str | None = typer.Option(None, "--label", help="the label (with --field)"),
) -> None:
    """After a breaking guideline change: send back the annotations made under older
    guideline versions (optionally only those with LABEL in FIELD) for their annotators
    to redo; they are kept, set aside."""
    with reported():
        n = guidelines.requeue_outdated(
            state(ctx).database(), name, before_version=before_version, field=field, label=label
        )
    console.print(f"sent back {n} annotation{'s' if n != 1 else ''} made under older guidelines")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="project name"),
    force: bool = typer.Option(
        False, "--force", help="delete even though annotations exist (they are deleted too)"
    ),
) -> None:
    """Delete a project with its items, gold, reviews and history; refused while annotations
    exist unless --force (export them first: this cannot be undone)."""
    with reported():
        deleted = project_removal.delete_project(state(ctx).database(), name, force=force)
    n = deleted.annotations
    also = f" and {n} annotation{'s' if n != 1 else ''}" if n else ""
    console.print(f"deleted project {deleted.project} with its items{also}", highlight=False)


@app.command("preview")
def preview_(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="project name"),
    after: int = typer.Option(0, "--after", min=0, help="show the first item after this id"),
) -> None:
    """Print the next item exactly as an annotator would receive it (payload and
    pre-annotations) as JSON, with its id; nothing is leased. Exit 3 past the last item."""
    with reported():
        found = preview.preview_next(state(ctx).database(), name, actor=None, after=after)
        if found is None:
            raise NotFound(f"project '{name}' has no item after id {after}")
    body = {
        "item_id": found.item_id,
        "item": {"payload": found.payload, "pre_annotations": found.pre_annotations},
        "guideline_version": found.guideline_version,
        "total": found.total,
    }
    typer.echo(json.dumps(body, ensure_ascii=False))


@app.command("archive")
def archive(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="project name"),
    force: bool = typer.Option(False, "--force", help="archive even with work still open"),
) -> None:
    """Archive a project: it leaves the project list and takes no leases or imports; its
    data, pages and exports stay. Refused (exit 4) while items wait for annotations or
    leases are live, unless --force."""
    with reported():
        done = project_archive.archive_project(state(ctx).database(), name, force=force)
    n = done.open_items
    left = f"; {n} item{' was' if n == 1 else 's were'} still waiting" if n else ""
    console.print(f"archived project {name}{left}")


@app.command("unarchive")
def unarchive(ctx: typer.Context, name: str = typer.Argument(..., help="project name")) -> None:
    """Bring an archived project back into use."""
    with reported():
        done = project_archive.unarchive_project(state(ctx).database(), name)
    n = done.open_items
    console.print(f"project {name} is in use again; {n} item{'' if n == 1 else 's'} waiting")
