"""Builders for service tests: a project, its people and its items, made through services."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.services import users as user_service
from labelworks.storage.engine import Database

SENTIMENT: dict[str, Any] = {
    "name": "sentiment",
    "description": "Sentiment of product reviews",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative", "neutral"]}
    ],
    "overlap": 2,
    "lease_minutes": 30,
}


def make_project(db: Database, **overrides: Any) -> str:
    spec = spec_from_dict({**SENTIMENT, **overrides})
    project_service.apply_spec(db, spec, guidelines="# Rules\nBe kind.")
    return spec.name


def add_annotators(db: Database, project: str, n: int, prefix: str = "ann") -> list[int]:
    return [
        user_service.add_user(
            db, f"{prefix}{i}@example.com", role="annotator", projects=[project]
        ).user.id
        for i in range(n)
    ]


def jsonl(rows: Sequence[dict[str, Any]]) -> io.BytesIO:
    return io.BytesIO("".join(json.dumps(r) + "\n" for r in rows).encode())


def load_texts(db: Database, project: str, texts: Sequence[str]) -> ingestion.ImportSummary:
    return ingestion.import_items(
        db, project, jsonl([{"text": t} for t in texts]), format="jsonl", source="items.jsonl"
    )
