"""``labelworks member``: a project's members, and a new password for one of them."""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.services import members as member_service

app = typer.Typer(
    help="A project's members (add and remove them with `user join` and `user leave`)."
)


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List a project's members: role, vendor, team, active, joined, last annotation."""
    with reported():
        rows = member_service.project_members(state(ctx).database(), project)
    if as_json:
        listed = [
            {
                "email": m.user.email,
                "name": m.user.name,
                "role": m.user.role,
                "vendor": m.user.vendor,
                "team": m.user.team,
                "active": m.user.active,
                "joined_at": utc_or_none(m.joined_at),
                "last_annotation_at": utc_or_none(m.last_annotation_at),
            }
            for m in rows
        ]
        typer.echo(json.dumps(listed, indent=2))
        return
    table = Table("email", "name", "role", "vendor", "team", "active", "last annotation")
    for m in rows:
        u = m.user
        last = m.last_annotation_at
        table.add_row(
            u.email,
            u.name,
            u.role,
            u.vendor or "-",
            u.team or "-",
            "yes" if u.active else "no",
            last.strftime("%Y-%m-%d %H:%M") if last else "-",
        )
    console.print(table)


@app.command("password")
def password_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    email: str = typer.Argument(..., help="a member's email"),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="read the new password from the first line of stdin (default: generate one)",
    ),
) -> None:
    """Give a member a new password (generated and printed once, on the last line, unless
    read from stdin); every session of theirs ends."""
    with reported():
        given = None
        if password_stdin:
            given = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        done = member_service.reset_password(state(ctx).database(), project, email, password=given)
    if not done.generated:
        console.print(f"password set for {done.email}; every session of theirs has ended")
        return
    console.print(f"new password for {done.email} (shown once; every session has ended):")
    typer.echo(done.password)
