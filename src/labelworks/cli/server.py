"""``labelworks serve`` and ``labelworks demo``."""

from __future__ import annotations

import os
import time

import typer
import uvicorn

from labelworks.cli.context import console, reported, state
from labelworks.services.demo import seed_demo


def _serve(ctx: typer.Context, host: str, port: int) -> None:
    settings = state(ctx).settings
    # The server process builds its own Settings from the environment (the CLI and the
    # server never import each other), so hand over what was given on the command line.
    os.environ["LABELWORKS_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        os.environ["LABELWORKS_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "labelworks.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
    )


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
) -> None:
    """Serve the HTTP API and pages for an existing data directory or database."""
    with reported():
        state(ctx).database()
    _serve(ctx, host, port)


def demo_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    items: int = typer.Option(200, "--items", help="how many demo items to generate"),
    no_serve: bool = typer.Option(False, "--no-serve", help="seed the demo, then exit"),
) -> None:
    """Create a demo project with generated items and demo people, then serve it."""
    started = time.perf_counter()
    with reported():
        db = state(ctx).database()
        info = seed_demo(db, n_items=items)
    if info.created:
        console.print(
            f"demo project [bold]{info.project}[/] created with {info.items} items "
            f"in {state(ctx).settings.data_dir} ({time.perf_counter() - started:.2f} s)"
        )
        console.print("demo people (login, role, API token — shown once):")
        width = max(len(email) for email, _, _ in info.people)
        for email, role, token in info.people:
            # Plain lines, never wrapped or cut: tokens must be copyable.
            typer.echo(f"  {email:<{width}}  {role:<9}  {token or '-'}")
    else:
        console.print(f"demo project [bold]{info.project}[/] already exists; serving it")
    console.print(f"open http://{host}:{port}/  (API docs at http://{host}:{port}/docs)")
    if not no_serve:
        _serve(ctx, host, port)
