"""What every command needs: settings, the database, error rendering, a console."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperCommand, TyperGroup, TyperOption

from labelworks.config import Settings
from labelworks.domain.errors import (
    Conflict,
    InvalidInput,
    LabelworksError,
    Location,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from labelworks.formats.json_input import load_json
from labelworks.formats.json_text import utc_text
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


class RootGroup(TyperGroup):
    """The ``labelworks`` group: help screens show flags without a value type.

    Typer's help prints a flag's type as if it took a value (``--version <bool>``,
    ``--help <bool>``); an empty metavar leaves that column blank. Done once, when Typer
    builds the command tree, for every flag of every command, the help flags included.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _untype_flags(self)


def _untype_flags(command: TyperCommand | TyperGroup) -> None:
    # get_params makes the command's help option (and keeps it), so it is reached too.
    for param in command.get_params(typer.Context(command)):
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _untype_flags(sub)


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
    # soft_wrap: the error stays one line whatever the width (Rich would break it at 80
    # columns in a file); a terminal wraps it on screen by itself.
    err_console.print(
        f"[bold red]error[/] {escape(f'[{error.code}]')} {escape(str(error))}",
        highlight=False,
        soft_wrap=True,
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


def value_option(
    value: str | None, value_file: Path | None, *, what: str, allow_empty: bool = False
) -> dict[str, Any]:
    """``what`` ("the final label") from exactly one of ``--value`` and ``--value-file``.

    ``allow_empty`` passes ``{}`` on to a service whose own message names the item."""
    if (value is None) == (value_file is None):
        raise InvalidInput(f"give {what} with --value JSON or --value-file PATH")
    return _json_object(value, value_file, what=what, allow_empty=allow_empty)


def optional_value_option(
    value: str | None, value_file: Path | None, *, what: str
) -> dict[str, Any] | None:
    """``what`` from ``--value`` or ``--value-file``, or None when neither is given."""
    if value is not None and value_file is not None:
        raise InvalidInput(f"give {what} with --value or --value-file, not both")
    if value is None and value_file is None:
        return None
    return _json_object(value, value_file, what=what, allow_empty=False)


def _json_object(
    value: str | None, value_file: Path | None, *, what: str, allow_empty: bool
) -> dict[str, Any]:
    # Every error names the option (and the file) it came from, as the location.
    if value_file is not None:
        source = f"--value-file {value_file}"
        try:
            data = value_file.read_bytes()
        except OSError as exc:
            raise InvalidInput(
                f"cannot read the file: {exc.strerror or exc}", location=Location(file=source)
            ) from None
    else:
        source = "--value"
        # surrogateescape: undecodable argv bytes reach load_json, which reports them as such.
        data = (value or "").encode("utf-8", "surrogateescape")
    parsed = load_json(data, source=source)
    if not isinstance(parsed, dict) or not (parsed or allow_empty):
        raise InvalidInput(
            f'{what} must be a JSON object of field values, e.g. {{"sentiment": "pos"}}',
            location=Location(file=source),
        )
    return parsed


def wrap_only_on_terminals() -> None:
    """Outside a terminal (a file, a pipe) messages are not wrapped: Rich would break them
    at 80 columns, splitting a path or a token over two lines of a log. Called once per
    invocation, since the streams are only known then."""
    for target in (console, err_console):
        target.soft_wrap = not target.is_terminal


def utc_or_none(moment: datetime | None) -> str | None:
    """A time for --json output as the API and exports write it (``…Z``), or None."""
    return None if moment is None else utc_text(moment)


def show_progress() -> bool:
    """Whether to draw progress bars: only on a terminal, so a redirected standard error
    (a log file, CI) holds errors and nothing else. Rich's detection, so ``TTY_COMPATIBLE=1``
    or ``FORCE_COLOR`` asks for bars anyway."""
    return err_console.is_terminal


def settle_heap() -> None:
    """Before a long job: freeze what is already built out of the cyclic GC, whose full
    collections would otherwise walk all of it again and again (half of a large import's
    time, measured; see ``server.app.serve_app``)."""
    gc.collect()
    gc.freeze()


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A Rich bar on standard error fed by a service's ``progress(done, total)``."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not show_progress(),
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
