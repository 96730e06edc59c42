"""Streaming exports of every item with its annotations, pre-annotations and final label."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from functools import partial
from json.encoder import encode_basestring  # the C encoder that keeps non-ASCII as is
from typing import BinaryIO, Literal

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.assignment import item_status
from labelworks.domain.errors import InvalidInput
from labelworks.domain.privacy import treatment_for
from labelworks.domain.spec import ProjectSpec
from labelworks.formats import CsvFormulas, open_writer
from labelworks.formats.json_text import RawJson, json_array_text, json_object_text, utc_text
from labelworks.services.access import project_for
from labelworks.services.aggregates import aggregator
from labelworks.services.consensus import method_of
from labelworks.services.privacy import (
    metadata_text_for,
    payload_text_for,
    value_text_for,
)
from labelworks.services.specs import stored_spec
from labelworks.storage import export_rows
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database

ExportFormat = Literal["jsonl", "csv", "parquet"]
EXPORT_COLUMNS = (
    "id",
    "external_id",
    "status",
    "created_at",
    "payload",
    "metadata",
    "pre_annotations",
    "annotations",
)
# The column of a project that keeps final labels (exports for callers behind a vendor wall
# leave it out: a final label is decided from every vendor's work).
FINAL_COLUMN = "final"
# The column ``aggregate=`` adds (services/aggregates.py).
AGGREGATE_COLUMN = "aggregate"


def check_export_options(format: ExportFormat, csv_formulas: CsvFormulas) -> None:
    """Refuse ``csv_formulas="raw"`` outside CSV: JSONL and Parquet are always exact, so
    asking for raw cells there is a mistake (say, the wrong format) rather than a choice."""
    if csv_formulas == "raw" and format != "csv":
        raise InvalidInput(
            f"csv_formulas 'raw' applies to csv exports only; {format} exports always hold "
            "the exact text"
        )


def count_for_export(db: Database, project_name: str, *, actor: Actor | None = None) -> int:
    """How many items an export of the project will write (for progress bars)."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        return item_store.count_items(conn, project.id)


def export_project(
    db: Database,
    project_name: str,
    stream: BinaryIO,
    *,
    format: ExportFormat,
    csv_formulas: CsvFormulas = "escape",
    progress: Callable[[int], None] | None = None,
    page_size: int = 2000,
    actor: Actor | None = None,
    aggregate: str | None = None,
) -> int:
    """Write every item of the project to ``stream``; returns the number written.

    Reads keyset pages inside one snapshot, so memory stays flat however large the
    project, and the file is consistent even while annotators keep working.
    Stored JSON text (payloads, metadata, values) goes to the writer as ``RawJson``, never
    decoded. An item with a final label gets a ``final`` key (CSV and Parquet: a ``final``
    column whenever the project keeps final labels), except for callers behind a vendor
    wall. CSV cells a spreadsheet would run as formulas are escaped unless
    ``csv_formulas`` is ``"raw"`` (see ``formats.escape_formula``); ``"raw"`` with another
    format is refused before anything is written. Times go to the writer as datetimes: UTC
    text with a ``Z`` as the API writes it (``formats.utc_text``), in Parquet a UTC
    timestamp column. With ``aggregate`` (``majority`` or ``dawid_skene``), each annotated
    item also gets an ``aggregate`` key: the label that method makes of the annotations the
    caller may see, with its confidence (``services.aggregates``). Payloads, metadata and
    values (pre-annotations, annotations, final labels, aggregates) go out as the project's
    privacy policy lets the caller see them (``services.privacy``).
    """
    check_export_options(format, csv_formulas)
    written = 0
    with db.read(snapshot=True) as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        only_vendor = wall(actor)
        with_final = only_vendor is None and (
            method_of(stored_spec(project.spec)) is not None
            or export_rows.has_final_labels(conn, project.id)
        )
        columns = (*EXPORT_COLUMNS, FINAL_COLUMN) if with_final else EXPORT_COLUMNS
        spec = stored_spec(project.spec)
        decider = None
        if aggregate is not None:
            decider = aggregator(conn, project.id, spec, aggregate, only_vendor)
            columns = (*columns, AGGREGATE_COLUMN)
        writer = open_writer(format, stream, columns, csv_formulas=csv_formulas)
        screen = _screen(actor, spec)
        after = 0
        while True:
            page = export_rows.page_text(conn, project.id, after_id=after, limit=page_size)
            if not page:
                break
            last = page[-1].id
            pre = _pre_annotations(
                export_rows.pre_annotation_texts(conn, project.id, after_id=after, last_id=last),
                screen,
            )
            done = _annotations(
                export_rows.annotation_texts(
                    conn, project.id, after_id=after, last_id=last, only_vendor=only_vendor
                ),
                screen,
            )
            finals = (
                _finals(
                    export_rows.final_label_texts(conn, project.id, after_id=after, last_id=last),
                    screen,
                )
                if with_final
                else {}
            )
            aggregated = (
                {} if decider is None else decider.page(conn, project.id, after, last, only_vendor)
            )
            if screen is not None:
                aggregated = {i: RawJson(screen(text)) for i, text in aggregated.items()}
            for it in page:
                record = {
                    "id": it.id,
                    "external_id": it.external_id,
                    "status": item_status(it.n_submitted, it.n_leased, project.overlap),
                    "created_at": it.created_at,
                    "payload": RawJson(payload_text_for(actor, spec, it.payload)),
                    "metadata": RawJson(metadata_text_for(actor, spec, it.metadata)),
                    "pre_annotations": pre.get(it.id, _NONE),
                    "annotations": done.get(it.id, _NONE),
                }
                if it.id in finals:
                    record[FINAL_COLUMN] = finals[it.id]
                if it.id in aggregated:
                    record[AGGREGATE_COLUMN] = aggregated[it.id]
                writer.write(record)
            written += len(page)
            after = last
            if progress is not None:
                progress(len(page))
        writer.close()
    return written


