"""What an annotator sees of their progress: submissions today and the work left for them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.services.access import project_for
from labelworks.storage import catalog
from labelworks.storage.engine import Database, utcnow


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


def progress_in(
    conn: Connection,
    scope: str,
    project_id: int,
    annotator_id: int,
    done_today: int | None = None,
) -> Progress:
    """The annotator's submissions today (UTC) and the items still open in the project.

    ``done_today`` is the count a lease already read from the membership row; without it
    (a non-member labelling, or a caller that has not read it) the day is counted. The
    open count is shared by every annotator and cached for two seconds: it is shown after
    each submit, and recounting a million-item project each time is wasted work.
    """
    if done_today is None:
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        done_today = catalog.submitted_since(conn, project_id, annotator_id, midnight)
    key = (scope, project_id)
    with _open_lock:
        cached = _open_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] <= _OPEN_TTL:
        return Progress(done_today, cached[1])
    remaining = catalog.open_items(conn, project_id)
    with _open_lock:
        _open_cache[key] = (time.monotonic(), remaining)
    return Progress(done_today, remaining)


def progress_for(db: Database, project_name: str, actor: Actor) -> Progress:
    """``progress_in`` for a project the actor labels in."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.LABEL)
        return progress_in(conn, db.cache_scope, project.id, actor.id)
