"""Review: sampling submitted annotations for review, the review queue, reviewers'
decisions (accept, reject with a reason code, fix), rework, and each annotator's review
outcomes.

Reviewers are people with the review right; behind a vendor wall they review that
vendor's people only. Nobody reviews their own work.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, update

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.annotation import validate_annotation
from labelworks.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from labelworks.domain.gold import wilson_bounds
from labelworks.domain.review import STATUS, Decision, pick_for_review
from labelworks.domain.spec import ProjectSpec
from labelworks.services import audit, consensus
from labelworks.services.access import project_for
from labelworks.services.privacy import annotation_value_for, restored, rows_for, text_for
from labelworks.services.specs import stored_spec
from labelworks.storage import consensus as consensus_store
from labelworks.storage import reviews as store
from labelworks.storage.assignments import AssignmentRow
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.leases import move_counters
from labelworks.storage.reviews import ReviewRow
from labelworks.storage.set_aside import move_aside
from labelworks.storage.tables import annotations_table, assignments

MAX_COMMENT = 2_000
MAX_PAGE = 200
STATUSES = ("pending", "accepted", "rejected", "fixed")

__all__ = [
    "ReviewOutcomes",
    "ReviewRow",
    "decide_review",
    "review_queue",
    "review_report",
    "sample",
]


def sample(
    conn: Connection,
    spec: ProjectSpec,
    a: AssignmentRow,
    annotation_id: int,
    rng: random.Random,
    now: datetime,
) -> None:
    """Inside a submit: queue the new annotation for review if the spec's rule picks it."""
    rule = spec.quality.review
    if rule is None:
        return
    earlier = store.earlier_annotations(
        conn, a.project_id, a.annotator_id, annotation_id, rule.first_n
    )
    why = pick_for_review(rule.rate, rule.first_n, earlier, rng)
    if why is not None:
        store.queue(
            conn,
            project_id=a.project_id,
            annotation_id=annotation_id,
            item_id=a.item_id,
            annotator_id=a.annotator_id,
            why=why,
            now=now,
        )


def review_queue(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    status: str | None = "pending",
    after: int = 0,
    limit: int = 50,
) -> list[ReviewRow]:
    """A page of the project's reviews (pending ones by default), oldest first; payloads,
    values and comments as the project's privacy policy lets ``actor`` see them."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not '{status}'")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        rows = store.page(
            conn, project.id, status=status, wall=wall(actor), after=after, limit=limit
        )
    spec = stored_spec(project.spec)
    return [
        replace(
            r,
            value=annotation_value_for(actor, spec, r.value),
            fixed_value=annotation_value_for(actor, spec, r.fixed_value),
            comment=text_for(actor, spec, r.comment),
        )
        for r in rows_for(actor, spec, rows)
    ]


def decide_review(
    db: Database,
    project_name: str,
    review_id: int,
    *,
    decision: str,
    reason: str | None = None,
    comment: str = "",
    value: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    """Accept, reject (``reason`` one of the spec's codes) or fix (``value``: the corrected
    annotation, kept beside the original) a pending review. A fix's fields that are the
    original's as the reviewer was shown it masked keep the original (``privacy.restored``)."""
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InvalidInput("decision must be accept, reject or fix") from None
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comment must be at most {MAX_COMMENT} characters")
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        spec = stored_spec(project.spec)
        review = store.get(conn, project.id, review_id)
        if review is None or (wall(actor) is not None and review.vendor != wall(actor)):
            raise NotFound(f"review {review_id} does not exist in project '{project_name}'")
        if actor is not None and review.annotator == actor.email:
            raise PermissionDenied("nobody reviews their own work")
        if review.status != "pending" or review.value is None:
            raise Conflict(f"review {review_id} was already decided ({review.status})")
        reasons = spec.quality.review.reasons if spec.quality.review is not None else []
        if chosen is Decision.REJECT and reason not in reasons:
            raise InvalidInput(f"reason must be one of: {', '.join(reasons)}")
        if chosen is Decision.FIX:
            if not isinstance(value, dict) or not value:
                raise InvalidInput("a fix needs the corrected value")
            # The reviewer's form starts from the annotation as they were shown it.
            value = restored(actor, spec, value, [review.value], payload=review.payload)
            validate_annotation(spec.fields, value, review.payload)
        now = utcnow()
        store.decide(
            conn,
            review_id,
            status=STATUS[chosen],
            reason=reason if chosen is Decision.REJECT else None,
            comment=comment,
            fixed_value=value if chosen is Decision.FIX else None,
            reviewer_id=None if actor is None else actor.id,
            now=now,
        )
        audit.record(
            conn,
            project,
            actor,
            "review.decide",
            f"review {review_id}",
            decision=chosen.value,
            reason=reason,
            annotator=review.annotator,
            item_id=review.item_id,
        )
        if chosen is Decision.REJECT:
            _send_back(
                conn,
                spec,
                project.id,
                project.overlap,
                project.lease_minutes,
                review,
                reason or "",
                actor,
                now,
            )
        elif (
            chosen is Decision.FIX
            and consensus.method_of(spec) is not None
            and consensus_store.final_of(conn, review.item_id) is not None
        ):
            # The item's label was decided from the original value: decide it again.
            consensus.settle(conn, db.cache_scope, spec, project.id, review.item_id, now)


