"""Language models' replies (``llm_replies``): what judges and generations were told, kept
per distinct request so a re-run asks again only for what failed, and read back for
calibration, listings and predictions."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from labelworks.storage.model_tables import llm_replies
from labelworks.storage.sql import read_time
from labelworks.storage.tables import items

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Reply:
    """One request's outcome, as stored (``item_id`` None: about a campaign input row,
    ``row_key``)."""

    item_id: int | None
    swapped: bool
    prompt: str
    prompt_version: int
    model: str
    request_hash: str
    status: str
    text: str | None
    parsed: Any
    error: str | None
    attempts: int
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float
    row_key: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSummary:
    """Counts of a task's stored replies (every prompt version and model)."""

    task: str
    ok: int
    malformed: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    last: datetime | None


@dataclass(frozen=True, slots=True)
class CampaignItem:
    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    metadata: dict[str, Any]


def answered(conn: Connection, project_id: int, task: str) -> set[str]:
    """The request hashes of the task that have an answer (ok or malformed): not asked again."""
    query = select(llm_replies.c.request_hash).where(
        llm_replies.c.project_id == project_id,
        llm_replies.c.task == task,
        llm_replies.c.status != "failed",
    )
    return {str(h) for h in conn.execute(query).scalars()}


def save(
    conn: Connection,
    project_id: int,
    task: str,
    replies: Sequence[Reply],
    job_id: int | None,
    now: datetime,
) -> None:
    """Store ``replies``, replacing earlier rows of the same requests (failed attempts)."""
    for start in range(0, len(replies), CHUNK):
        chunk = replies[start : start + CHUNK]
        conn.execute(
            delete(llm_replies).where(
                llm_replies.c.project_id == project_id,
                llm_replies.c.task == task,
                llm_replies.c.request_hash.in_([r.request_hash for r in chunk]),
            )
        )
        conn.execute(
            insert(llm_replies),
            [_record(project_id, task, r, job_id, now) for r in chunk],
        )


def _record(
    project_id: int, task: str, r: Reply, job_id: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "task": task,
        "item_id": r.item_id,
        "row_key": r.row_key,
        "swapped": r.swapped,
        "prompt": r.prompt,
        "prompt_version": r.prompt_version,
        "model": r.model,
        "request_hash": r.request_hash,
        "status": r.status,
        "text": r.text,
        "parsed": None if r.parsed is None else json.dumps(r.parsed),
        "error": r.error,
        "attempts": r.attempts,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "seconds": r.seconds,
        "job_id": job_id,
        "created_at": now,
    }


def latest_setup(conn: Connection, project_id: int, task: str) -> tuple[str, int, str] | None:
    """(prompt, version, model) of the task's newest reply: the setup its figures describe."""
    row = conn.execute(
        select(llm_replies.c.prompt, llm_replies.c.prompt_version, llm_replies.c.model)
        .where(llm_replies.c.project_id == project_id, llm_replies.c.task == task)
        .order_by(llm_replies.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (str(row[0]), int(row[1]), str(row[2]))


def replies(
    conn: Connection, project_id: int, task: str, setup: tuple[str, int, str]
) -> Iterator[Reply]:
    """The task's replies made with ``setup`` (prompt, version, model), oldest first (a
    later reply to the same item and order replaces an earlier one for the reader)."""
    prompt, version, model = setup
    query = (
        select(llm_replies)
        .where(
            llm_replies.c.project_id == project_id,
            llm_replies.c.task == task,
            llm_replies.c.prompt == prompt,
            llm_replies.c.prompt_version == version,
            llm_replies.c.model == model,
        )
        .order_by(llm_replies.c.id)
    )
    for row in conn.execute(query, execution_options={"yield_per": 5000}):
        yield Reply(
            item_id=None if row.item_id is None else int(row.item_id),
            row_key=row.row_key,
            swapped=bool(row.swapped),
            prompt=row.prompt,
            prompt_version=int(row.prompt_version),
            model=row.model,
            request_hash=row.request_hash,
            status=row.status,
            text=row.text,
            parsed=None if row.parsed is None else json.loads(row.parsed),
            error=row.error,
            attempts=int(row.attempts),
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            seconds=float(row.seconds),
        )


def summaries(conn: Connection, project_id: int, prefix: str) -> dict[str, TaskSummary]:
    """Per task starting with ``prefix`` (``judge:``), its replies' counts and tokens."""
    c = llm_replies.c
    query = (
        select(
            c.task,
            c.status,
            func.count(),
            func.coalesce(func.sum(c.prompt_tokens), 0),
            func.coalesce(func.sum(c.completion_tokens), 0),
            func.max(c.created_at),
        )
        .where(c.project_id == project_id, c.task.startswith(prefix, autoescape=True))
        .group_by(c.task, c.status)
    )
    found: dict[str, dict[str, Any]] = {}
    for task, status, n, prompt_tokens, completion_tokens, last in conn.execute(query):
        entry = found.setdefault(
            task, {"ok": 0, "malformed": 0, "failed": 0, "pt": 0, "ct": 0, "last": None}
        )
        entry[status] = int(n)
        entry["pt"] += int(prompt_tokens)
        entry["ct"] += int(completion_tokens)
        when = None if last is None else read_time(last)
        if when is not None and (entry["last"] is None or when > entry["last"]):
            entry["last"] = when
    return {
        task: TaskSummary(task, e["ok"], e["malformed"], e["failed"], e["pt"], e["ct"], e["last"])
        for task, e in found.items()
    }


def item_ids(conn: Connection, project_id: int, *, gold: bool) -> list[int]:
    """Ids of the project's items in order; gold items too when ``gold``."""
    query = select(items.c.id).where(items.c.project_id == project_id).order_by(items.c.id)
    if not gold:
        query = query.where(~items.c.gold)
    return [int(i) for i in conn.execute(query).scalars()]


def items_by_id(conn: Connection, ids: Sequence[int]) -> list[CampaignItem]:
    """The items ``ids`` (in that order) with their payload and metadata."""
    query = select(items.c.id, items.c.external_id, items.c.payload, items.c.metadata).where(
        items.c.id.in_(list(ids))
    )
    found = {
        int(r.id): CampaignItem(
            int(r.id), r.external_id, json.loads(r.payload), json.loads(r.metadata)
        )
        for r in conn.execute(query)
    }
    return [found[i] for i in ids if i in found]
