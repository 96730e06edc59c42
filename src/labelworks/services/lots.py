"""Lots and acceptance sampling: a lot of annotations (an import batch, a vendor's
delivery, a date range) is judged by auditing a sample drawn by an exact plan.

``create_lot`` computes the plan from the lot size, AQL and LTPD with the hypergeometric
distribution (``labelworks.stats.acceptance.sampling_plan``) and draws the sample;
auditors mark each sampled annotation ok or defective; when the last verdict is in, the
lot is accepted (defects ≤ c) or rejected with the evidence — the plan, the defects found,
the producer's and consumer's risks and an exact upper bound on the lot's defect rate. A
rejected lot goes back for rework: its annotations are set aside and their annotators
redo the items.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from labelworks.services import audit, webhooks
from labelworks.services.access import project_for
from labelworks.services.privacy import annotation_value_for, payload_for, text_for
from labelworks.services.specs import stored_spec
from labelworks.stats.acceptance import SamplingPlan, decide_lot, sampling_plan
from labelworks.storage import lots as store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.lots import LotRow, SampleRow
from labelworks.storage.set_aside import move_aside
from labelworks.storage.tables import annotations_table

__all__ = [
    "LotRow",
    "LotView",
    "SampleRow",
    "audit_sample",
    "create_lot",
    "lot_view",
    "project_lots",
]


def create_lot(
    db: Database,
    project_name: str,
    *,
    name: str,
    aql: float,
    ltpd: float,
    import_id: int | None = None,
    vendor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    producer_risk: float = 0.05,
    consumer_risk: float = 0.10,
    seed: int | None = None,
    actor: Actor | None = None,
) -> LotRow:
    """Make a lot of the annotations selected, compute its plan and draw its sample."""
    if not name.strip() or len(name) > 200:
        raise InvalidInput("name must be 1 to 200 characters")
    if import_id is None and vendor is None and since is None and until is None:
        raise InvalidInput(
            "say which annotations form the lot: an import, a vendor or dates (since, until)"
        )

    def plan_for(size: int) -> SamplingPlan:
        try:
            return sampling_plan(size, aql, ltpd, producer_risk, consumer_risk)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None

    plan_for(100)  # the rates and risks, checked before anything is read
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        _auditor(conn, actor)
        ids = store.lot_annotations(
            conn, project.id, import_id=import_id, vendor=vendor, since=since, until=until
        )
        if not ids:
            raise InvalidInput("no annotations match that lot")
        plan = plan_for(len(ids))
        rng = random.Random(seed) if seed is not None else random.SystemRandom()
        sample = sorted(rng.sample(ids, plan.sample_size))
        selector = {"import_id": import_id, "vendor": vendor, "since": since, "until": until}
        lot_id = store.create(
            conn,
            project_id=project.id,
            name=name.strip(),
            selector=selector,
            size=len(ids),
            plan=asdict(plan),
            sample=sample,
            by=None if actor is None else actor.id,
            now=utcnow(),
        )
        audit.record(
            conn,
            project,
            actor,
            "lot.create",
            name.strip(),
            lot=lot_id,
            size=len(ids),
            sample=plan.sample_size,
            acceptance_number=plan.acceptance_number,
        )
        found = store.get(conn, project.id, lot_id)
        assert found is not None
        return found


@dataclass(frozen=True, slots=True)
class LotView:
    lot: LotRow
    summary: str
    samples: list[SampleRow]

    @property
    def audited(self) -> int:
        return sum(1 for s in self.samples if s.verdict is not None)

    @property
    def defects(self) -> int:
        return sum(1 for s in self.samples if s.verdict == "defect")


def _auditor(conn: Connection, actor: Actor | None) -> None:
    if wall(actor) is not None:
        raise PermissionDenied("lots mix every vendor's work; vendors' staff may not audit them")


def project_lots(db: Database, project_name: str, *, actor: Actor | None = None) -> list[LotRow]:
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        _auditor(conn, actor)
        return store.all_lots(conn, project.id)


def lot_view(
    db: Database, project_name: str, lot_id: int, *, actor: Actor | None = None
) -> LotView:
    """A lot with its plan and sample; each sampled item's payload, the annotation's value
    and the auditor's note as the privacy policy lets ``actor`` see them."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        _auditor(conn, actor)
        lot = store.get(conn, project.id, lot_id)
        if lot is None:
            raise NotFound(f"lot {lot_id} does not exist in project '{project_name}'")
        samples = store.samples(conn, lot_id)
    spec = stored_spec(project.spec)
    if spec.privacy is not None:
        samples = [
            replace(
                s,
                payload=None if s.payload is None else payload_for(actor, spec, s.payload).payload,
                value=annotation_value_for(actor, spec, s.value),
                note=text_for(actor, spec, s.note),
            )
            for s in samples
        ]
    return LotView(lot, SamplingPlan(**lot.plan).summary, samples)


