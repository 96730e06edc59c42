"""Importing items from JSONL, CSV or Parquet: streamed, de-duplicated, all-or-nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Literal

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidImport
from labelworks.domain.schema import required_payload_keys, validate_annotation
from labelworks.pipelines.content_hash import compact_json
from labelworks.pipelines.prefetch import read_ahead
from labelworks.pipelines.rows import ImportRow, read_rows
from labelworks.services import routing
from labelworks.services.access import project_for
from labelworks.services.campaigns import campaign_stream, refresh_adaptive
from labelworks.services.external_ids import ExternalIds
from labelworks.services.history_import import HistoryImport
from labelworks.services.predictions import check_for
from labelworks.services.project_archive import refuse_archived
from labelworks.services.specs import stored_spec
from labelworks.storage import gold as gold_store
from labelworks.storage import items as item_store
from labelworks.storage import predictions as prediction_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.items import NewItem
from labelworks.storage.predictions import StoredPrediction
from labelworks.storage.projects import ProjectRow

ImportFormat = Literal["jsonl", "json", "csv", "parquet"]
# A file's format, told by its name's suffix (the CLI's file, the web page's upload).
SUFFIXES: dict[str, ImportFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
}


def format_of_name(name: str) -> ImportFormat:
    """The import format a file's name says (case aside), or ``InvalidImport``."""
    dot = name.rfind(".")
    found = SUFFIXES.get(name[dot:].lower()) if dot > 0 else None
    if found is None:
        raise InvalidImport(
            f"cannot tell the format of {name}; name it .jsonl, .json, .csv or .parquet"
        )
    return found


@dataclass(frozen=True, slots=True)
class ImportSummary:
    project: str
    source: str
    rows: int
    inserted: int
    skipped_duplicates: int
    import_id: int
    # Finished annotations restored with the items, and annotators created for them.
    annotations: int = 0
    created_annotators: tuple[str, ...] = ()


def _batches(rows: Iterator[ImportRow], size: int) -> Iterator[list[ImportRow]]:
    """Batches of ``size`` rows; a bad row ends the stream after the rows before it.

    Those rows are handed on first so that the checks that need the database (external
    ids) run on them: the error reported is the first bad row's, whichever check finds it.
    """
    batch: list[ImportRow] = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) == size:
                yield batch
                batch = []
    except InvalidImport:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def _json(value: Any) -> str:
    # A prebuilt encoder (json.dumps with options builds a new one per call, which at import
    # volumes costs more than the insert) that keeps the payload's own key order.
    return compact_json(value) if value else "{}"


def import_items(
    db: Database,
    project_name: str,
    stream: BinaryIO,
    *,
    format: ImportFormat,
    source: str,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
    actor: Actor | None = None,
    create_annotators: bool = False,
) -> ImportSummary:
    """Import every row of ``stream`` into the project, or nothing at all.

    The whole import is one transaction: the first malformed row raises ``InvalidImport``
    naming the file, line and field, and the database is left as it was. Rows whose payload
    the project already has (same content hash) are counted as skipped duplicates. Rows'
    ``annotations`` (an export's history) are restored as submitted work
    (``services.history_import``); an annotator who is not a user is refused unless
    ``create_annotators``.
    """
    # Not retried: the stream cannot be read twice.
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE, for_update=True)
        refuse_archived(project, "imports")
        history = _History(create_annotators, actor, db.cache_scope)
        return _import(conn, project, stream, format, source, progress, batch_size, history)


@dataclass(frozen=True, slots=True)
class _History:
    """How an import restores rows' annotations (``services.history_import``)."""

    create_annotators: bool = False
    actor: Actor | None = None
    cache_scope: str = ""


