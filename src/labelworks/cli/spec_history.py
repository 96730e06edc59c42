"""``labelworks project history`` and ``labelworks project check``: a project's spec
revisions with the diff between any two and its guideline versions each readable; and the
dry run of ``project apply`` (what it would change, and whether it would need ``--force``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.domain.errors import InvalidInput, Location, UnsafeSpecChange
from labelworks.domain.spec_diff import changed_lines, diff_lines
from labelworks.services import projects as project_service
from labelworks.services import spec_history
from labelworks.services.spec_history import RevisionRow

MAX_ID = 2**31 - 1  # revisions and versions are 32-bit columns on PostgreSQL
_STYLES = {"file": "bold", "hunk": "cyan", "add": "green", "remove": "red", "same": ""}
_MARKS = {"add": "+", "remove": "-", "same": " "}


def _print_diff(diff: str) -> None:
    """The unified diff, coloured on a terminal (Rich drops the colours elsewhere)."""
    for line in diff_lines(diff):
        text = line.text if line.kind in ("file", "hunk") else _MARKS[line.kind] + line.text
        console.print(Text(text, style=_STYLES[line.kind]), soft_wrap=True)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _revision(row: RevisionRow) -> dict[str, Any]:
    return {
        "revision": row.revision,
        "forced": row.forced,
        "created_at": utc_or_none(row.created_at),
    }


def _positive(value: int, option: str) -> int:
    if not 1 <= value <= MAX_ID:
        raise InvalidInput(
            f"{value} is not a revision or version number", location=Location(file=option)
        )
    return value


def history_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="project name"),
    diff: tuple[int, int] | None = typer.Option(
        None, "--diff", metavar="A B", help="the diff of the effective spec from revision A to B"
    ),
    guidelines: int | None = typer.Option(
        None, "--guidelines", metavar="VERSION", help="print guideline version VERSION (Markdown)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List the project's spec revisions (forced ones marked) and guideline versions with
    their changelogs; or the diff between two revisions; or one guideline version."""
    with reported():
        db = state(ctx).database()
        if diff is not None and guidelines is not None:
            raise InvalidInput("give --diff or --guidelines, not both")
        if diff is not None:
            a, b = (_positive(n, "--diff") for n in diff)
            found = spec_history.spec_diff(db, name, a, b)
        elif guidelines is not None:
            version = spec_history.guideline_version(
                db, name, _positive(guidelines, "--guidelines")
            )
        else:
            revisions = spec_history.spec_revisions_of(db, name)
            versions = spec_history.guideline_versions_of(db, name)
    if diff is not None:
        added, removed = changed_lines(found.diff)
        if as_json:
            _echo_json(
                {
                    "project": found.project,
                    "a": _revision(found.a),
                    "b": _revision(found.b),
                    "diff": found.diff,
                    "added": added,
                    "removed": removed,
                }
            )
        elif found.diff:
            _print_diff(found.diff)
        else:
            console.print(f"revisions {found.a.revision} and {found.b.revision} are the same spec")
        return
    if guidelines is not None:
        if as_json:
            _echo_json(
                {
                    "version": version.version,
                    "changelog": version.changelog,
                    "created_at": utc_or_none(version.created_at),
                    "content": version.content,
                }
            )
        else:
            typer.echo(version.content, nl=not version.content.endswith("\n"))
        return
    if as_json:
        _echo_json(
            {
                "project": name,
                "revisions": [_revision(r) for r in revisions],
                "guidelines": [
                    {
                        "version": v.version,
                        "changelog": v.changelog,
                        "created_at": utc_or_none(v.created_at),
                    }
                    for v in versions
                ],
            }
        )
        return
    table = Table(
        "revision", "applied (UTC)", "forced", title="spec revisions", title_justify="left"
    )
    for r in revisions:
        table.add_row(
            str(r.revision), r.created_at.strftime("%Y-%m-%d %H:%M"), "forced" if r.forced else ""
        )
    console.print(table)
    shown = Table(
        "version", "published (UTC)", "changelog", title="guideline versions", title_justify="left"
    )
    for v in versions:
        shown.add_row(f"v{v.version}", v.created_at.strftime("%Y-%m-%d %H:%M"), Text(v.changelog))
    console.print(shown if versions else "no guideline versions")


def check_command(
    ctx: typer.Context,
    spec_file: Path = typer.Argument(..., help="YAML project spec"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """What ``project apply SPEC_FILE`` would do, without doing it: the same errors (exit
    2), or create/update/unchanged with the diff of the effective spec and the changes
    that would invalidate existing annotations (exit 4 when there are: apply needs
    --force)."""
    with reported():
        spec, text = project_service.load_spec_file(spec_file)
        found = spec_history.check_spec(state(ctx).database(), spec, guidelines=text)
    if as_json:
        _echo_json(
            {
                "project": found.project,
                "action": found.action,
                "spec_revision": found.spec_revision,
                "diff": found.diff,
                "unsafe_changes": found.unsafe,
                "guidelines_changed": found.guidelines_changed,
            }
        )
    else:
        against = "" if found.spec_revision is None else f" (now revision {found.spec_revision})"
        verb = {
            "created": "would be created",
            "updated": "would be updated",
            "unchanged": "is unchanged",
        }
        console.print(
            f"project [bold]{found.project}[/]: {verb[found.action]}{against}", highlight=False
        )
        if found.action != "unchanged":
            _print_diff(found.diff)
        if found.guidelines_changed:
            console.print("the guidelines would become a new version")
        for reason in found.unsafe:
            console.print(Text.assemble(("unsafe: ", "bold red"), reason), soft_wrap=True)
    if found.unsafe:
        with reported():
            raise UnsafeSpecChange(
                f"{len(found.unsafe)} change{'s' if len(found.unsafe) != 1 else ''} would "
                "invalidate existing annotations (apply with --force to do it anyway)"
            )
