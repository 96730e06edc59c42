"""Delivering a project: its final labels and a quality report written to a directory, all
or nothing, once the acceptance criteria are met (or past them, recorded as forced).

A delivery directory holds ``labels.jsonl`` and ``labels.parquet`` (one row per ordinary
item; ``formats.delivery``), ``quality_report.json`` (``AcceptanceReport.to_dict``),
``quality_report.html`` (``formats.quality_report``) and ``delivery.json``, the manifest:
who delivered, when, whether forced, the criteria as measured, and each file's size and
SHA-256. Everything is read in one snapshot and written into a fresh directory beside
``out_dir``, renamed into place only when complete, in the transaction that records the
delivery in ``deliveries``. Gold items are not delivered (they are the test questions).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from labelworks import __version__
from labelworks.domain.acceptance import Criterion, unmet_summary
from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import AcceptanceNotMet, Conflict, InvalidInput
from labelworks.formats.delivery import JsonlLabels, ParquetLabels
from labelworks.formats.quality_report import render_quality_report
from labelworks.services.acceptance import (
    AcceptanceReport,
    acceptance_report,
    acceptance_status,
    measure,
    reader,
)
from labelworks.storage import delivery as store
from labelworks.storage.delivery import Delivery
from labelworks.storage.engine import Database, utcnow

PAGE = 2000
LABELS_JSONL = "labels.jsonl"
LABELS_PARQUET = "labels.parquet"
REPORT_JSON = "quality_report.json"
REPORT_HTML = "quality_report.html"
MANIFEST = "delivery.json"
_DECIDED = ("final", "adjudicated")

__all__ = [
    "AcceptanceReport",
    "Delivery",
    "DeliveryResult",
    "acceptance_report",
    "acceptance_status",
    "deliver",
    "deliveries",
]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """A written delivery: where, how many items, whether the criteria were met or the
    delivery forced past them, and each file with its size in bytes."""

    id: int
    project: str
    path: Path
    items: int
    accepted: bool
    forced: bool
    criteria: list[Criterion]
    files: dict[str, int]
    delivered_by: str
    delivered_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "path": str(self.path),
            "items": self.items,
            "accepted": self.accepted,
            "forced": self.forced,
            "criteria": [c.to_dict() for c in self.criteria],
            "files": dict(self.files),
            "delivered_by": self.delivered_by,
            "delivered_at": _utc(self.delivered_at),
        }


def _utc(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _check_target(out: Path) -> None:
    """``out`` may be new or an empty directory; anything else is refused, naming it."""
    if out.is_symlink():
        raise InvalidInput(f"output directory '{out}' is a symbolic link; name a real directory")
    if not out.exists():
        return
    if not out.is_dir():
        raise InvalidInput(f"output path '{out}' exists and is not a directory")
    if any(out.iterdir()):
        raise Conflict(
            f"output directory '{out}' is not empty; deliver into a new or empty directory"
        )


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode()


def _write_labels(conn: Connection, project_id: int, folder: Path) -> int:
    """Every ordinary item with its final label into both label files; returns the rows."""
    written = 0
    with (folder / LABELS_JSONL).open("wb") as jf, (folder / LABELS_PARQUET).open("wb") as pf:
        jsonl, parquet = JsonlLabels(jf), ParquetLabels(pf)
        after = 0
        while page := store.label_page(conn, project_id, after=after, limit=PAGE):
            last = page[-1].item_id
            missing = any(r.annotation_ids is None for r in page)
            ids = store.annotation_ids(conn, project_id, after=after, last=last) if missing else {}
            for r in page:
                decided = r.status in _DECIDED
                row = {
                    "item_id": r.item_id,
                    "external_id": r.external_id,
                    "payload": json.loads(r.payload),
                    "final": json.loads(r.value) if decided and r.value is not None else None,
                    "method": r.method if decided else None,
                    "confidence": r.confidence if decided else None,
                    "status": r.status,
                    "annotation_ids": r.annotation_ids
                    if r.annotation_ids is not None
                    else ids.get(r.item_id, []),
                }
                jsonl.write(row)
                parquet.write(row)
            written += len(page)
            after = last
        jsonl.close()
        parquet.close()
    return written


def _write_reports(folder: Path, report: dict[str, Any]) -> None:
    (folder / REPORT_JSON).write_bytes(_json_bytes(report))
    (folder / REPORT_HTML).write_text(render_quality_report(report), encoding="utf-8")


def _file_entries(folder: Path) -> dict[str, dict[str, Any]]:
    entries = {}
    for name in (LABELS_JSONL, LABELS_PARQUET, REPORT_JSON, REPORT_HTML):
        data = (folder / name).read_bytes()
        entries[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return entries


def deliver(
    db: Database,
    project_name: str,
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    actor: Actor | None = None,
    operator: str | None = None,
) -> DeliveryResult:
    """Write the project's delivery into ``out_dir`` (new, or an empty directory).

    Refused with ``AcceptanceNotMet``, listing each unmet criterion with its value, unless
    every acceptance criterion is met or ``force`` is given; a forced delivery says so in
    its manifest and its record. Managers and admins outside any vendor; ``operator``
    names a trusted local caller (``actor=None``) in the record, e.g. the CLI's OS user.
    """
    out = Path(out_dir).absolute()
    _check_target(out)
    now = utcnow()
    who = actor.email if actor is not None else (operator or "local operator")
    with db.read(snapshot=True) as conn:
        project = reader(conn, actor, project_name, Action.MANAGE)
        report = measure(conn, project, now)
        if not report.accepted and not force:
            unmet = [c.to_dict() for c in report.criteria if not c.met]
            raise AcceptanceNotMet(
                f"project '{project.name}' does not meet its acceptance criteria: "
                f"{unmet_summary(report.criteria)} (force the delivery to deliver anyway)",
                details={"unmet": unmet},
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.parent / f".{out.name}.{uuid.uuid4().hex[:12]}.partial"
        partial.mkdir()
        try:
            n_items = _write_labels(conn, project.id, partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    forced = not report.accepted
    criteria = [c.to_dict() for c in report.criteria]
    renamed = False
    try:
        with db.write() as conn:
            delivery_id = store.record_delivery(
                conn,
                project_id=project.id,
                path=str(out),
                accepted=report.accepted,
                forced=forced,
                criteria=criteria,
                n_items=n_items,
                by=None if actor is None else actor.id,
                by_name=who,
                now=now,
            )
            _write_reports(
                partial, {**report.to_dict(), "delivery_id": delivery_id, "forced": forced}
            )
            files = _file_entries(partial)
            manifest = {
                "delivery_id": delivery_id,
                "project": project.name,
                "delivered_at": _utc(now),
                "delivered_by": who,
                "accepted": report.accepted,
                "forced": forced,
                "items": n_items,
                "criteria": criteria,
                "files": files,
                "labelworks_version": __version__,
            }
            (partial / MANIFEST).write_bytes(_json_bytes(manifest))
            _check_target(out)
            if out.exists():
                out.rmdir()
            partial.rename(out)
            renamed = True
    except BaseException:
        shutil.rmtree(out if renamed else partial, ignore_errors=True)
        raise
    sizes = {name: entry["bytes"] for name, entry in files.items()}
    sizes[MANIFEST] = (out / MANIFEST).stat().st_size
    return DeliveryResult(
        id=delivery_id,
        project=project.name,
        path=out,
        items=n_items,
        accepted=report.accepted,
        forced=forced,
        criteria=report.criteria,
        files=sizes,
        delivered_by=who,
        delivered_at=now,
    )


def deliveries(db: Database, project_name: str, *, actor: Actor | None = None) -> list[Delivery]:
    """The project's deliveries, newest first: where, when, by whom, accepted or forced."""
    with db.read() as conn:
        project = reader(conn, actor, project_name, Action.REVIEW)
        return store.deliveries_of(conn, project.id)
