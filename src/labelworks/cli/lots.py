"""``labelworks lots``: lots of annotations judged by acceptance sampling — make a lot
(its exact plan and drawn sample), list lots, show one with its sample and decision, and
record an auditor's verdict on a sampled annotation."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

import typer
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state, utc_or_none
from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.moments import stored_utc
from labelworks.services import lots as lot_service
from labelworks.services.lots import LotRow, LotView, SampleRow

app = typer.Typer(
    help="Lots: acceptance sampling of a batch of annotations (an import, a vendor, dates)."
)

MAX_ID = 2**31 - 1  # ids are 32-bit columns on PostgreSQL
PREVIEW = 200  # characters of an item's content shown per sample


class Verdict(StrEnum):
    OK = "ok"
    DEFECT = "defect"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _short(text: str) -> str:
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def _preview(payload: dict[str, Any] | None) -> str:
    """The item's content on one line: its text values as they read, the rest as JSON."""
    if payload is None:
        return "(set aside)"
    parts = [
        f"{key}: {value if isinstance(value, str) else _compact(value)}"
        for key, value in payload.items()
    ]
    return _short(" · ".join(parts)) or "(no content)"


def _answer(value: dict[str, Any] | None) -> str:
    if value is None:
        return "(set aside)"
    return _short(
        "; ".join(f"{k}: {v if isinstance(v, str) else _compact(v)}" for k, v in value.items())
    )


def _moment(text: str | None, option: str) -> datetime | None:
    """A date or date and time (UTC unless it carries an offset), as storage keeps it."""
    if text is None:
        return None
    try:
        return stored_utc(text)
    except ValueError:
        raise InvalidInput(
            f"not a date: '{text}' (use 2026-01-31 or 2026-01-31T12:00)",
            location=Location(file=option),
        ) from None


def _lot_dict(lot: LotRow) -> dict[str, Any]:
    return {
        "id": lot.id,
        "name": lot.name,
        "selector": lot.selector,
        "size": lot.size,
        "plan": lot.plan,
        "status": lot.status,
        "decision": lot.decision,
        "created_at": utc_or_none(lot.created_at),
        "decided_at": utc_or_none(lot.decided_at),
    }


def _sample_dict(s: SampleRow) -> dict[str, Any]:
    return {
        "annotation_id": s.annotation_id,
        "item_id": s.item_id,
        "payload": s.payload,
        "value": s.value,
        "verdict": s.verdict,
        "note": s.note,
    }


def _selection(selector: dict[str, Any]) -> str:
    parts = [f"{k.replace('_id', '')} {v}" for k, v in selector.items() if v is not None]
    return ", ".join(parts) or "-"


