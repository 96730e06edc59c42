"""The one treatment labelworks applies itself: under a running ``suggestions`` experiment,
the units of the arm without suggestions are served their tasks without pre-annotations.

This sits on the labeling hot path (``assignment.next_task_for``), so it costs nothing
where it does not apply and next to nothing where it does:

- it is asked only when the task carries suggestions (no suggestions, no question);
- which suggestions experiment runs in a project is read at most once a second per
  project and process (``REFRESH``), and forgotten at once by the process that starts or
  stops one; another process sees the change within that second;
- an annotator's arm never changes once given, so it is looked up once per process (one
  primary-key read of ``experiment_units``) and kept; an item's arm is one primary-key read
  per task (items are seldom served twice). A unit without a recorded arm (it turned up
  after the start) gets its hashed arm, the one the analysis will record for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import Connection

from labelworks.stats.experiments import late_arm
from labelworks.storage import experiments as store

REFRESH = 1.0  # seconds a process keeps what it read about a project's experiments
_MAX_KEPT = 100_000  # annotators' arms kept per process before the memo starts afresh


@dataclass(frozen=True, slots=True)
class Treatment:
    experiment_id: int
    unit: str
    seed: int
    arms: tuple[str, str]
    hidden: frozenset[str]  # the arms not shown suggestions


_lock = Lock()
_treatments: dict[tuple[str, int], tuple[float, Treatment | None]] = {}
_arms: dict[tuple[str, int, int], str] = {}


def forget(scope: str, project_id: int) -> None:
    """Drop what this process knows of the project's experiments (one started or stopped)."""
    with _lock:
        _treatments.pop((scope, project_id), None)


def _treatment(conn: Connection, scope: str, project_id: int) -> Treatment | None:
    key = (scope, project_id)
    now = time.monotonic()
    with _lock:
        kept = _treatments.get(key)
    if kept is not None and now - kept[0] < REFRESH:
        return kept[1]
    found = None
    for e in store.running(conn, project_id):
        if any(a.suggestions is not None for a in e.arms):
            hidden = frozenset(a.name for a in e.arms if a.suggestions is False)
            found = Treatment(e.id, e.unit, e.seed, (e.arms[0].name, e.arms[1].name), hidden)
            break
    with _lock:
        _treatments[key] = (now, found)
    return found


def suggestions_hidden(
    conn: Connection, scope: str, project_id: int, annotator_id: int, item_id: int
) -> bool:
    """Whether this task's suggestions are to be withheld from this annotator."""
    treatment = _treatment(conn, scope, project_id)
    if treatment is None:
        return False
    if treatment.unit == "item":
        arm = store.recorded_arm(conn, treatment.experiment_id, item_id)
        return (arm or treatment.arms[late_arm(treatment.seed, item_id)]) in treatment.hidden
    key = (scope, treatment.experiment_id, annotator_id)
    with _lock:
        arm = _arms.get(key)
    if arm is None:
        arm = store.recorded_arm(conn, treatment.experiment_id, annotator_id)
        arm = arm or treatment.arms[late_arm(treatment.seed, annotator_id)]
        with _lock:
            if len(_arms) >= _MAX_KEPT:
                _arms.clear()
            _arms[key] = arm
    return arm in treatment.hidden
