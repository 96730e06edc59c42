"""``labelworks review``: the review queue, a reviewer's decision, and each annotator's
review outcomes."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.review import Decision
from labelworks.formats.json_input import load_json
from labelworks.services import reviews as review_service
from labelworks.services.reviews import ReviewOutcomes, ReviewRow

app = typer.Typer(
    help="Review: the queue of sampled annotations, decisions, outcomes per annotator."
)

MAX_ID = 2**31 - 1  # ids are 32-bit columns on PostgreSQL
PREVIEW = 200  # characters of an item's content shown in the list
STATUSES = ("pending", "accepted", "rejected", "fixed", "all")
WHY = {"first_n": "one of their first annotations", "sample": "drawn at random"}


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _review_dict(r: ReviewRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "annotation_id": r.annotation_id,
        "item_id": r.item_id,
        "external_id": r.external_id,
        "payload": r.payload,
        "value": r.value,
        "annotator": r.annotator,
        "vendor": r.vendor,
        "why": r.why,
        "status": r.status,
        "reason": r.reason,
        "comment": r.comment,
        "fixed_value": r.fixed_value,
        "created_at": utc_or_none(r.created_at),
        "decided_at": utc_or_none(r.decided_at),
    }


def _short(text: str) -> str:
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def _preview(payload: dict[str, Any]) -> str:
    """The item's content on one line: its text values as they read, the rest as JSON."""
    parts = [
        f"{key}: {value if isinstance(value, str) else _compact(value)}"
        for key, value in payload.items()
    ]
    return _short(" · ".join(parts)) or "(no content)"


def _answer(value: dict[str, Any] | None) -> str:
    """A value field by field: ``sentiment: negative; tags: a, b``."""
    if value is None:
        return "(set aside)"

    def one(v: Any) -> str:
        if isinstance(v, str):
            return v
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return ", ".join(v) or "none"
        return _compact(v)

    return _short("; ".join(f"{name}: {one(v)}" for name, v in value.items())) or "(empty)"