def _import(
    conn: Connection,
    project: ProjectRow,
    stream: BinaryIO,
    fmt: ImportFormat,
    source: str,
    progress: Callable[[int], None] | None,
    batch_size: int,
    options: _History,
) -> ImportSummary:
    now = utcnow()
    spec = stored_spec(project.spec)
    fields = spec.fields
    # A campaign's prompts and outputs become its blind comparison items first.
    stream, fmt = campaign_stream(stream, spec, fmt, source)

    def check_pre_annotation(value: Any, payload: Any) -> None:
        validate_annotation(fields, value, payload)

    rows = read_rows(
        stream,
        format=fmt,
        source=source,
        required_keys=required_payload_keys(fields),
        validate_pre_annotation=check_pre_annotation,
        parse_prediction=check_for(fields),
    )
    import_id = item_store.start_import(conn, project.id, source=source, fmt=fmt, now=now)
    before = item_store.count_items(conn, project.id)
    ids = ExternalIds(conn, project.id, import_id, source, prior=before > 0)
    history = HistoryImport(
        conn,
        project,
        import_id,
        source=source,
        create_annotators=options.create_annotators,
        actor=options.actor,
        now=now,
        cache_scope=options.cache_scope,
    )
    total = inserted = 0
    predicted: set[tuple[str, str]] = set()
    batches = read_ahead(_batches(rows, batch_size))
    with item_store.bulk_load(conn), closing(batches):
        for batch in batches:
            inserted += ids.insert(batch, [_new_item(r) for r in batch], now)
            _store_pre_annotations(conn, project.id, import_id, batch)
            predicted |= _store_predictions(conn, project.id, import_id, batch, now)
            _store_gold(conn, project.id, import_id, batch, now)
            history.store(batch)
            total += len(batch)
            if progress is not None:
                progress(len(batch))
    history.finish()
    refresh_adaptive(conn, project.id, spec)
    shown = spec.predictions
    if predicted and shown is not None:
        prediction_store.refresh_suggestions(conn, project.id, sorted(predicted), shown)
    routing.route_import(conn, project.id, spec, import_id)
    item_store.finish_import(conn, import_id, rows=total, inserted=inserted)
    return ImportSummary(
        project=project.name,
        source=source,
        rows=total,
        inserted=inserted,
        skipped_duplicates=total - inserted,
        import_id=import_id,
        annotations=history.restored,
        created_annotators=tuple(history.created),
    )


def _new_item(r: ImportRow) -> NewItem:
    return NewItem(
        external_id=r.external_id,
        payload=r.payload_json if r.payload_json is not None else _json(r.payload),
        metadata=_json(r.metadata),
        content_hash=r.content_hash,
        line=r.line,
    )


def _store_pre_annotations(
    conn: Connection, project_id: int, import_id: int, batch: list[ImportRow]
) -> None:
    with_pre = [r for r in batch if r.pre_annotations]
    if not with_pre:
        return
    created = item_store.ids_for_hashes(
        conn, project_id, import_id, [r.content_hash for r in with_pre]
    )
    records = []
    for r in with_pre:
        # Only the row that created the item brings its predictions, not a later duplicate.
        item_id, line = created.get(r.content_hash, (None, None))
        if item_id is None or line != r.line:
            continue
        for p in r.pre_annotations:
            records.append(
                {"item_id": item_id, "model": p.model, "score": p.score, "value": _json(p.value)}
            )
    item_store.insert_pre_annotations(conn, records)


def _store_predictions(
    conn: Connection, project_id: int, import_id: int, batch: list[ImportRow], now: datetime
) -> set[tuple[str, str]]:
    """Store the predictions of the rows that created their item; the model versions seen."""
    with_predictions = [r for r in batch if r.predictions]
    if not with_predictions:
        return set()
    created = item_store.ids_for_hashes(
        conn, project_id, import_id, [r.content_hash for r in with_predictions]
    )
    records: list[StoredPrediction] = []
    for r in with_predictions:
        item_id, line = created.get(r.content_hash, (None, None))
        if item_id is not None and line == r.line:
            records.extend(StoredPrediction(item_id, p) for p in r.predictions)
    prediction_store.insert_new(conn, project_id, records, now)
    return {(r.prediction.model, r.prediction.version) for r in records}


def _store_gold(
    conn: Connection, project_id: int, import_id: int, batch: list[ImportRow], now: datetime
) -> None:
    """Make the items whose rows carry ``gold`` gold questions (only the row that created
    the item: a duplicate row does not turn an existing item into gold)."""
    with_gold = [r for r in batch if r.gold is not None]
    if not with_gold:
        return
    created = item_store.ids_for_hashes(
        conn, project_id, import_id, [r.content_hash for r in with_gold]
    )
    rows = []
    for r in with_gold:
        item_id, line = created.get(r.content_hash, (None, None))
        if item_id is not None and line == r.line:
            rows.append((item_id, _json(r.gold), r.gold_explanation))
    gold_store.mark_many(conn, project_id, rows, now)
