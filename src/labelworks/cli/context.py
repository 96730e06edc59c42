"""What every command needs: settings, the database, error rendering, a console."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from labelworks.config import Settings
from labelworks.domain.errors import (
    Conflict,
    InvalidInput,
    LabelworksError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from labelworks.storage import migration
from labelworks.storage.engine import Database

# Exit codes, one per branch of the error tree (documented in docs/cli.md).
EXIT_CODES: tuple[tuple[type[LabelworksError], int], ...] = (
    (InvalidInput, 2),
    (NotFound, 3),
    (Conflict, 4),
    (PermissionDenied, 5),
    (Unauthenticated, 5),
)

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    settings: Settings
    _db: Database | None = field(default=None)

    def database(self, *, upgrade: bool = True) -> Database:
        """Open the database; an embedded one is created and migrated on first use."""
        if self._db is None:
            self._db = Database(
                self.settings.effective_database_url,
                busy_timeout_ms=self.settings.sqlite_busy_timeout_ms,
            )
            if upgrade and self._db.is_sqlite:
                migration.upgrade(self._db)
        return self._db


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def fail(error: LabelworksError) -> NoReturn:
    code = next((c for cls, c in EXIT_CODES if isinstance(error, cls)), 1)
    # Codes and messages are plain text: escape them so "[not_found]" is not read as markup.
    err_console.print(
        f"[bold red]error[/] {escape(f'[{error.code}]')} {escape(str(error))}", highlight=False
    )
    raise typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn labelworks errors into a one-line message and a stable exit code."""
    try:
        yield
    except LabelworksError as exc:
        fail(exc)


def run(action: Callable[[], None]) -> None:
    with reported():
        action()


def is_tty() -> bool:
    return sys.stderr.isatty()


def settle_heap() -> None:
    """Before a long job: freeze what is already built out of the cyclic GC, whose full
    collections would otherwise walk all of it again and again (half of a large import's
    time, measured; see ``server.app.serve_app``)."""
    gc.collect()
    gc.freeze()