def _send_back(
    conn: Connection,
    spec: ProjectSpec,
    project_id: int,
    overlap: int,
    lease_minutes: int,
    review: ReviewRow,
    reason: str,
    actor: Actor | None,
    now: datetime,
) -> None:
    """Set the rejected annotation aside; to the same annotator, their item waits for them
    as a live lease (their next task), else it goes back to the queue for someone else."""
    rule = spec.quality.review
    to_annotator = rule is None or rule.rejected_to == "annotator"
    assignment_id = conn.execute(
        annotations_table.select()
        .with_only_columns(annotations_table.c.assignment_id)
        .where(annotations_table.c.id == review.annotation_id)
    ).scalar_one()
    move_aside(
        conn,
        project_id=project_id,
        which=annotations_table.c.id == review.annotation_id,
        overlap=overlap,
        reason=f"rejected in review: {reason}",
        by=None if actor is None else actor.id,
        now=now,
        same_annotator_again=to_annotator,
    )
    if to_annotator:
        conn.execute(
            update(assignments)
            .where(assignments.c.id == assignment_id)
            .values(
                state="leased",
                leased_at=now,
                expires_at=now + timedelta(minutes=lease_minutes),
                lease_count=assignments.c.lease_count + 1,
                closed_at=None,
            )
        )
        move_counters(conn, review.item_id, overlap, leased=1)


@dataclass(frozen=True, slots=True)
class ReviewOutcomes:
    """One annotator's review outcomes; ``acceptance`` is accepted / decided with the 95%
    Wilson interval (fixes and rejections count against)."""

    annotator: str
    vendor: str | None
    pending: int
    accepted: int
    rejected: int
    fixed: int

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected + self.fixed

    @property
    def acceptance(self) -> float | None:
        return self.accepted / self.decided if self.decided else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_bounds(self.accepted, self.decided) if self.decided else None


def review_report(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> list[ReviewOutcomes]:
    """Each reviewed annotator's outcomes (behind a vendor wall: that vendor's people)."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        rows = store.outcomes(conn, project.id, wall(actor))
    counts: dict[tuple[str, str | None], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(STATUSES, 0)
    )
    for email, vendor, status, n in rows:
        counts[(email, vendor)][status] += n
    return sorted(
        (ReviewOutcomes(email, vendor, **c) for (email, vendor), c in counts.items()),
        key=lambda r: (r.acceptance if r.acceptance is not None else 2.0, r.annotator),
    )
