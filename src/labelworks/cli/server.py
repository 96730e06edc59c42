"""``labelworks serve`` and ``labelworks demo``."""

from __future__ import annotations

import os
import time

import typer
import uvicorn

from labelworks.cli.context import console, fail, reported, state
from labelworks.domain.errors import InvalidInput
from labelworks.services.demo import seed_demo


def _serve(ctx: typer.Context, host: str, port: int, workers: int = 1) -> None:
    settings = state(ctx).settings
    # The server processes build their own Settings from the environment (the CLI and the
    # server never import each other), so hand over what was given on the command line,
    # and one session key for every worker.
    os.environ["LABELWORKS_DATA_DIR"] = str(settings.data_dir)
    os.environ["LABELWORKS_SECRET_KEY"] = settings.ensure_secret_key()
    if settings.database_url:
        os.environ["LABELWORKS_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "labelworks.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


def serve_command(
    ctx: typer.Context,
    host: str | None = typer.Option(
        None, "--host", help="interface to listen on (default 127.0.0.1, LABELWORKS_HOST)"
    ),
    port: int | None = typer.Option(
        None, "--port", help="TCP port (default 8000, LABELWORKS_PORT)"
    ),
    workers: int = typer.Option(
        1, "--workers", help="server processes (PostgreSQL scales across them)"
    ),
) -> None:
    """Serve the HTTP API and pages for an existing data directory or database."""
    if workers < 1:
        fail(InvalidInput("--workers must be at least 1"))
    with reported():
        state(ctx).database()  # migrates an embedded database before any worker starts
    settings = state(ctx).settings
    _serve(ctx, host or settings.host, port or settings.port, workers)


def demo_command(
    ctx: typer.Context,
    host: str | None = typer.Option(
        None, "--host", help="interface to listen on (default 127.0.0.1, LABELWORKS_HOST)"
    ),
    port: int | None = typer.Option(
        None, "--port", help="TCP port (default 8000, LABELWORKS_PORT)"
    ),
    items: int = typer.Option(200, "--items", help="how many items per text demo project"),
    no_serve: bool = typer.Option(False, "--no-serve", help="seed the demo, then exit"),
) -> None:
    """Create demo projects (one per widget kind) and demo people, then serve them."""
    started = time.perf_counter()
    settings = state(ctx).settings
    host, port = host or settings.host, port or settings.port
    with reported():
        db = state(ctx).database()
        info = seed_demo(db, media_dir=settings.data_dir / "media", n_items=items)
    seconds = time.perf_counter() - started
    if info.created:
        console.print(
            f"demo data created in {settings.data_dir} ({seconds:.2f} s): "
            f"{info.items} new items in {sum(p.created for p in info.projects)} projects"
        )
    else:
        console.print(f"demo data already exists in {settings.data_dir}; serving it")
    # Plain lines from here on, never wrapped or cut: URLs and tokens must be copyable.
    typer.echo("labeling pages:")
    name_width = max(len(p.name) for p in info.projects)
    kind_width = max(len(p.kind) for p in info.projects)
    for project in info.projects:
        typer.echo(
            f"  {project.name:<{name_width}}  {project.kind:<{kind_width}}  "
            f"{project.items:>4} items  http://{host}:{port}/projects/{project.name}/label"
        )
    for name, reason in info.skipped:
        typer.echo(f"  {name:<{name_width}}  skipped: {reason}")
    typer.echo(f"logins (password for everyone: {info.password}; API tokens are shown once):")
    width = max(len(email) for email, _, _ in info.people)
    for email, role, token in info.people:
        shown = token or "(token was shown when created)"
        typer.echo(f"  {email:<{width}}  {role:<9}  {shown}")
    typer.echo(f"open http://{host}:{port}/  (API docs at http://{host}:{port}/docs)")
    if not no_serve:
        _serve(ctx, host, port)
