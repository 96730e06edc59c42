"""An aggregated label per item for exports (``--aggregate``): what majority vote or
Dawid–Skene makes of the annotations an item has so far, with its confidence, decided by
the same ``domain.consensus.decide`` (and models fitted by ``labelworks.stats``) that final
labels use. Unlike a final label it is computed at export time for every annotated item,
whatever the project's quality settings, from the annotations the caller may see."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.consensus import FieldModel, Vote, decide
from labelworks.domain.errors import InvalidInput
from labelworks.domain.spec import ProjectSpec
from labelworks.formats.json_text import RawJson
from labelworks.services.consensus import fit_models
from labelworks.storage import consensus as consensus_store
from labelworks.storage import export_rows

AGGREGATES = ("majority", "dawid_skene")


class Aggregator:
    """Decides the items of one export page at a time; Dawid–Skene's models are fitted
    once, on every annotation the caller may see, before the first page."""

    def __init__(self, spec: ProjectSpec, method: str, models: Mapping[str, FieldModel]):
        self.spec, self.method, self.models = spec, method, models

    def page(
        self, conn: Connection, project_id: int, after: int, last: int, only_vendor: str | None
    ) -> dict[int, RawJson]:
        """Each annotated item of ``(after, last]`` with its aggregate as JSON text."""
        votes: dict[int, list[Vote]] = {}
        for item, annotator, value in export_rows.page_votes(
            conn, project_id, after_id=after, last_id=last, only_vendor=only_vendor
        ):
            votes.setdefault(item, []).append(Vote(annotator, json.loads(value)))
        out = {}
        for item, given in votes.items():
            decision = decide(self.spec.fields, given, self.method, self.models)
            body: dict[str, Any] = {
                "method": self.method,
                "value": decision.value,
                "confidence": decision.confidence,
                "fields": decision.fields,
                "n_annotations": len(given),
            }
            out[item] = RawJson(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        return out


def aggregator(
    conn: Connection, project_id: int, spec: ProjectSpec, method: str, only_vendor: str | None
) -> Aggregator:
    """The aggregator of ``method`` for the project, its models fitted where it needs them."""
    if method not in AGGREGATES:
        raise InvalidInput(f"unknown aggregate '{method}' (use {', '.join(AGGREGATES)})")
    models: Mapping[str, FieldModel] = {}
    if method == "dawid_skene":
        models = fit_models(
            spec, list(consensus_store.project_votes(conn, project_id, only_vendor))
        )
    return Aggregator(spec, method, models)
