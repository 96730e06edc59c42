"""Evaluation campaigns (spec ``evaluation``): importing prompts with models' outputs as the
blind comparison (or rating) items people judge, and, for ``pairs: adaptive``, serving
first the pairs whose ratings are least certain.

An import into a project with a campaign reads rows ``{"id", "prompt", "outputs",
"metadata"?}`` (JSONL or a JSON array) and imports the items ``domain.campaign.plan_items``
makes of them, in the same all-or-nothing transaction as any import; a bad row is refused
with its file, line and key.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from typing import Any, BinaryIO

from sqlalchemy import Connection

from labelworks.domain.campaign import (
    CAMPAIGN_KEY,
    CampaignRow,
    CampaignSpec,
    InvalidCampaignRow,
    campaign_field,
    parse_campaign_row,
    plan_items,
)
from labelworks.domain.errors import InvalidImport, InvalidInput, Location
from labelworks.domain.schema import required_payload_keys
from labelworks.domain.spec import ProjectSpec
from labelworks.formats.json_input import load_json
from labelworks.formats.lines import iter_line_batches
from labelworks.pipelines.rows import ImportFormat
from labelworks.services.specs import stored_spec
from labelworks.stats.pair_sampling import pair_priorities
from labelworks.storage import campaigns as campaign_store
from labelworks.storage import projects as project_store
from labelworks.storage import routing as routing_store
from labelworks.storage.engine import Database

__all__ = ["campaign_stream", "read_campaign_rows", "refresh_adaptive", "refresh_due_campaigns"]

# Adaptive priorities use routing's range (domain.routing): the highest goes first.
TOP_PRIORITY = 10_000
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def campaign_stream(
    stream: BinaryIO, spec: ProjectSpec, fmt: ImportFormat, source: str
) -> tuple[BinaryIO, ImportFormat]:
    """The stream to import: for a campaign project, its rows planned into items (as
    JSONL); for any other project, ``stream`` itself."""
    campaign = spec.evaluation
    if campaign is None:
        return stream, fmt
    if fmt not in ("jsonl", "json"):
        raise InvalidImport(
            f"a campaign's prompts and outputs are imported from JSONL or a JSON array, not "
            f"{fmt.upper()}",
            location=Location(file=source),
        )
    rows = read_campaign_rows(stream, campaign, fmt, source)
    field = campaign_field(campaign, spec.fields)
    keys = (
        (field.prompt_source, field.a_source, field.b_source)
        if field is not None
        else (None, "a", "b")
    )
    planned = plan_items(rows, campaign, pairwise_keys=keys)
    filled = set(planned[0].payload) if planned else set()
    missing = sorted(set(required_payload_keys(spec.fields)) - filled)
    if missing:
        raise InvalidImport(
            f"the campaign's items hold {', '.join(sorted(filled))}, but the project's fields "
            f"also read '{missing[0]}': point those fields at the campaign's keys",
            location=Location(file=source),
        )
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    for item in planned:
        record = {"external_id": item.external_id, "payload": item.payload,
                  "metadata": item.metadata}  # fmt: skip
        spool.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    spool.seek(0)
    return spool, "jsonl"  # type: ignore[return-value]


def read_campaign_rows(
    stream: BinaryIO,
    campaign: CampaignSpec,
    fmt: ImportFormat,
    source: str,
    *,
    min_outputs: int | None = None,
) -> list[CampaignRow]:
    """A campaign's input rows, each checked (``InvalidImport`` naming the file, line and
    key); ids unique."""
    found: list[tuple[int, Any]] = []
    if fmt == "json":
        data = load_json(stream.read(), source=source)
        if type(data) is not list:
            raise InvalidImport(
                "a JSON campaign file is an array of rows", location=Location(file=source)
            )
        found = [(index + 1, obj) for index, obj in enumerate(data)]
    else:
        for first, lines in iter_line_batches(stream, source=source, max_row_bytes=1 << 24):
            for offset, text in enumerate(lines):
                if text.strip():
                    found.append((first + offset, _line(text, source, first + offset)))
    rows: list[CampaignRow] = []
    seen: dict[str, int] = {}
    for line, obj in found:
        try:
            row = parse_campaign_row(obj, campaign, min_outputs=min_outputs)
        except InvalidCampaignRow as exc:
            raise InvalidImport(
                exc.message, location=Location(file=source, line=line, field=exc.where or None)
            ) from None
        if row.id in seen:
            raise InvalidImport(
                f"id '{row.id}' is used twice (first on line {seen[row.id]})",
                location=Location(file=source, line=line, field="id"),
            )
        seen[row.id] = line
        rows.append(row)
    if not rows:
        raise InvalidImport(f"{source} has no rows", location=Location(file=source))
    return rows


def _line(text: str, source: str, line: int) -> Any:
    try:
        return load_json(text.encode(), source=source)
    except InvalidInput as exc:
        raise InvalidImport(exc.message, location=Location(file=source, line=line)) from None


def refresh_adaptive(conn: Connection, project_id: int, spec: ProjectSpec) -> int:
    """Give an adaptive campaign's waiting comparisons the priority of their pair (the
    least certain pair first); how many items were set."""
    campaign = spec.evaluation
    if campaign is None or campaign.mode != "pairwise" or campaign.pairs != "adaptive":
        return 0
    field = campaign_field(campaign, spec.fields)
    assert field is not None  # the spec's check holds it
    battles = [
        (left, right, winner)
        for left, right, winner in campaign_store.outcomes(conn, project_id, field.name)
        if left in campaign.models and right in campaign.models
    ]
    scores = pair_priorities(campaign.models, battles)
    top = max(scores.values(), default=0.0) or 1.0
    levels = []
    for item_id, metadata in campaign_store.waiting(conn, project_id):
        record = metadata.get(CAMPAIGN_KEY) or {}
        left, right = record.get("left"), record.get("right")
        if not isinstance(left, str) or not isinstance(right, str):
            continue
        score = scores.get((left, right) if left <= right else (right, left), 0.0)
        levels.append((item_id, max(1, round(TOP_PRIORITY * score / top))))
    routing_store.set_priorities(conn, project_id, levels)
    return len(levels)


def refresh_due_campaigns(db: Database, log: Callable[[str], None] | None = None) -> None:
    """The queue's minute check: every adaptive campaign's waiting pairs reordered by what
    the votes so far leave least certain."""
    with db.read() as conn:
        found = [
            (row.id, stored_spec(row.spec))
            for row in project_store.all_projects(conn)
            if '"adaptive"' in row.spec
        ]
    for project_id, spec in found:

        def work(conn: Connection, pid: int = project_id, s: ProjectSpec = spec) -> int:
            return refresh_adaptive(conn, pid, s)

        done = db.run_write(work)
        if log is not None and done:
            log(f"project {project_id}: {done} adaptive comparisons reordered")
