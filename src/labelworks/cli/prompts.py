"""``labelworks prompt``: the prompt registry. Push a prompt file as a prompt's next version,
list prompts, show a version (its prompt file), diff two versions, render one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.prompts import check_prompt_name, parse_ref
from labelworks.domain.spec_diff import changed_lines, diff_lines
from labelworks.formats.json_input import load_json
from labelworks.services import prompts
from labelworks.services.prompts import PromptRow

app = typer.Typer(
    help="Prompts: versioned Jinja2 templates with their variables and model parameters."
)

REF_HELP = "NAME (the latest version) or NAME@VERSION"
_STYLES = {"file": "bold", "hunk": "cyan", "add": "green", "remove": "red", "same": ""}
_MARKS = {"add": "+", "remove": "-", "same": " "}


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _version(row: PromptRow) -> dict[str, Any]:
    return {
        "version": row.version,
        "description": row.content.description,
        "content_hash": row.content_hash,
        "created_at": utc_or_none(row.created_at),
        "created_by": row.created_by,
    }


def _whole(row: PromptRow) -> dict[str, Any]:
    return {
        "name": row.name,
        **_version(row),
        "template": row.content.template,
        "variables": row.content.variables,
        "parameters": row.content.parameters,
        "yaml": row.content.to_yaml(),
    }


@app.command("push")
def push(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="prompt name"),
    file: Path = typer.Argument(
        ...,
        help="a YAML prompt file, or a plain template (.txt, .j2, .jinja, .jinja2) whose "
        "variables are the names it reads",
        show_default=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Make FILE the prompt's next version. The same content as the latest version makes
    none (it says so); a bad file is named with its line and field (exit 2)."""
    with reported():
        check_prompt_name(name)
        content = prompts.load_prompt_file(file)
        pushed = prompts.push_prompt(state(ctx).database(), name, content)
    row = pushed.row
    if as_json:
        _echo_json({**_whole(row), "created": pushed.created})
    elif pushed.created:
        console.print(f"prompt {escape(name)}: version {row.version} pushed", highlight=False)
    else:
        console.print(
            f"prompt {escape(name)}: unchanged (version {row.version} holds the same content)",
            highlight=False,
        )


@app.command("list")
def list_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Every prompt with its latest version, how many versions it has and when it changed."""
    with reported():
        found = prompts.list_prompts(state(ctx).database())
    if as_json:
        _echo_json(
            [
                {
                    "name": p.name,
                    "latest": p.latest,
                    "versions": p.versions,
                    "description": p.description,
                    "updated_at": utc_or_none(p.updated_at),
                }
                for p in found
            ]
        )
        return
    if not found:
        console.print("no prompts yet")
        return
    table = Table("prompt", "latest", "versions", "updated (UTC)", "description")
    for p in found:
        table.add_row(
            Text(p.name),
            f"v{p.latest}",
            str(p.versions),
            p.updated_at.strftime("%Y-%m-%d %H:%M"),
            Text(p.description),
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="NAME[@VERSION]", help=REF_HELP),
    as_json: bool = typer.Option(False, "--json", help="print JSON (with every version)"),
) -> None:
    """Print a version as its prompt file (YAML, after a comment naming the version), which
    ``prompt push`` takes back."""
    with reported():
        name, version = parse_ref(ref)
        found = prompts.prompt_detail(state(ctx).database(), name, version)
    row = found.row
    if as_json:
        _echo_json(
            {
                **_whole(row),
                "latest": found.versions[-1].version,
                "versions": [_version(v) for v in found.versions],
            }
        )
        return
    by = f" by {row.created_by}" if row.created_by else ""
    pushed = row.created_at.strftime("%Y-%m-%d %H:%M")
    typer.echo(
        f"# {row.name}@{row.version} of {found.versions[-1].version}, pushed {pushed} UTC{by}"
    )
    typer.echo(row.content.to_yaml(), nl=False)


@app.command("diff")
def diff(
    ctx: typer.Context,
    a: str = typer.Argument(..., metavar="NAME@A", help=REF_HELP),
    b: str = typer.Argument(..., metavar="NAME@B", help=REF_HELP),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """The unified diff of two versions of a prompt (their prompt files: description,
    variables, parameters and template)."""
    with reported():
        (name, first), (other, second) = parse_ref(a), parse_ref(b)
        if other != name:
            raise InvalidInput(f"compare two versions of one prompt, not '{name}' and '{other}'")
        db = state(ctx).database()
        latest = prompts.show_prompt(db, name).version if None in (first, second) else 0
        found = prompts.diff_prompt(db, name, first or latest, second or latest)
    if as_json:
        added, removed = changed_lines(found.diff)
        _echo_json(
            {
                "name": found.name,
                "a": _version(found.a),
                "b": _version(found.b),
                "diff": found.diff,
                "added": added,
                "removed": removed,
            }
        )
    elif found.diff:
        for line in diff_lines(found.diff):
            text = line.text if line.kind in ("file", "hunk") else _MARKS[line.kind] + line.text
            console.print(Text(text, style=_STYLES[line.kind]), soft_wrap=True)
    else:
        console.print(
            f"versions {found.a.version} and {found.b.version} of {escape(name)} are the same",
            highlight=False,
        )


def _values(pairs: list[str], vars_file: Path | None) -> dict[str, Any]:
    """The variables' values: a JSON object from ``--vars-file``, then each ``--var``."""
    values: dict[str, Any] = {}
    if vars_file is not None:
        where = Location(file=str(vars_file))
        try:
            raw = vars_file.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read it ({exc.strerror})", location=where) from None
        data = load_json(raw, source=str(vars_file))
        if not isinstance(data, dict):
            raise InvalidInput("must hold a JSON object of variable: value", location=where)
        values.update(data)
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise InvalidInput(f"{pair[:80]!r} is not KEY=VALUE", location=Location(field="--var"))
        values[key] = value
    return values


@app.command("render")
def render(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="NAME[@VERSION]", help=REF_HELP),
    var: list[str] = typer.Option(
        [], "--var", metavar="KEY=VALUE", help="a variable's value (text); repeat for each"
    ),
    vars_file: Path | None = typer.Option(
        None, "--vars-file", help="a JSON object of variable: value (any JSON); --var wins"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON (with the parameters)"),
) -> None:
    """Render a version with its variables' values and print the text: a missing or unknown
    variable, or a template that fails, is named (exit 2)."""
    with reported():
        name, version = parse_ref(ref)
        values = _values(var, vars_file)
        found = prompts.render(state(ctx).database(), name, values, version)
    if as_json:
        _echo_json(
            {
                "name": found.row.name,
                "version": found.row.version,
                "text": found.text,
                "parameters": found.row.content.parameters,
            }
        )
    else:
        typer.echo(found.text, nl=not found.text.endswith("\n"))
