"""Intra-annotator consistency audits: leasing and submitting a retest, and the
test–retest report.

The spec's ``quality.retest`` (``rate``, ``after``) has ``assignment.next_task_for`` serve
an annotator one of their own earlier items again, unannounced (``storage.retests``). Their
second answer is compared with their first: per field, the share given the same both times
with its 95% Wilson interval, and for categorical fields Cohen's kappa between the two
occasions (``stats.consistency.test_retest``). An annotator who disagrees with themselves
cannot be expected to agree with others: a low figure points at the guidelines or at
fatigue, not at the crowd.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.acceptance import agreement_label
from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.assignment import AssignmentState, lease_expiry
from labelworks.domain.consensus import categories_of
from labelworks.domain.errors import AssignmentClosed
from labelworks.domain.schema import FieldSpec
from labelworks.domain.spec import ProjectSpec
from labelworks.services.access import project_for
from labelworks.services.gold import Share
from labelworks.services.specs import stored_spec
from labelworks.stats import Ratings
from labelworks.stats.consistency import test_retest
from labelworks.storage import retests as store
from labelworks.storage.assignments import AssignmentRow
from labelworks.storage.engine import Database
from labelworks.storage.leases import Lease
from labelworks.storage.projects import ProjectRow

RECENT = 50

__all__ = [
    "AnnotatorConsistency",
    "FieldConsistency",
    "RetestPair",
    "RetestReport",
    "Submitted",
    "lease",
    "retest_report",
    "submit",
]


@dataclass(frozen=True, slots=True)
class Submitted:
    """A retest answer as the submit route reports it (the shape of an annotation's)."""

    retest_id: int
    created: bool
    after_expiry: bool


def submit(
    conn: Connection,
    a: AssignmentRow,
    *,
    value: dict[str, Any],
    seconds: float | None,
    key: str,
    now: datetime,
) -> Submitted:
    """Record the second answer (validated by the caller). A retry with the same key
    returns the first result; a retest that lapsed still counts, since it held no slot
    anyone else could fill."""
    if a.state is AssignmentState.SUBMITTED:
        recorded = store.recorded(conn, a.id)
        if recorded is not None and recorded[1] == key:
            return Submitted(recorded[0], created=False, after_expiry=False)
    if a.state not in (AssignmentState.LEASED, AssignmentState.EXPIRED):
        raise AssignmentClosed(f"assignment {a.id} was already {a.state.value}")
    after_expiry = a.state is AssignmentState.EXPIRED or now > a.expires_at
    retest_id = store.record(conn, a, value=value, seconds=seconds, key=key, now=now)
    return Submitted(retest_id, created=True, after_expiry=after_expiry)


def lease(
    conn: Connection,
    spec: ProjectSpec,
    gold_only: bool,
    project: ProjectRow,
    annotator_id: int,
    at: datetime,
    draws: random.Random,
) -> Lease | None:
    """On a share of live-work leases, one of the annotator's own earlier items again
    (a consistency audit), when one is old enough."""
    rule = spec.quality.retest
    if rule is None or gold_only or draws.random() >= rule.rate:
        return None
    return store.lease_retest(
        conn,
        project_id=project.id,
        annotator_id=annotator_id,
        after=rule.after,
        point=draws.random(),
        now=at,
        expires_at=lease_expiry(at, project.lease_minutes),
        guideline_version=project.guideline_version,
    )


# ---- the report ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldConsistency:
    """One field's retests: how many pairs gave it both times, how many the same, and
    (categorical fields) Cohen's kappa between the two occasions (``None``: undefined,
    e.g. one category throughout)."""

    field: str
    pairs: Share
    kappa: float | None


@dataclass(frozen=True, slots=True)
class AnnotatorConsistency:
    email: str
    retests: int
    # The whole answer the same both times.
    same: Share
    fields: list[FieldConsistency]


@dataclass(frozen=True, slots=True)
class RetestPair:
    email: str
    item_id: int
    first: dict[str, Any] | None
    second: dict[str, Any]
    first_at: datetime | None
    at: datetime
    same: bool | None


@dataclass
class RetestReport:
    project: str
    rate: float | None
    after: int | None
    retests: int
    same: Share
    fields: list[FieldConsistency]
    annotators: list[AnnotatorConsistency] = field(default_factory=list)
    recent: list[RetestPair] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, the shape of the API's answer and the CLI's ``--json``."""
        return {
            "project": self.project,
            "rate": self.rate,
            "after": self.after,
            "retests": self.retests,
            "same": _share(self.same),
            "fields": [_field(f) for f in self.fields],
            "annotators": [
                {
                    "email": a.email,
                    "retests": a.retests,
                    "same": _share(a.same),
                    "fields": [_field(f) for f in a.fields],
                }
                for a in self.annotators
            ],
            "recent": [
                {
                    "email": p.email,
                    "item_id": p.item_id,
                    "first": p.first,
                    "second": p.second,
                    "first_at": None if p.first_at is None else _utc(p.first_at),
                    "at": _utc(p.at),
                    "same": p.same,
                }
                for p in self.recent
            ],
        }


def _share(s: Share) -> dict[str, Any]:
    low, high = s.interval or (None, None)
    return {"same": s.correct, "total": s.total, "share": s.accuracy, "low": low, "high": high}


def _field(f: FieldConsistency) -> dict[str, Any]:
    return {"field": f.field, "pairs": _share(f.pairs), "kappa": f.kappa}


def _utc(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def retest_report(db: Database, project_name: str, *, actor: Actor | None = None) -> RetestReport:
    """Test–retest agreement of the project, pooled and per annotator, per field, with
    the latest pairs (behind a vendor wall: that vendor's people only)."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        pairs = store.pairs(conn, project.id, wall(actor))
    spec = stored_spec(project.spec)
    compared = [(p, _value(p.first_value), _value(p.value) or {}) for p in pairs]
    complete = [(p.annotator_id, first, second) for p, first, second in compared if first]
    per_annotator: dict[int, list[tuple[int, dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    emails: dict[int, str] = {}
    for p, first, second in compared:
        emails[p.annotator_id] = p.email
        if first is not None:
            per_annotator[p.annotator_id].append((p.annotator_id, first, second))
    kappas = _kappas(spec.fields, complete)
    people = [
        AnnotatorConsistency(
            email=emails[uid],
            retests=sum(1 for p in pairs if p.annotator_id == uid),
            same=_same(per_annotator[uid]),
            fields=_fields(spec.fields, per_annotator[uid], kappas, uid),
        )
        for uid in emails
    ]
    people.sort(key=lambda r: (r.same.accuracy if r.same.total else 2.0, r.email))
    rule = spec.quality.retest
    return RetestReport(
        project=project.name,
        rate=None if rule is None else rule.rate,
        after=None if rule is None else rule.after,
        retests=len(pairs),
        same=_same(complete),
        fields=_fields(spec.fields, complete, kappas, None),
        annotators=people,
        recent=[
            RetestPair(
                p.email,
                p.item_id,
                first,
                second,
                p.first_at,
                p.at,
                None if first is None else first == second,
            )
            for p, first, second in reversed(compared[-RECENT:])
        ],
    )


Triple = tuple[int, dict[str, Any], dict[str, Any]]


def _value(text: str | None) -> dict[str, Any] | None:
    value = None if text is None else json.loads(text)
    return value if isinstance(value, dict) else None


def _same(triples: list[Triple]) -> Share:
    return Share(sum(1 for _, first, second in triples if first == second), len(triples))


def _given_twice(spec_field: FieldSpec, triples: Iterable[Triple]) -> list[tuple[Any, Any]]:
    """The field's (first, second) values where both answers gave it."""
    name = spec_field.name
    return [(f[name], s[name]) for _, f, s in triples if name in f and name in s]


def _fields(
    fields: list[FieldSpec],
    triples: list[Triple],
    kappas: dict[tuple[str, int | None], float | None],
    annotator: int | None,
) -> list[FieldConsistency]:
    out = []
    for spec_field in fields:
        given = _given_twice(spec_field, triples)
        if not given:
            continue
        same = sum(1 for first, second in given if first == second)
        out.append(
            FieldConsistency(
                spec_field.name,
                Share(same, len(given)),
                kappas.get((spec_field.name, annotator)),
            )
        )
    return out


def _kappas(
    fields: list[FieldSpec], triples: list[Triple]
) -> dict[tuple[str, int | None], float | None]:
    """Cohen's kappa of first against second answers per (categorical field, annotator),
    and pooled (annotator ``None``)."""
    out: dict[tuple[str, int | None], float | None] = {}
    for spec_field in fields:
        categories = categories_of(spec_field)
        if categories is None:
            continue
        records: list[tuple[int, int, Any]] = []
        for n, (annotator, first, second) in enumerate(triples):
            labels = [agreement_label(spec_field, v.get(spec_field.name)) for v in (first, second)]
            if None not in labels:
                # Each pair its own item: an annotator retested one item at most once.
                records += [(n, annotator, labels[0]), (n, annotator, labels[1])]
        if not records:
            continue
        ratings = Ratings.from_records(records, categories=categories, repeats=True)
        found = test_retest(ratings)
        for a, annotator in enumerate(found.annotators):
            out[(spec_field.name, int(annotator))] = _finite(float(found.kappa[a]))
        out[(spec_field.name, None)] = _finite(float(found.overall()["kappa"]))
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
