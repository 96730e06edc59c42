"""``labelworks user``: add and list people."""

from __future__ import annotations

import typer
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.services import users as user_service

app = typer.Typer(help="Manage users, their roles, vendors, teams and project membership.")


@app.command("add")
def add(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="the user's email (their login)"),
    role: str = typer.Option("annotator", "--role", help="admin, manager, reviewer or annotator"),
    project: list[str] = typer.Option([], "--project", help="project to join (repeatable)"),
    vendor: str | None = typer.Option(None, "--vendor", help="vendor the user works for"),
    team: str | None = typer.Option(None, "--team", help="team the user belongs to"),
    name: str = typer.Option("", "--name", help="display name"),
    token: bool = typer.Option(False, "--token", help="create an API token (printed last)"),
) -> None:
    """Add a user (or add an existing user to more projects)."""
    with reported():
        created = user_service.add_user(
            state(ctx).database(),
            email,
            role=role,
            name=name,
            projects=project,
            vendor=vendor,
            team=team,
            with_token=token,
        )
    u = created.user
    projects = ", ".join(created.projects) or "no projects"
    console.print(f"user {u.email} ({u.role}) — {projects}")
    if created.token is not None:
        console.print("API token (shown once, store it now):")
        # Plain last line so scripts can take it with `tail -n1`.
        typer.echo(created.token)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List users with their role, vendor, team and projects."""
    with reported():
        rows = user_service.list_users(state(ctx).database())
    table = Table("email", "name", "role", "vendor", "team", "projects")
    for u, projects in rows:
        table.add_row(u.email, u.name, u.role, u.vendor or "-", u.team or "-", ", ".join(projects))
    console.print(table)
