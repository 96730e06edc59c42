"""Recent activity of a project, as the Overview lists it: imports, spec and guideline
changes, and (for those who may read the audit trail) the quality actions people took, each
said in one sentence, newest first."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from labelworks.domain.access import Action, Actor, allowed, wall
from labelworks.services.access import project_for
from labelworks.services.activity import Activity, project_activity
from labelworks.services.status import project_status
from labelworks.storage import recent as store
from labelworks.storage.engine import Database

MAX_EVENTS = 50

# How each audit action reads, with its subject after it.
SAID = {
    "gold.mark": "made gold",
    "gold.unmark": "removed from gold",
    "annotator.auto_pause": "paused automatically",
    "annotator.pause": "paused",
    "annotator.reinstate": "reinstated",
    "annotations.requeue": "requeued the annotations of",
    "annotations.requeue_outdated": "requeued outdated annotations",
    "adjudication.decide": "adjudicated",
    "consensus.refit": "refitted the consensus model",
    "review.decide": "reviewed",
    "qualification.passed": "qualification passed:",
    "qualification.failed": "qualification failed:",
    "qualification.retry": "allowed another qualification try to",
    "escalation.flag": "flagged",
    "escalation.resolve": "resolved the flag on",
    "delivery.write": "delivered",
    "lot.create": "made lot",
    "lot.accepted": "lot accepted:",
    "lot.rejected": "lot rejected:",
    "items.requeue": "requeued items",
    "items.priority": "changed the priority of items",
    "items.delete": "deleted items",
}


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    kind: str
    who: str | None
    text: str


def _text(kind: str, facts: dict[str, Any]) -> str:
    if kind == "import":
        new, rows = facts["inserted"], facts["rows"]
        return f"imported {new} new item{'' if new == 1 else 's'} of {rows} from {facts['source']}"
    if kind == "spec":
        forced = " (forced)" if facts["forced"] else ""
        return f"applied spec revision {facts['revision']}{forced}"
    if kind == "guidelines":
        changelog = f": {facts['changelog']}" if facts["changelog"] else ""
        return f"published guidelines v{facts['version']}{changelog}"
    subject = str(facts.get("subject") or "")
    return f"{SAID.get(kind, kind)} {subject}".strip()


def recent_activity(
    db: Database, project_name: str, *, actor: Actor | None = None, limit: int = 10
) -> list[Event]:
    """The project's latest events, newest first. Reviewers and managers see imports and
    spec and guideline changes; quality actions name people of every vendor, so they are
    listed only for those who may read the audit trail (managers outside any vendor)."""
    limit = max(1, min(limit, MAX_EVENTS))
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        audited = actor is None or (
            allowed(actor, Action.MANAGE, member=True) and wall(actor) is None
        )
        found = store.latest(conn, project.id, limit, audited=audited)
    return [Event(h.at, h.kind, h.who, _text(h.kind, h.facts)) for h in found]


@dataclass(frozen=True, slots=True)
class Pulse:
    """What the Overview shows of a project's work: its activity (days, labels) and its
    recent events."""

    activity: Activity
    events: list[Event]

    def to_dict(self) -> dict[str, Any]:
        """The API's shape (``schemas.activity.ActivityOut``)."""
        a = self.activity
        return {
            "project": a.project,
            "days": [asdict(d) for d in a.days],
            "done": a.done,
            "needed": a.needed,
            "last_week": a.last_week,
            "label_field": a.label_field,
            "labels": [{"label": label, "annotations": n} for label, n in a.labels],
            "vendor_days": [asdict(v) for v in a.vendor_days],
            "gold_weeks": [{**asdict(w), "accuracy": w.accuracy} for w in a.gold_weeks],
            "recent": [asdict(e) for e in self.events],
        }


def project_pulse(db: Database, project_name: str, *, actor: Actor | None = None) -> Pulse:
    """The Overview's figures for the API and the CLI (totals up to two seconds old)."""
    status = project_status(db, project_name, actor=actor, max_age=2.0)
    found = project_activity(db, project_name, annotations=status.annotations, actor=actor)
    return Pulse(found, recent_activity(db, project_name, actor=actor, limit=20))
