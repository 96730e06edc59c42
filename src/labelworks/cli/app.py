"""The ``labelworks`` command."""

from __future__ import annotations

from pathlib import Path

import typer

from labelworks import __version__
from labelworks.cli import db, project, user
from labelworks.cli.context import CliState
from labelworks.cli.server import demo_command, serve_command
from labelworks.cli.status import status_command
from labelworks.cli.transfer import export_command, import_command
from labelworks.config import Settings

app = typer.Typer(
    name="labelworks",
    help="Self-hosted ML data and annotation operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(project.app, name="project")
app.add_typer(user.app, name="user")
app.add_typer(db.app, name="db")
app.command("import")(import_command)
app.command("export")(export_command)
app.command("status")(status_command)
app.command("serve")(serve_command)
app.command("demo")(demo_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"labelworks {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="data directory (default ./labelworks-data, LABELWORKS_DATA_DIR)"
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="database URL (default: SQLite in the data directory)"
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version"
    ),
) -> None:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    ctx.obj = CliState(Settings(**overrides))  # type: ignore[arg-type]


def main() -> None:
    app()
