"""Reading a project's final labels and its consensus state, and refitting on request.

Final labels are decided from every vendor's work together, so reading them (or refitting
them) needs the review right (refitting: manage) and no vendor wall: vendors' staff are
refused, as they are from adjudication.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import Conflict, InvalidInput
from labelworks.services.access import unwalled_project
from labelworks.services.consensus import method_of, refit_project
from labelworks.services.privacy import annotation_value_for, text_for
from labelworks.services.specs import stored_spec
from labelworks.storage import consensus as store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database

MAX_PAGE = 500
STATUSES = ("final", "adjudication", "adjudicated")


@dataclass(frozen=True, slots=True)
class FinalLabelView:
    """An item's final label with its provenance; ``decided_by`` is the adjudicator's
    email (``None``: the consensus method decided), ``note`` their reason."""

    item_id: int
    external_id: str | None
    value: dict[str, Any]
    method: str
    confidence: float
    fields: dict[str, float]
    status: str
    annotation_ids: list[int]
    decided_at: datetime
    decided_by: str | None
    note: str


@dataclass(frozen=True, slots=True)
class FittedModel:
    """The project's last fitted consensus model: its method, when, and on how many
    annotations."""

    method: str
    fitted_at: datetime
    n_annotations: int


@dataclass(frozen=True, slots=True)
class ConsensusSummary:
    """How a project decides its final labels and where its items stand: ``counts`` has
    every status of ``STATUSES``; ``without_final`` counts ordinary items with no final
    label yet; ``dynamic_overlap`` is ``{min, max, confidence}`` or ``None``."""

    project: str
    method: str | None
    dynamic_overlap: dict[str, Any] | None
    counts: dict[str, int]
    without_final: int
    model: FittedModel | None


_WALLED = "final labels are decided from every vendor's work; vendors' staff may not"


def check_may_adjudicate(db: Database, project_name: str, *, actor: Actor | None = None) -> None:
    """``services.adjudication``'s rule alone, in a transaction of its own (interfaces ask
    before they read the decision): the review right and no vendor wall."""
    with db.read() as conn:
        unwalled_project(
            conn,
            actor,
            project_name,
            Action.REVIEW,
            "adjudication shows every vendor's work; vendors' staff may not",
        )


def final_labels(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    status: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> tuple[list[FinalLabelView], int | None]:
    """A page of the project's final labels in item order (only those of ``status`` when
    given) and the ``after`` of the next page (``None``: this was the last); values and
    adjudicators' notes as the privacy policy lets ``actor`` see them."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not '{status}'")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    with db.read() as conn:
        project = unwalled_project(conn, actor, project_name, Action.REVIEW, _WALLED)
        rows = store.finals(conn, project.id, status=status, after=after, limit=limit)
        emails: dict[int, str] = {}
        for by in {f.decided_by for f in rows if f.decided_by is not None}:
            user = user_store.by_id(conn, by)
            if user is not None:
                emails[by] = user.email
    spec = stored_spec(project.spec)
    views = [
        FinalLabelView(
            item_id=f.item_id,
            external_id=f.external_id,
            value=annotation_value_for(actor, spec, f.value),
            method=f.method,
            confidence=f.confidence,
            fields=f.fields,
            status=f.status,
            annotation_ids=f.annotation_ids,
            decided_at=f.decided_at,
            decided_by=None if f.decided_by is None else emails.get(f.decided_by),
            note=text_for(actor, spec, f.note),
        )
        for f in rows
    ]
    return views, (rows[-1].item_id if len(rows) == limit else None)


def consensus_summary(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> ConsensusSummary:
    """The project's consensus method, dynamic overlap rule, final labels per status, items
    still without one, and its fitted model if any."""
    with db.read() as conn:
        project = unwalled_project(conn, actor, project_name, Action.REVIEW, _WALLED)
        counts = store.final_counts(conn, project.id)
        without = store.without_final(conn, project.id)
        model = store.model_info(conn, project.id)
    spec = stored_spec(project.spec)
    rule = spec.quality.dynamic_overlap
    return ConsensusSummary(
        project=project.name,
        method=method_of(spec),
        dynamic_overlap=None
        if rule is None
        else {"min": rule.min, "max": rule.max, "confidence": rule.confidence},
        counts={status: counts.get(status, 0) for status in STATUSES},
        without_final=without,
        model=None if model is None else FittedModel(model[0], model[2], model[1]),
    )


def refit_consensus(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> dict[str, int]:
    """Fit the project's consensus model now and re-decide every item that reached its
    overlap (``services.consensus.refit_project``): how many items are ``final``, went
    back for ``more`` annotations, and wait to ``adjudicate``. A project that keeps no
    final labels is a ``Conflict``."""
    with db.read() as conn:
        project = unwalled_project(conn, actor, project_name, Action.MANAGE, _WALLED)
    if method_of(stored_spec(project.spec)) is None:
        raise Conflict(
            f"project '{project.name}' keeps no final labels: its spec sets neither "
            "quality.consensus nor quality.dynamic_overlap"
        )
    tally = refit_project(db, project_name, actor=actor)
    return {step: tally.get(step, 0) for step in ("final", "more", "adjudicate")}