@app.command("create")
def create(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    name: str = typer.Argument(..., help="the lot's name"),
    aql: float = typer.Option(..., "--aql", help="acceptable quality level (a defect rate)"),
    ltpd: float = typer.Option(..., "--ltpd", help="lot tolerance percent defective (a rate)"),
    import_id: int | None = typer.Option(
        None, "--import", min=1, max=MAX_ID, help="the annotations of this import's items"
    ),
    vendor: str | None = typer.Option(None, "--vendor", help="the annotations of its people"),
    since: str | None = typer.Option(None, "--since", help="annotated at or after (UTC)"),
    until: str | None = typer.Option(None, "--until", help="annotated before (UTC)"),
    producer_risk: float = typer.Option(0.05, "--producer-risk", help="α, P(reject) at AQL"),
    consumer_risk: float = typer.Option(0.10, "--consumer-risk", help="β, P(accept) at LTPD"),
    seed: int | None = typer.Option(None, "--seed", min=0, help="repeatable sample draw"),
) -> None:
    """Make a lot of the annotations selected, compute its exact sampling plan and draw the
    sample to audit; prints the plan in words."""
    with reported():
        lot = lot_service.create_lot(
            state(ctx).database(),
            project,
            name=name,
            aql=aql,
            ltpd=ltpd,
            import_id=import_id,
            vendor=vendor,
            since=_moment(since, "--since"),
            until=_moment(until, "--until"),
            producer_risk=producer_risk,
            consumer_risk=consumer_risk,
            seed=seed,
        )
        view = lot_service.lot_view(state(ctx).database(), project, lot.id)
    console.print(
        f"lot {lot.id} '{escape(lot.name)}' of {escape(project)}: {lot.size} annotations",
        highlight=False,
    )
    console.print(Text(view.summary))
    console.print(f"audit it: labelworks lots show {escape(project)} {lot.id}", highlight=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The project's lots, oldest first: status, size, plan and progress."""
    with reported():
        db = state(ctx).database()
        views = [
            lot_service.lot_view(db, project, r.id) for r in lot_service.project_lots(db, project)
        ]
    if as_json:
        rows = [{**_lot_dict(v.lot), "audited": v.audited, "defects": v.defects} for v in views]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not views:
        console.print(f"no lots in {escape(project)}")
        return
    table = Table(title=f"{escape(project)}: lots")
    table.add_column("id", justify="right")
    table.add_column("name", overflow="fold")
    table.add_column("status")
    table.add_column("size", justify="right")
    table.add_column("plan n/c", justify="right")
    table.add_column("audited", justify="right")
    table.add_column("defects", justify="right")
    table.add_column("selects", overflow="fold")
    for v in views:
        lot, n = v.lot, len(v.samples)
        style = {"accepted": "green", "rejected": "red"}.get(lot.status, "")
        table.add_row(
            str(lot.id),
            Text(lot.name),
            Text(lot.status, style=style),
            str(lot.size),
            f"{lot.plan['sample_size']}/{lot.plan['acceptance_number']}",
            f"{v.audited} of {n}",
            str(v.defects),
            Text(_selection(lot.selector)),
        )
    console.print(table)


def _lot_view(v: LotView) -> Group:
    lot = v.lot
    plan = lot.plan
    lines: list[Text] = [
        Text(f"lot {lot.id} · {lot.name} · {lot.status}", style="bold"),
        Text(f"  selects  {_selection(lot.selector)} ({lot.size} annotations)"),
        Text(f"  plan     n={plan['sample_size']}, c={plan['acceptance_number']}: {v.summary}"),
        Text(f"  progress {v.audited} of {len(v.samples)} audited, {v.defects} defective"),
    ]
    if lot.decision is not None:
        d = lot.decision
        lines.append(
            Text(
                f"  decision {'ACCEPTED' if d.get('accepted') else 'REJECTED'}: "
                f"{d.get('summary', '')}",
                style="green" if d.get("accepted") else "red",
            )
        )
        if "rate_upper_bound" in d:
            lines.append(
                Text(f"  evidence defect rate at most {float(d['rate_upper_bound']):.2%} (95%)")
            )
    lines.append(Text(""))
    for s in v.samples:
        mark = {"ok": ("ok", "green"), "defect": ("DEFECT", "red")}.get(
            s.verdict or "", ("to audit", "yellow")
        )
        head = Text(f"annotation {s.annotation_id}", style="bold")
        head.append(f" · item {s.item_id if s.item_id is not None else '-'} · ")
        head.append(mark[0], style=mark[1])
        lines += [
            head,
            Text(f"  item   {_preview(s.payload)}"),
            Text(f"  answer {_answer(s.value)}"),
        ]
        if s.note:
            lines.append(Text(f"  note   {_short(s.note)}"))
    return Group(*lines)


@app.command("show")
def show(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    lot_id: int = typer.Argument(..., min=1, max=MAX_ID, help="the lot's id"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """One lot: its plan in words, progress, each sampled annotation with its item and
    verdict, and the decision with its evidence once decided."""
    with reported():
        v = lot_service.lot_view(state(ctx).database(), project, lot_id)
    if as_json:
        out = {
            **_lot_dict(v.lot),
            "summary": v.summary,
            "audited": v.audited,
            "defects": v.defects,
            "samples": [_sample_dict(s) for s in v.samples],
        }
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    console.print(_lot_view(v))


@app.command("audit")
def audit(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    lot_id: int = typer.Argument(..., min=1, max=MAX_ID, help="the lot's id"),
    annotation_id: int = typer.Argument(..., min=1, max=MAX_ID, help="a sampled annotation"),
    verdict: Verdict = typer.Argument(..., help="ok or defect"),
    note: str = typer.Option("", "--note", help="a note kept with the verdict"),
) -> None:
    """Mark one sampled annotation ok or defective; the last verdict decides the lot."""
    with reported():
        lot = lot_service.audit_sample(
            state(ctx).database(),
            project,
            lot_id,
            annotation_id,
            defect=verdict is Verdict.DEFECT,
            note=note,
        )
    console.print(f"annotation {annotation_id} of lot {lot_id}: {verdict.value}", highlight=False)
    if lot.status == "auditing":
        return
    d = lot.decision or {}
    if lot.status == "accepted":
        console.print(f"lot {lot_id} ACCEPTED: {escape(str(d.get('summary', '')))}")
    else:
        console.print(
            f"lot {lot_id} REJECTED: {escape(str(d.get('summary', '')))} "
            "Its annotations were set aside for their annotators to redo."
        )