def audit_sample(
    db: Database,
    project_name: str,
    lot_id: int,
    annotation_id: int,
    *,
    defect: bool,
    note: str = "",
    actor: Actor | None = None,
) -> LotRow:
    """Record an auditor's verdict on one sampled annotation; the last one decides the lot
    (a rejected lot's annotations go back to their annotators for rework)."""
    if len(note) > 2000:
        raise InvalidInput("note must be at most 2000 characters")
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        _auditor(conn, actor)
        lot = store.get(conn, project.id, lot_id)
        if lot is None:
            raise NotFound(f"lot {lot_id} does not exist in project '{project_name}'")
        if lot.status != "auditing":
            raise Conflict(f"lot {lot_id} was already {lot.status}")
        now = utcnow()
        by = None if actor is None else actor.id
        verdict = "defect" if defect else "ok"
        if not store.set_verdict(
            conn, lot_id, annotation_id, verdict=verdict, note=note, by=by, now=now
        ):
            raise NotFound(f"annotation {annotation_id} is not in lot {lot_id}'s sample")
        samples = store.samples(conn, lot_id)
        if any(s.verdict is None for s in samples):
            found = store.get(conn, project.id, lot_id)
            assert found is not None
            return found
        plan = SamplingPlan(**lot.plan)
        decision = decide_lot(plan, sum(1 for s in samples if s.verdict == "defect"))
        status = "accepted" if decision.accepted else "rejected"
        evidence = {**asdict(decision), "summary": decision.summary, "plan": plan.summary}
        store.decide(conn, lot_id, status=status, decision=evidence, now=now)
        webhooks.emit(
            conn, project.id, f"lot.{status}",
            {"lot_id": lot_id, "name": lot.name, "size": lot.size, "selector": lot.selector,
             "sample_size": plan.sample_size, "acceptance_number": plan.acceptance_number,
             "defects": decision.defects, "rate_upper_bound": decision.rate_upper_bound,
             "summary": decision.summary, "decided_at": now},
        )  # fmt: skip
        if not decision.accepted:
            ids = [s.annotation_id for s in store.samples(conn, lot_id)]
            every = _lot_annotations(conn, project.id, lot)
            move_aside(
                conn,
                project_id=project.id,
                which=annotations_table.c.id.in_(every or ids),
                overlap=project.overlap,
                reason=f"lot '{lot.name}' rejected in audit",
                by=by,
                now=now,
                same_annotator_again=True,
            )
        audit.record(
            conn,
            project,
            actor,
            f"lot.{status}",
            lot.name,
            lot=lot_id,
            defects=decision.defects,
            sample=plan.sample_size,
        )
        found = store.get(conn, project.id, lot_id)
        assert found is not None
        return found


def _when(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _lot_annotations(conn: Connection, project_id: int, lot: LotRow) -> list[int]:
    s = lot.selector
    import_id, vendor = s.get("import_id"), s.get("vendor")
    return store.lot_annotations(
        conn,
        project_id,
        import_id=None if import_id is None else int(import_id),
        vendor=None if vendor is None else str(vendor),
        since=_when(s.get("since")),
        until=_when(s.get("until")),
    )
