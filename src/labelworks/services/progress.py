"""What an annotator sees of their progress: submissions today and the work left for them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.domain.spec import ProjectSpec
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.storage import catalog, tallies
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow


@dataclass(frozen=True, slots=True)
class Progress:
    done_today: int
    remaining: int
    # What the annotator is doing when it is not ordinary work (a qualification test,
    # training).
    note: str | None = None


_open_cache: dict[tuple[str, int], tuple[float, int]] = {}
_open_lock = Lock()
_OPEN_TTL = 2.0
# Per (scope, project, annotator) in shared projects: (when counted, what remained for them,
# the lease it was counted for). Counting walks the annotator's whole history, so within
# the TTL each new lease of theirs takes one off instead (a lease removes one item from
# what remains for them, whether the item stays open for others or not).
_mine_cache: dict[tuple[str, int, int], tuple[float, int, int | None]] = {}


def progress_in(
    conn: Connection,
    scope: str,
    project_id: int,
    annotator_id: int,
    done_today: int | None = None,
    *,
    shared: bool = False,
    lease_id: int | None = None,
) -> Progress:
    """The annotator's submissions today (UTC) and the open items still left for them.

    ``done_today`` is the count a lease already read from the membership row; without it
    (a non-member labelling, or a caller that has not read it) the day is counted. The
    open count is shared by every annotator and cached for two seconds: it is shown after
    each submit, and recounting a million-item project each time is wasted work. It leaves
    out items fully leased, the annotator's current one among them. When items take several
    annotators (``shared``: overlap above one, or dynamic overlap), an open item the
    annotator holds, answered or skipped is never theirs again: those are counted for them
    (at most every two seconds; in between, each new ``lease_id`` takes one off), so their
    own number falls with each submit. With overlap one an answered item is closed, and the
    busiest path skips that count.
    """
    if done_today is None:
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        done_today = catalog.submitted_since(conn, project_id, annotator_id, midnight)
    key = (scope, project_id)
    with _open_lock:
        cached = _open_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] <= _OPEN_TTL:
        remaining = cached[1]
    else:
        remaining = catalog.open_items(conn, project_id)
        with _open_lock:
            _open_cache[key] = (time.monotonic(), remaining)
    if shared:
        remaining = _left_for(conn, scope, project_id, annotator_id, remaining, lease_id)
    return Progress(done_today, remaining)


def _left_for(
    conn: Connection, scope: str, project_id: int, annotator_id: int, open_items: int,
    lease_id: int | None,
) -> int:  # fmt: skip
    key = (scope, project_id, annotator_id)
    now = time.monotonic()
    with _open_lock:
        kept = _mine_cache.get(key)
    if kept is not None and now - kept[0] <= _OPEN_TTL:
        left = kept[1]
        if lease_id is not None and lease_id != kept[2]:
            left = max(left - 1, 0)
        with _open_lock:
            _mine_cache[key] = (kept[0], left, lease_id if lease_id is not None else kept[2])
        return left
    left = max(open_items - tallies.taken_open_items(conn, project_id, annotator_id), 0)
    with _open_lock:
        _mine_cache[key] = (now, left, lease_id)
    return left


def items_shared(project: ProjectRow, spec: ProjectSpec) -> bool:
    """Whether an item may take more than one annotator in this project."""
    return project.overlap > 1 or spec.quality.dynamic_overlap is not None


def progress_for(db: Database, project_name: str, actor: Actor) -> Progress:
    """``progress_in`` for a project the actor labels in."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.LABEL)
        shared = items_shared(project, stored_spec(project.spec))
        return progress_in(conn, db.cache_scope, project.id, actor.id, shared=shared)
