"""What the source tests share: a project that shows images and one that shows audio, and
the payloads a project holds, in import order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from labelworks.domain.spec import spec_from_dict
from labelworks.services import projects as project_service
from labelworks.services.object_store import S3Options
from labelworks.services.sources import SourceRequest, SourceSummary, import_source
from labelworks.storage.engine import Database
from labelworks.storage.tables import items, projects

PHOTOS: dict[str, Any] = {
    "name": "photos",
    "fields": [
        {"name": "objects", "kind": "boxes", "labels": ["cat", "dog"], "source": "image"},
        {"name": "quality", "kind": "choice", "labels": ["good", "bad"], "source": "image"},
    ],
}
CALLS: dict[str, Any] = {
    "name": "calls",
    "fields": [{"name": "turns", "kind": "segments", "labels": ["agent", "caller"]}],
}


def make(db: Database, spec: dict[str, Any]) -> str:
    project_service.apply_spec(db, spec_from_dict(spec), guidelines=None)
    return str(spec["name"])


def payloads(db: Database, project: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        pid = conn.execute(select(projects.c.id).where(projects.c.name == project)).scalar_one()
        rows = conn.execute(
            select(items.c.payload).where(items.c.project_id == pid).order_by(items.c.id)
        ).scalars()
        return [json.loads(r) for r in rows]


def run(
    db: Database,
    project: str,
    url: str,
    data_dir: Path,
    *,
    endpoint: str | None = None,
    **options: Any,
) -> SourceSummary:
    request = SourceRequest(url=url, s3=S3Options(endpoint_url=endpoint), **options)
    return import_source(db, project, request, data_dir=data_dir)