_NONE = RawJson("[]")
# Masks a stored value's JSON text for a caller the privacy policy redacts for (``None``:
# values go out as stored, untouched).
Screen = Callable[[str], str] | None


def _screen(actor: Actor | None, spec: ProjectSpec) -> Screen:
    if spec.privacy is None or treatment_for(actor, spec.privacy) != "redact":
        return None
    return partial(value_text_for, actor, spec)


def _pre_annotations(
    rows: list[tuple[int, str, float | None, str]], screen: Screen
) -> dict[int, RawJson]:
    """Each item's pre-annotations as one JSON array text, in the order given."""
    grouped: dict[int, list[str]] = {}
    for item_id, model, score, value in rows:
        shown = value if screen is None else screen(value)
        text = json_object_text({"model": model, "score": score, "value": RawJson(shown)})
        grouped.setdefault(item_id, []).append(text)
    return {item_id: json_array_text(texts) for item_id, texts in grouped.items()}


def _annotations(
    rows: list[tuple[int, str, datetime, str, float | None, int | None]], screen: Screen
) -> dict[int, RawJson]:
    """Each item's annotations as one JSON array text, in the order given."""
    grouped: dict[int, list[str]] = {}
    for item_id, email, created_at, value, seconds, version in rows:
        text = json_object_text(
            {
                "annotator": email,
                "created_at": created_at,
                "value": RawJson(value if screen is None else screen(value)),
                "seconds": seconds,
                "guideline_version": version,
            }
        )
        grouped.setdefault(item_id, []).append(text)
    return {item_id: json_array_text(texts) for item_id, texts in grouped.items()}


def _finals(rows: list[export_rows.StoredFinal], screen: Screen = None) -> dict[int, RawJson]:
    """Each item's final label as one JSON object text.

    Written by one format string rather than ``json_object_text`` (half the time, measured):
    the stored JSON texts are compact and hold no line break, which the generic path would
    re-encode; a text that does hold one takes that path.
    """
    out: dict[int, RawJson] = {}
    for f in rows:
        if screen is not None:
            f = f._replace(value=screen(f.value))
        confidence = float.__repr__(f.confidence) if math.isfinite(f.confidence) else "null"
        by = "null" if f.decided_by is None else encode_basestring(f.decided_by)
        text = (
            f'{{"value":{f.value},"method":{encode_basestring(f.method)},'
            f'"confidence":{confidence},"fields":{f.fields},'
            f'"status":{encode_basestring(f.status)},"annotation_ids":{f.annotation_ids},'
            f'"decided_at":"{utc_text(f.decided_at)}","decided_by":{by}}}'
        )
        out[f.item_id] = _final_text(f) if "\n" in text or "\r" in text else RawJson(text)
    return out


def _final_text(f: export_rows.StoredFinal) -> RawJson:
    return json_object_text(
        {
            "value": RawJson(f.value),
            "method": f.method,
            "confidence": f.confidence if math.isfinite(f.confidence) else None,
            "fields": RawJson(f.fields),
            "status": f.status,
            "annotation_ids": RawJson(f.annotation_ids),
            "decided_at": f.decided_at,
            "decided_by": f.decided_by,
        }
    )
