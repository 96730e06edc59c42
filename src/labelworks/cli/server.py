"""``labelworks serve`` and ``labelworks demo``."""

from __future__ import annotations

import json
import os
import resource
import time

import typer
import uvicorn

from labelworks.cli.context import console, fail, reported, state
from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput
from labelworks.services.demo import seed_demo

# Descriptors a server process needs besides its client sockets: the listening socket, the
# event loop, the database files of each pooled connection, logs, media files being sent.
FILE_HEADROOM = 256


def _open_file_limit(max_connections: int) -> None:
    """Raise the soft open-file limit to the hard one; refuse a cap that does not fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = max_connections + FILE_HEADROOM
    unlimited = resource.RLIM_INFINITY
    target = max(soft, needed) if hard == unlimited else hard
    if soft != unlimited and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # some systems cap it below the hard limit: the check below explains
    if soft != unlimited and soft < needed:
        fail(
            InvalidInput(
                f"LABELWORKS_MAX_CONNECTIONS={max_connections} needs {needed} open files per "
                f"server process ({FILE_HEADROOM} besides connections), but the limit is "
                f"{soft}: raise it (ulimit -n, LimitNOFILE= in a systemd unit) or lower "
                "LABELWORKS_MAX_CONNECTIONS"
            )
        )


def _export(settings: Settings) -> None:
    """Hand every setting given on the command line or in the environment to the server
    processes, which build their own Settings from the environment (the CLI and the server
    never import each other), plus one session key for every worker."""
    values = settings.model_dump(mode="json")
    for name in settings.model_fields_set | {"data_dir"}:
        value = values[name]
        if value is not None:
            text = value if isinstance(value, str) else json.dumps(value)
            os.environ[f"LABELWORKS_{name.upper()}"] = text
    os.environ["LABELWORKS_SECRET_KEY"] = settings.ensure_secret_key()


def _serve(ctx: typer.Context, host: str, port: int, workers: int = 1) -> None:
    settings = state(ctx).settings
    _export(settings)
    proxies = settings.trusted_proxy_list
    uvicorn.run(
        "labelworks.server.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A class name, not the class: the CLI never imports the server package.
        http="labelworks.server.connections:HttpToolsConnection",
        timeout_keep_alive=settings.keep_alive_timeout,
        # uvicorn counts the asking connection itself (>=), so one above the cap serves every
        # admitted connection and still answers 503 when more requests than that are in
        # flight (handlers still running for clients that went away).
        limit_concurrency=settings.max_connections + 1,
        # uvicorn would believe X-Forwarded-* from 127.0.0.1 unless told otherwise.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
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
    workers: int | None = typer.Option(
        None,
        "--workers",
        help="server processes (default: one per CPU core, at most 4 on SQLite and 16 on "
        "PostgreSQL; LABELWORKS_WORKERS)",
    ),
) -> None:
    """Serve the HTTP API and pages for an existing data directory or database."""
    if workers is not None and workers < 1:
        fail(InvalidInput("--workers must be at least 1"))
    _open_file_limit(state(ctx).settings.max_connections)  # workers inherit the raised limit
    with reported():
        state(ctx).database()  # migrates an embedded database before any worker starts
    settings = state(ctx).settings
    _serve(ctx, host or settings.host, port or settings.port, workers or settings.server_processes)


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
    if not no_serve:
        _open_file_limit(settings.max_connections)  # before seeding: fail fast
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
