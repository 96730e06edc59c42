"""``labelworks activity``: a project's Overview in the terminal."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.schemas.activity import ActivityOut
from labelworks.services.recent import project_pulse

BARS = " ▁▂▃▄▅▆▇█"


def _sparkline(values: list[int]) -> str:
    top = max(values, default=0)
    if top == 0:
        return BARS[0] * len(values)
    return "".join(BARS[round(v / top * (len(BARS) - 1))] for v in values)


def activity_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output (as the API)"),
) -> None:
    """What the project's Overview shows: annotations per day over the last 30 days, done
    against needed, the labels given, and what happened lately (imports, spec and guideline
    changes, quality actions)."""
    with reported():
        pulse = project_pulse(state(ctx).database(), project)
    if as_json:
        typer.echo(ActivityOut.model_validate(pulse.to_dict()).model_dump_json())
        return
    a = pulse.activity
    needed = f" of {a.needed} needed" if a.needed else ""
    console.print(f"[bold]{escape(a.project)}[/]: {a.done} annotations{needed}")
    first, last = (a.days[0].day, a.days[-1].day) if a.days else ("", "")
    per_day = [d.annotations for d in a.days]
    console.print(f"per day {first} … {last}: {_sparkline(per_day)}  last 7 days: {a.last_week}")
    if a.labels:
        given = ", ".join(f"{escape(label)} {n}" for label, n in a.labels[:10])
        console.print(f"labels of {escape(a.label_field or '')}: {given}")
    table = Table("when (UTC)", "who", "what", title="recent activity")
    for e in pulse.events:
        table.add_row(f"{e.at:%Y-%m-%d %H:%M}", escape(e.who or ""), escape(e.text))
    console.print(table if pulse.events else "nothing has happened yet")
