"""``labelworks serve`` and ``labelworks demo``."""

from __future__ import annotations

import errno
import json
import os
import resource
import socket
import time

import typer
import uvicorn

from labelworks.cli.context import console, fail, reported, state
from labelworks.config import Settings
from labelworks.domain.errors import Conflict, InvalidInput, LabelworksError
from labelworks.services import privacy
from labelworks.services.demo import seed_demo

# Descriptors a server process needs besides its client sockets: the listening socket, the
# event loop, the database files of each pooled connection, logs, media files being sent.
FILE_HEADROOM = 256
# uvicorn's exit code when the server could not start (uvicorn.config.STARTUP_FAILURE).
UVICORN_STARTUP_FAILURE = 3


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


def _check_port(host: str, port: int) -> None:
    """Refuse a port that cannot be listened on, before anything starts; uvicorn would
    exit 3 for it, which here means "not found"."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port whose old connections linger in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(
                    Conflict(
                        f"port {port} on {host} is already in use (by another server, or a "
                        "labelworks serve still running): stop it or pick another with --port"
                    )
                )
            fail(InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}"))


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
    try:
        uvicorn.run(
            "labelworks.server.app:serve_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # A class name, not the class: the CLI never imports the server package.
            http="labelworks.server.connections:HttpToolsConnection",
            timeout_keep_alive=settings.keep_alive_timeout,
            # uvicorn counts the asking connection itself (>=), so one above the cap serves
            # every admitted connection and still answers 503 when more requests than that
            # are in flight (handlers still running for clients that went away).
            limit_concurrency=settings.max_connections + 1,
            # uvicorn would believe X-Forwarded-* from 127.0.0.1 unless told otherwise.
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            log_level="info",
            access_log=False,
        )
    except SystemExit as exc:
        # uvicorn's "did not start" (the port taken since the check, an app that failed to
        # load) is exit code 3, which here means "not found".
        if exc.code != UVICORN_STARTUP_FAILURE:
            raise
        fail(LabelworksError("the server did not start; uvicorn logged why above"))


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
    settings = state(ctx).settings
    host, port = host or settings.host, port or settings.port
    _check_port(host, port)
    with reported():
        state(ctx).database()  # migrates an embedded database before any worker starts
        if settings.pii_analyser:  # a bad one is named here, not in each worker's traceback
            privacy.load_analyser(settings.pii_analyser)
    _serve(ctx, host, port, workers or settings.server_processes)


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
    if not no_serve:
        _open_file_limit(settings.max_connections)  # before seeding: fail fast
        _check_port(host, port)
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
