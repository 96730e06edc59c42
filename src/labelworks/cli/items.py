"""``labelworks items``: browse a project's items (list, show) and act on many at once
(requeue, priority, delete), chosen by id or by the Items table's filters."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.domain.errors import InvalidInput
from labelworks.services import catalog, item_actions
from labelworks.services.catalog import ItemPage
from labelworks.services.item_selection import ItemSelection

app = typer.Typer(help="Browse a project's items, and re-queue, re-prioritise or delete many.")

PREVIEW = 80  # characters of the payload shown in the table (the JSON has the API's 300)

# The Items table's filters, shared by every command that chooses items.
STATUS = typer.Option(None, "--status", help="new, in_progress or complete")
ANNOTATOR = typer.Option(None, "--annotator", help="email of someone who annotated the item")
LABEL = typer.Option(None, "--label", help="a label some annotation carries")
TEXT = typer.Option(None, "--q", help="text to find in the payload")
META = typer.Option(
    None, "--meta", help="KEY=VALUE the item's metadata must hold (repeat for more)"
)
DISAGREEMENT = typer.Option(
    None,
    "--disagreement",
    help="'any' (choice, multi-choice, rating, pairwise fields) or a field two annotations "
    "answer differently",
)
SCORE_MIN = typer.Option(None, "--score-min", help="some pre-annotation scores at least this")
SCORE_MAX = typer.Option(None, "--score-max", help="some pre-annotation scores at most this")
IDS = typer.Option(None, "--ids", help="item ids, separated by commas: 1,2,3")
EVERY = typer.Option(False, "--all", help="every item of the project (no filter)")
AS_JSON = typer.Option(False, "--json", help="machine-readable output (as the API)")


def _selection(
    status: str | None,
    annotator: str | None,
    label: str | None,
    text: str | None,
    meta: list[str] | None,
    disagreement: str | None,
    score_min: float | None,
    score_max: float | None,
) -> ItemSelection:
    pairs = []
    for given in meta or []:
        key, sep, value = given.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--meta takes KEY=VALUE, not '{given}'")
        pairs.append((key, value))
    return ItemSelection(
        status=status or None,
        annotator=annotator or None,
        label=label or None,
        text=text or None,
        metadata=tuple(pairs),
        disagreement=disagreement or None,
        score_min=score_min,
        score_max=score_max,
    )


def _count(page: ItemPage) -> str:
    return f"{page.total:,}{'+' if page.total_capped else ''}"


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    status: str | None = STATUS,
    annotator: str | None = ANNOTATOR,
    label: str | None = LABEL,
    text: str | None = TEXT,
    meta: list[str] | None = META,
    disagreement: str | None = DISAGREEMENT,
    score_min: float | None = SCORE_MIN,
    score_max: float | None = SCORE_MAX,
    sort: str = typer.Option(
        "id", "--sort", help="id, -id, -priority, priority, n_submitted or -n_submitted"
    ),
    after: int = typer.Option(0, "--after", min=0, help="the next_after of the previous page"),
    before: int | None = typer.Option(
        None, "--before", min=1, help="the prev_before of the next page"
    ),
    limit: int = typer.Option(50, "--limit", help="items per page (1-500)"),
    exact_count: bool = typer.Option(
        False, "--exact-count", help="count every match (past 1,000 the count stops)"
    ),
    as_json: bool = AS_JSON,
) -> None:
    """A page of the project's items, filtered and sorted (import order by default), with
    how many match; the last lines say how to get the next and previous pages."""
    with reported():
        chosen = _selection(
            status, annotator, label, text, meta, disagreement, score_min, score_max
        )
        page = catalog.list_items(
            state(ctx).database(),
            project,
            status=chosen.status,
            annotator=chosen.annotator,
            label=chosen.label,
            text=chosen.text,
            metadata=chosen.metadata,
            disagreement=chosen.disagreement,
            score_min=chosen.score_min,
            score_max=chosen.score_max,
            sort=sort,
            after=after,
            before=before,
            limit=limit,
            exact_count=exact_count,
        )
    if as_json:
        rows = [
            {
                "id": i.id,
                "external_id": i.external_id,
                "status": i.status,
                "n_submitted": i.n_submitted,
                "priority": i.priority,
                "payload_preview": i.payload_preview,
                "created_at": utc_or_none(i.created_at),
            }
            for i in page.items
        ]
        out = {
            "items": rows,
            "next_after": page.next_after,
            "prev_before": page.prev_before,
            "total": page.total,
            "total_capped": page.total_capped,
        }
        typer.echo(json.dumps(out, indent=2))
        return
    table = Table("id", "external id", "status", "submitted", "priority", "payload", "created")
    for i in page.items:
        preview = i.payload_preview
        if len(preview) > PREVIEW:
            preview = preview[: PREVIEW - 1] + "…"
        table.add_row(
            str(i.id),
            escape(i.external_id or "-"),
            i.status,
            str(i.n_submitted),
            str(i.priority),
            escape(preview),
            i.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
    if not page.items:
        console.print("no items match", highlight=False)
        return
    console.print(f"{len(page.items)} shown of {_count(page)} matching", highlight=False)
    if page.prev_before is not None:
        console.print(f"previous: --before {page.prev_before}", highlight=False)
    if page.next_after is not None:
        console.print(f"more: --after {page.next_after}", highlight=False)


@app.command("show")
def show(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    item_id: int = typer.Argument(..., min=1, help="the item's id"),
    as_json: bool = AS_JSON,
) -> None:
    """One item: its payload, metadata, pre-annotations and every annotation, as its page
    and the API show it."""
    with reported():
        detail = catalog.item_detail(state(ctx).database(), project, item_id)
    if as_json:
        notes = [
            {
                "annotator": a.annotator,
                "vendor": a.vendor,
                "value": a.value,
                "seconds": a.seconds,
                "guideline_version": a.guideline_version,
                "created_at": utc_or_none(a.created_at),
                "after_expiry": a.after_expiry,
            }
            for a in detail.annotations
        ]
        out: dict[str, Any] = {
            "id": detail.id,
            "external_id": detail.external_id,
            "status": detail.status,
            "payload": detail.payload,
            "metadata": detail.metadata,
            "pre_annotations": detail.pre_annotations,
            "annotations": notes,
        }
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    facts = [
        ("item", str(detail.id)),
        ("external id", detail.external_id or "-"),
        ("status", f"{detail.status} ({len(detail.annotations)} of {detail.target} annotations)"),
        ("priority", str(detail.priority)),
        ("payload", json.dumps(detail.payload, ensure_ascii=False)),
        ("metadata", json.dumps(detail.metadata, ensure_ascii=False)),
    ]
    for name, value in facts:
        console.print(f"{name}: {escape(value)}", highlight=False)
    for pre in detail.pre_annotations:
        score = "" if pre["score"] is None else f" (score {pre['score']:g})"
        value = json.dumps(pre["value"], ensure_ascii=False)
        console.print(f"pre-annotation {escape(pre['model'])}{score}: {escape(value)}")
    if not detail.annotations:
        console.print("no annotations yet", highlight=False)
        return
    table = Table("annotator", "vendor", "value", "seconds", "guidelines", "at")
    for a in detail.annotations:
        table.add_row(
            escape(a.annotator),
            escape(a.vendor or "-"),
            escape(json.dumps(a.value, ensure_ascii=False)),
            "-" if a.seconds is None else f"{a.seconds:.1f}",
            "-" if a.guideline_version is None else f"v{a.guideline_version}",
            a.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


def _ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise InvalidInput(
            f"--ids takes item ids separated by commas (1,2,3), not '{text}'"
        ) from None
    if not ids or min(ids) < 1:
        raise InvalidInput("--ids takes positive item ids separated by commas (1,2,3)")
    return ids


def _act(
    ctx: typer.Context,
    project: str,
    action: str,
    ids: str | None,
    every: bool,
    selection: ItemSelection,
    as_json: bool,
    priority: int | None = None,
) -> None:
    with reported():
        filtered = selection != ItemSelection()
        if ids is not None and (filtered or every):
            raise InvalidInput("choose the items with --ids, or with filters (or --all), not both")
        if ids is None and not (filtered or every):
            raise InvalidInput(
                "choose the items: --ids 1,2,3, filters (--status, --meta KEY=VALUE, …) or "
                "--all for every item"
            )
        done = item_actions.act_on_items(
            state(ctx).database(),
            project,
            action,
            ids=None if ids is None else _ids(ids),
            selection=None if ids is not None else selection,
            priority=priority,
        )
    if as_json:
        out = {
            "action": done.action,
            "selected": done.selected,
            "changed": done.changed,
            "message": done.describe(),
        }
        typer.echo(json.dumps(out, indent=2))
        return
    console.print(done.describe(), highlight=False)


@app.command("requeue")
def requeue(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    ids: str | None = IDS,
    every: bool = EVERY,
    status: str | None = STATUS,
    annotator: str | None = ANNOTATOR,
    label: str | None = LABEL,
    text: str | None = TEXT,
    meta: list[str] | None = META,
    disagreement: str | None = DISAGREEMENT,
    score_min: float | None = SCORE_MIN,
    score_max: float | None = SCORE_MAX,
    as_json: bool = AS_JSON,
) -> None:
    """Ask for one more annotation of each chosen item that has all it needs (items still
    short of theirs are in the queue already); all or nothing: gold questions and items an
    adjudicator decided are refused, by name."""
    with reported():
        chosen = _selection(
            status, annotator, label, text, meta, disagreement, score_min, score_max
        )
    _act(ctx, project, "requeue", ids, every, chosen, as_json)


@app.command("priority")
def priority(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    level: int = typer.Argument(
        ..., help="the new priority, higher served first (a negative one: options, then -- -5)"
    ),
    ids: str | None = IDS,
    every: bool = EVERY,
    status: str | None = STATUS,
    annotator: str | None = ANNOTATOR,
    label: str | None = LABEL,
    text: str | None = TEXT,
    meta: list[str] | None = META,
    disagreement: str | None = DISAGREEMENT,
    score_min: float | None = SCORE_MIN,
    score_max: float | None = SCORE_MAX,
    as_json: bool = AS_JSON,
) -> None:
    """Give the chosen items a priority: among items as far along, higher is served
    first."""
    with reported():
        chosen = _selection(
            status, annotator, label, text, meta, disagreement, score_min, score_max
        )
    _act(ctx, project, "priority", ids, every, chosen, as_json, priority=level)


@app.command("delete")
def delete(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    ids: str | None = IDS,
    every: bool = EVERY,
    status: str | None = STATUS,
    annotator: str | None = ANNOTATOR,
    label: str | None = LABEL,
    text: str | None = TEXT,
    meta: list[str] | None = META,
    disagreement: str | None = DISAGREEMENT,
    score_min: float | None = SCORE_MIN,
    score_max: float | None = SCORE_MAX,
    as_json: bool = AS_JSON,
) -> None:
    """Delete the chosen items, all or nothing: refused, naming them, if any has
    annotations, a live lease, is gold or has other work kept for it."""
    with reported():
        chosen = _selection(
            status, annotator, label, text, meta, disagreement, score_min, score_max
        )
    _act(ctx, project, "delete", ids, every, chosen, as_json)
