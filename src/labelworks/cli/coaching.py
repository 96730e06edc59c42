"""``labelworks coaching PROJECT EMAIL``: a person's coaching page in the terminal (their
mistakes on gold and in review with the guideline section, their weekly trend against the
team's median, the notes), and ``--note TEXT`` to add to the notes log."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.schemas.coaching import CoachingOut, NoteOut
from labelworks.services import coaching
from labelworks.services.coaching import CoachingMistake, CoachingPage, Headline


def _compact(value: dict[str, Any] | None) -> str:
    if value is None:
        return "-"
    shown = [
        f"{k}: {v}" if isinstance(v, str) else f"{k}: {json.dumps(v)}" for k, v in value.items()
    ]
    return escape("; ".join(shown)) or "-"


def _percent(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def _headline(h: Headline) -> str:
    parts = [f"{h.annotations} annotations"]
    if h.gold_answered and h.gold_interval is not None:
        low, high = h.gold_interval
        parts.append(
            f"gold {h.gold_correct} of {h.gold_answered} right "
            f"({_percent(h.gold_accuracy)}, 95% {low:.0%}–{high:.0%})"
        )
    else:
        parts.append("no gold answered")
    if h.reviews_decided and h.acceptance_interval is not None:
        low, high = h.acceptance_interval
        parts.append(
            f"review: {h.accepted} of {h.reviews_decided} accepted as submitted "
            f"({_percent(h.acceptance)}, 95% {low:.0%}–{high:.0%}), {h.fixed} fixed, "
            f"{h.rejected} rejected"
        )
    else:
        parts.append("nothing reviewed yet")
    return " · ".join(parts)


def _section(m: CoachingMistake) -> str:
    g = m.guideline
    version = "" if g.version is None else f"v{g.version}"
    if g.section is None:
        return version or "-"
    return escape(f"{g.section} ({version})" if version else g.section)


def _trend(page: CoachingPage) -> Table:
    team = f"{page.team_vendor}'s people" if page.team_vendor else "everyone"
    table = Table(
        "week",
        Column("gold right", justify="right"),
        Column(f"median of {team}", justify="right"),
        Column("annotations", justify="right"),
        Column("s per item", justify="right"),
        Column(f"median of {team}", justify="right"),
        title="week by week",
    )
    for w in page.trend:
        mine = "-" if not w.gold_answered else f"{w.gold_correct}/{w.gold_answered}"
        table.add_row(
            w.week,
            f"{mine} ({_percent(w.accuracy)})" if w.gold_answered else "-",
            _percent(w.team_accuracy),
            str(w.annotations),
            "-" if w.median_seconds is None else f"{w.median_seconds:.0f}",
            "-" if w.team_median_seconds is None else f"{w.team_median_seconds:.0f}",
        )
    return table


def _gold(page: CoachingPage) -> Table:
    table = Table(
        "answered",
        Column("item", overflow="fold"),
        "their answer",
        "expert answer",
        Column("why", overflow="fold"),
        "guidelines",
        title=f"mistakes on gold ({page.gold_mistakes_total})",
    )
    for m in page.gold_mistakes:
        expert = "(kept from you)" if m.expert is None else _compact(m.expert)
        table.add_row(
            m.at.strftime("%Y-%m-%d"),
            escape(f"{m.item_id}: {m.summary}"),
            _compact(m.value),
            expert,
            escape(m.explanation or ""),
            _section(m),
        )
    return table


def _reviewed(page: CoachingPage) -> Table:
    table = Table(
        "decided",
        Column("item", overflow="fold"),
        "their answer",
        "outcome",
        Column("comment", overflow="fold"),
        "guidelines",
        title=f"mistakes in review ({page.review_mistakes_total})",
    )
    for m in page.review_mistakes:
        outcome = (
            f"fixed to {_compact(m.fixed_value)}"
            if m.status == "fixed"
            else f"rejected: {escape(m.reason or '')}"
        )
        table.add_row(
            m.at.strftime("%Y-%m-%d"),
            escape(f"{m.item_id}: {m.summary}"),
            _compact(m.value),
            outcome,
            escape(m.comment),
            _section(m),
        )
    return table


def coaching_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    email: str = typer.Argument(..., help="the person's email"),
    note: str | None = typer.Option(
        None, "--note", help="add this note to the person's coaching log (1-5000 characters)"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """A person's coaching page: their newest mistakes on gold and in review with the
    expert's answer and the guideline section, their weekly gold accuracy and time per item
    against the team's median, and the notes. ``--note`` adds a note instead (notes are
    never edited: a correction is another note)."""
    with reported():
        db = state(ctx).database()
        if note is not None:
            added = coaching.add_note(db, project, email, note)
        else:
            page = coaching.coaching_page(db, project, email)
    if note is not None:
        if as_json:
            out = NoteOut(
                id=added.id, body=added.body, author=added.author, created_at=added.created_at
            )
            typer.echo(out.model_dump_json(indent=2))
        else:
            console.print(f"Note {added.id} added to {escape(email)}'s log in {escape(project)}.")
        return
    if as_json:
        typer.echo(CoachingOut.model_validate(page.to_dict()).model_dump_json(indent=2))
        return
    who = f"{page.name} <{page.email}>" if page.name else page.email
    vendor = f", {page.vendor}" if page.vendor else ""
    console.print(f"[bold]{escape(who)}[/bold]{escape(vendor)} in {escape(page.project)}")
    console.print(_headline(page.headline))
    if page.trend:
        console.print(_trend(page))
    console.print(_gold(page) if page.gold_mistakes else "No mistakes on gold.")
    console.print(_reviewed(page) if page.review_mistakes else "No mistakes in review.")
    if not page.notes:
        console.print("No coaching notes yet.")
    for n in page.notes:
        console.print(f"{utc_or_none(n.created_at)} {escape(n.author)}: {escape(n.body)}")
