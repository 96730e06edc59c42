"""``labelworks user``: add and list people."""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.services import auth
from labelworks.services import users as user_service
from labelworks.services.passwords import check_new_password, hash_password

app = typer.Typer(help="Manage users, their roles, vendors, teams and project membership.")
token_app = typer.Typer(help="List and revoke API tokens (create one with `user token`).")


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
    password: bool = typer.Option(
        False, "--password", help="ask for a password (to log in to the web app)"
    ),
) -> None:
    """Add a user (an existing user of the same role joins the projects given)."""
    with reported():
        password_hash = None
        if password:
            secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
            check_new_password(secret)
            password_hash = hash_password(secret)
        created = user_service.add_user(
            state(ctx).database(),
            email,
            role=role,
            name=name,
            projects=project,
            vendor=vendor,
            team=team,
            with_token=token,
            password_hash=password_hash,
        )
    u = created.user
    projects = ", ".join(created.projects) or "no projects"
    console.print(f"user {u.email} ({u.role}) — {projects}")
    if created.token is not None:
        console.print("API token (shown once, store it now):")
        # Plain last line so scripts can take it with `tail -n1`.
        typer.echo(created.token)


@app.command("password")
def password_command(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="the user's email"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from the first line of stdin"
    ),
) -> None:
    """Set a user's web login password (asks twice, or reads one line with --password-stdin)."""
    with reported():
        if password_stdin:
            secret = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        else:
            secret = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
        auth.set_password(state(ctx).database(), email, secret)
    console.print(f"password set for {email}")


@app.command("join")
def join(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="an existing user's email"),
    project: list[str] = typer.Option(..., "--project", help="project to join (repeatable)"),
) -> None:
    """Add an existing user to one or more projects."""
    with reported():
        db = state(ctx).database()
        projects: list[str] = []
        for name in project:
            user, projects = user_service.add_member(db, name, email)
    console.print(f"user {user.email} ({user.role}) — {', '.join(projects)}")


@app.command("leave")
def leave(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="the user's email"),
    project: str = typer.Option(..., "--project", help="project to take them off"),
) -> None:
    """Take a user off a project (their annotations stay)."""
    with reported():
        user_service.remove_member(state(ctx).database(), project, email)
    console.print(f"{email} is no longer a member of {project}")


@app.command("deactivate")
def deactivate(
    ctx: typer.Context, email: str = typer.Argument(..., help="the user's email")
) -> None:
    """Deactivate a user: their sessions and API tokens stop working at once."""
    with reported():
        user = user_service.set_active(state(ctx).database(), email, False)
    console.print(f"{user.email} is deactivated; every session and token of theirs has ended")


@app.command("reactivate")
def reactivate(
    ctx: typer.Context, email: str = typer.Argument(..., help="the user's email")
) -> None:
    """Let a deactivated user log in again (old sessions stay ended)."""
    with reported():
        user = user_service.set_active(state(ctx).database(), email, True)
    console.print(f"{user.email} is active again")


@app.command("token")
def token_command(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="the user's email"),
    label: str = typer.Option("cli", "--label", help="what the token is for"),
) -> None:
    """Create an API token for a user (printed once, on the last line)."""
    with reported():
        token = user_service.issue_token(state(ctx).database(), email, label)
    console.print(f"API token for {email} (shown once, store it now):")
    typer.echo(token)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List users with their role, vendor, team and projects."""
    with reported():
        rows = user_service.list_users(state(ctx).database())
    table = Table("email", "name", "role", "vendor", "team", "projects", "active")
    for u, projects in rows:
        table.add_row(
            u.email,
            u.name,
            u.role,
            u.vendor or "-",
            u.team or "-",
            ", ".join(projects),
            "yes" if u.active else "no",
        )
    console.print(table)


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    email: str | None = typer.Option(None, "--user", help="only this user's tokens"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List API tokens: id, user, label, created and last used (never the token itself)."""
    with reported():
        rows = user_service.list_tokens(state(ctx).database(), email=email)
    if as_json:
        listed = [
            {
                "id": t.id,
                "user": t.email,
                "label": t.label,
                "created_at": utc_or_none(t.created_at),
                "last_used_at": utc_or_none(t.last_used_at),
            }
            for t in rows
        ]
        typer.echo(json.dumps(listed, indent=2))
        return
    table = Table("id", "user", "label", "created", "last used")
    for t in rows:
        table.add_row(
            str(t.id),
            t.email,
            t.label,
            t.created_at.strftime("%Y-%m-%d %H:%M"),
            t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "-",
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context, token_id: int = typer.Argument(..., help="the token's id (token list)")
) -> None:
    """Revoke an API token; it stops working at once."""
    with reported():
        owner = user_service.revoke_any_token(state(ctx).database(), token_id)
    console.print(f"token {token_id} of {owner} is revoked")
