"""Project status: items, completion, annotations, leases, skips, per-annotator counts."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime
from threading import Lock
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, wall
from labelworks.services.access import project_for
from labelworks.storage import assignments as assignment_store
from labelworks.storage import tallies
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.tallies import AnnotatorCounts, ProjectCounts


@dataclass(frozen=True, slots=True)
class ProjectStatus:
    project: str
    overlap: int
    items: int
    complete: int
    annotations: int
    active_leases: int
    skips: int
    late_submissions: int
    annotators: list[AnnotatorCounts]

    @property
    def completion(self) -> float:
        """Share of items with ``overlap`` submitted annotations (0 for an empty project)."""
        return self.complete / self.items if self.items else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The wire form: times rounded, each annotator with their mean time per item."""
        out = asdict(self)
        out["completion"] = round(self.completion, 6)
        out["annotators"] = [annotator_dict(a) for a in self.annotators]
        return out


def seconds_per_item(counts: AnnotatorCounts) -> float | None:
    """Mean seconds an annotator spent per submitted annotation (None before the first)."""
    return counts.seconds / counts.submitted if counts.submitted else None


def annotator_dict(counts: AnnotatorCounts) -> dict[str, Any]:
    """An annotator's counts with times to a tenth of a second: the sum of the browsers'
    float clocks carries noise (218.50000000000003) and nobody times work closer."""
    per_item = seconds_per_item(counts)
    return {
        **asdict(counts),
        "seconds": round(counts.seconds, 1),
        "seconds_per_item": None if per_item is None else round(per_item, 1),
    }


_counts_cache: dict[tuple[str, int, int], tuple[float, ProjectCounts]] = {}
_counts_lock = Lock()


def project_status(
    db: Database,
    project_name: str,
    *,
    now: datetime | None = None,
    actor: Actor | None = None,
    max_age: float = 0.0,
) -> ProjectStatus:
    """Counts for a project; needs the review right (managers, reviewers, admins).

    ``max_age`` lets dashboards reuse item and annotation totals up to that many seconds
    old: counting a million-item project on every page view is most of the page's time.
    """
    at = now or utcnow()
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        counts = _counts(conn, db.cache_scope, project.id, project.overlap, max_age)
        return ProjectStatus(
            project=project.name,
            overlap=project.overlap,
            items=counts.items,
            complete=counts.complete,
            annotations=counts.annotations,
            active_leases=assignment_store.active_leases(conn, project.id, at),
            skips=counts.skips,
            late_submissions=counts.late_submissions,
            annotators=tallies.per_annotator(conn, project.id, at, only_vendor=wall(actor)),
        )


def _counts(
    conn: Connection, scope: str, project_id: int, overlap: int, max_age: float
) -> ProjectCounts:
    key = (scope, project_id, overlap)
    if max_age > 0:
        with _counts_lock:
            cached = _counts_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] <= max_age:
            return cached[1]
    counts = tallies.counts(conn, project_id, overlap)
    with _counts_lock:
        _counts_cache[key] = (time.monotonic(), counts)
    return counts