def _review_view(r: ReviewRow) -> Group:
    """One review: a heading (its id, item, annotator, why, status), then the item's
    content and the annotation, and what a reviewer decided."""
    heading = Text(f"review {r.id}", style="bold")
    heading.append(f" · item {r.item_id}")
    if r.external_id:
        heading.append(f" ({r.external_id})")
    heading.append(f" · {r.annotator}")
    if r.vendor:
        heading.append(f" ({r.vendor})")
    heading.append(f" · {WHY.get(r.why, r.why)}")
    if r.status != "pending":
        heading.append(f" · {r.status}", style="green" if r.status == "accepted" else "red")
    lines = [
        heading,
        Text(f"  item   {_preview(r.payload)}"),
        Text(f"  answer {_answer(r.value)}"),
    ]
    if r.status == "fixed":
        lines.append(Text(f"  fix    {_answer(r.fixed_value)}"))
    if r.reason:
        lines.append(Text(f"  reason {r.reason}"))
    if r.comment:
        lines.append(Text(f"  note   {_short(r.comment)}"))
    return Group(*lines)


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    status: str = typer.Option(
        "pending", "--status", help="pending, accepted, rejected, fixed or all"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Show the reviews of a status (pending by default), oldest first: each item's
    content, its annotator, why it was picked and the annotation."""
    rows: list[ReviewRow] = []
    with reported():
        if status not in STATUSES:
            raise InvalidInput(f"--status must be one of {', '.join(STATUSES)}, not '{status}'")
        db = state(ctx).database()
        after = 0
        while page := review_service.review_queue(
            db,
            project,
            status=None if status == "all" else status,
            after=after,
            limit=review_service.MAX_PAGE,
        ):
            rows.extend(page)
            after = page[-1].id
    if as_json:
        typer.echo(json.dumps([_review_dict(r) for r in rows], indent=2, ensure_ascii=False))
        return
    what = "reviews" if status == "all" else f"{status} reviews"
    if not rows:
        console.print(f"no {what} in {escape(project)}")
        return
    for r in rows:
        console.print(_review_view(r))
        console.print()
    console.print(f"{len(rows)} {what if len(rows) != 1 else what[:-1]} in {escape(project)}")


def _value(text: str | None, decision: Decision) -> dict[str, Any] | None:
    """The fix's corrected annotation from ``--value``: one JSON object, read before the
    database is opened, so a bad one changes nothing."""
    if decision is not Decision.FIX:
        if text is not None:
            raise InvalidInput(f"--value goes with fix only, not with {decision.value}")
        return None
    if text is None:
        raise InvalidInput(
            'a fix needs --value, the corrected annotation, e.g. \'{"sentiment": "pos"}\''
        )
    value = load_json(text.encode("utf-8", "surrogateescape"), source="--value")
    if not isinstance(value, dict) or not value:
        raise InvalidInput(
            'the fix must be a JSON object of field values, e.g. {"sentiment": "pos"}',
            location=Location(file="--value"),
        )
    return value


@app.command("decide")
def decide(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    review_id: int = typer.Argument(..., min=1, max=MAX_ID, help="the review's id"),
    decision: Decision = typer.Argument(..., help="accept, reject or fix"),
    reason: str | None = typer.Option(
        None, "--reason", help="a rejection's reason: one of the spec's quality.review.reasons"
    ),
    comment: str = typer.Option("", "--comment", help="a note kept with the decision"),
    value: str | None = typer.Option(
        None, "--value", help='a fix\'s corrected annotation as JSON, e.g. \'{"sentiment": "pos"}\''
    ),
) -> None:
    """Accept a pending review, reject it with a reason (the work goes back to be redone)
    or fix it (the corrected value is kept beside the original)."""
    with reported():
        fixed = _value(value, decision)
        if reason is not None and decision is not Decision.REJECT:
            raise InvalidInput(f"--reason goes with reject only, not with {decision.value}")
        review_service.decide_review(
            state(ctx).database(),
            project,
            review_id,
            decision=decision.value,
            reason=reason,
            comment=comment,
            value=fixed,
        )
    done = {
        Decision.ACCEPT: "accepted",
        Decision.REJECT: f"rejected ({escape(reason or '')}): the work goes back to be redone",
        Decision.FIX: f"fixed: {escape(_answer(fixed))}",
    }[decision]
    console.print(f"review {review_id} of {escape(project)} {done}", highlight=False)


def _outcome_dict(o: ReviewOutcomes) -> dict[str, Any]:
    low, high = o.interval or (None, None)
    return {
        "annotator": o.annotator,
        "vendor": o.vendor,
        "pending": o.pending,
        "accepted": o.accepted,
        "rejected": o.rejected,
        "fixed": o.fixed,
        "decided": o.decided,
        "acceptance": o.acceptance,
        "low": low,
        "high": high,
    }


def _acceptance(o: ReviewOutcomes) -> str:
    """``67% (21–94%)``: the share accepted with its 95% interval; ``-`` when none."""
    if o.acceptance is None or o.interval is None:
        return "-"
    low, high = o.interval
    return f"{o.acceptance:.0%} ({100 * low:.0f}–{high:.0%})"


@app.command("report")
def report_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Each reviewed annotator's outcomes, the lowest acceptance first: acceptance
    (accepted of decided) with its 95% interval, and the counts behind it."""
    with reported():
        rows = review_service.review_report(state(ctx).database(), project)
    if as_json:
        report = {"project": project, "annotators": [_outcome_dict(o) for o in rows]}
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print(f"nothing has been sampled for review in {escape(project)}")
        return
    table = Table(title=f"{escape(project)}: review outcomes, the lowest acceptance first")
    table.add_column("annotator", overflow="fold")
    table.add_column("vendor", overflow="fold")
    table.add_column("acceptance (95% interval)")
    for name in ("accepted", "fixed", "rejected", "pending"):
        table.add_column(name, justify="right")
    for o in rows:
        table.add_row(
            Text(o.annotator),
            Text(o.vendor or "-"),
            _acceptance(o),
            f"{o.accepted} of {o.decided}" if o.decided else "0",
            str(o.fixed),
            str(o.rejected),
            str(o.pending),
        )
    console.print(table)
