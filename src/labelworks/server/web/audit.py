"""The Audit page: a project's quality decisions, newest first, with a filter by kind and
the exports (the browser face of ``services.audit``)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web.pages import page
from labelworks.services import audit

router = APIRouter(include_in_schema=False)
SHOWN = 500

# What each kind of event is called on the page.
TITLES = {
    "gold.mark": "marked gold",
    "gold.unmark": "removed from gold",
    "annotator.auto_pause": "paused automatically",
    "annotator.pause": "paused",
    "annotator.reinstate": "reinstated",
    "annotations.requeue": "sent work back",
    "annotations.requeue_outdated": "re-queued after a guideline change",
    "adjudication.decide": "adjudicated",
    "consensus.refit": "refitted consensus",
    "review.decide": "reviewed",
    "qualification.passed": "passed the qualification test",
    "qualification.failed": "failed a qualification attempt",
    "qualification.retry": "allowed a qualification retry",
    "escalation.flag": "flagged",
    "escalation.resolve": "resolved an escalation",
    "delivery.write": "delivered",
    "lot.create": "made a lot for audit",
    "lot.accepted": "accepted a lot",
    "lot.rejected": "rejected a lot",
    "items.requeue": "re-queued items",
    "items.priority": "changed items' priority",
    "items.delete": "deleted items",
}


@router.get("/projects/{project}/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    action: str | None = Query(None, max_length=40),
) -> HTMLResponse:
    chosen = action or None
    events = audit.audit_trail(db, project, actor=actor, action=chosen, limit=audit.MAX_PAGE)
    while len(events) % audit.MAX_PAGE == 0 and events and len(events) < 10 * audit.MAX_PAGE:
        more = audit.audit_trail(
            db, project, actor=actor, action=chosen, after=events[-1].id, limit=audit.MAX_PAGE
        )
        if not more:
            break
        events.extend(more)
    newest = list(reversed(events))[:SHOWN]
    return page(
        request,
        "audit.html",
        actor,
        project=project,
        events=newest,
        total=len(events),
        action=chosen,
        titles=TITLES,
        actions=audit.ACTIONS,
    )
