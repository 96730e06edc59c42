"""``labelworks db``: schema migrations."""

from __future__ import annotations

import typer

from labelworks.cli.context import console, reported, state
from labelworks.storage import migration

app = typer.Typer(help="Database schema management.")


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply every shipped migration the database does not have yet."""
    with reported():
        db = state(ctx).database(upgrade=False)
        before = migration.current_revision(db)
        migration.upgrade(db)
        after = migration.current_revision(db)
    if before == after:
        console.print(f"database already at revision {after}")
    else:
        console.print(f"database upgraded from {before or 'empty'} to {after}")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision and the newest shipped one."""
    with reported():
        db = state(ctx).database(upgrade=False)
        console.print(
            f"database: {migration.current_revision(db) or 'empty'}; "
            f"shipped: {migration.head_revision()}"
        )
