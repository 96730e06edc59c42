"""Acceptance criteria: measuring a project against its spec's ``quality.acceptance``
(``services.delivery`` delivers it).

The figures combine every vendor's work (agreement across vendors, pooled gold accuracy,
every item's final label), so callers behind a vendor wall may not read them. Agreement is
measured per categorical field (``choice``, ``rating``, ``pairwise``) over the ordinary
items with two or more annotations of it, with a seeded bootstrap (``RESAMPLES`` resamples
of items), so the same data always give the same interval; Krippendorff's alpha reads a
rating field at the ordinal level, every other field and metric nominal.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.acceptance import (
    Criterion,
    accepted,
    agreement_criterion,
    agreement_fields,
    agreement_label,
    all_final_criterion,
    escalations_criterion,
    gold_accuracy_criterion,
    rated_twice,
)
from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.consensus import categories_of
from labelworks.domain.errors import PermissionDenied
from labelworks.domain.fields import FieldSpec, RatingField
from labelworks.domain.spec import ProjectSpec
from labelworks.services.access import project_for
from labelworks.services.consensus import method_of
from labelworks.services.escalations import open_escalations
from labelworks.services.gold import Share
from labelworks.services.specs import stored_spec
from labelworks.stats.agreement import (
    bootstrap_ci,
    brennan_prediger,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from labelworks.stats.ratings import InvalidRatingsError, Ratings
from labelworks.storage import delivery as store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow

RESAMPLES = 1000
CONFIDENCE = 0.95
# A fixed seed: the interval is a property of the data, not of the moment it was asked for.
BOOTSTRAP_SEED = 20260601
DEFAULT_METRIC = "krippendorff_alpha"
METRICS: dict[str, Callable[..., float]] = {
    "krippendorff_alpha": krippendorff_alpha,
    "fleiss_kappa": fleiss_kappa,
    "gwet_ac1": gwet_ac1,
    "brennan_prediger": brennan_prediger,
    "percent_agreement": percent_agreement,
}

__all__ = [
    "AcceptanceReport",
    "AnnotatorAccuracy",
    "FieldAgreement",
    "acceptance_report",
    "acceptance_status",
    "measure",
    "reader",
]


@dataclass(frozen=True, slots=True)
class FieldAgreement:
    """A field's agreement: the coefficient and its 95% bootstrap interval (``None`` when
    undefined), over ``items`` items rated twice or more with ``annotations`` labels."""

    field: str
    metric: str
    estimate: float | None
    low: float | None
    high: float | None
    items: int
    annotations: int
    computed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "metric": self.metric,
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "items": self.items,
            "annotations": self.annotations,
        }


@dataclass(frozen=True, slots=True)
class AnnotatorAccuracy:
    email: str
    name: str
    vendor: str | None
    share: Share


def _share_dict(share: Share) -> dict[str, Any]:
    low, high = share.interval or (None, None)
    return {
        "correct": share.correct,
        "total": share.total,
        "accuracy": share.accuracy,
        "low": low,
        "high": high,
    }


@dataclass(frozen=True, slots=True)
class AcceptanceReport:
    """Everything a project is held to and the figures behind it: the criteria (in the
    spec's order), agreement per categorical field, pooled and per-annotator gold accuracy,
    and the items by final-label status (``final``, ``adjudicated``, ``adjudication``,
    ``pending``; ``gold``; ``open_escalations``)."""

    project: str
    generated_at: datetime
    acceptance: dict[str, Any] | None
    criteria: list[Criterion]
    agreement: list[FieldAgreement]
    gold: Share
    annotators: list[AnnotatorAccuracy]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return accepted(self.criteria)

    @property
    def items(self) -> int:
        """Ordinary items (what a delivery holds)."""
        return sum(self.counts.get(s, 0) for s in store.STATUSES)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON data (``quality_report.json``)."""
        return {
            "project": self.project,
            "generated_at": _utc(self.generated_at),
            "accepted": self.accepted,
            "acceptance": self.acceptance,
            "criteria": [c.to_dict() for c in self.criteria],
            "agreement": [a.to_dict() for a in self.agreement],
            "gold": {
                **_share_dict(self.gold),
                "annotators": [
                    {"email": a.email, "name": a.name, "vendor": a.vendor, **_share_dict(a.share)}
                    for a in self.annotators
                ],
            },
            "counts": dict(self.counts),
        }


def _utc(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def reader(conn: Connection, actor: Actor | None, name: str, action: Action) -> ProjectRow:
    """The project, if the actor may ``action`` on it and sees every vendor's work."""
    project = project_for(conn, actor, name, action)
    if wall(actor) is not None:
        raise PermissionDenied(
            "acceptance figures combine every vendor's work; vendors' staff may not read them"
        )
    return project


# ---- measuring ---------------------------------------------------------------------------


def _agreement(
    conn: Connection, project_id: int, fields: list[FieldSpec], metric: str
) -> list[FieldAgreement]:
    records: dict[str, list[tuple[int, int, Any]]] = defaultdict(list)
    for item_id, annotator_id, text in store.ordinary_votes(conn, project_id):
        value = json.loads(text)
        for f in fields:
            label = agreement_label(f, value.get(f.name)) if isinstance(value, dict) else None
            if label is not None:
                records[f.name].append((item_id, annotator_id, label))
    return [_field_agreement(f, metric, rated_twice(records[f.name])) for f in fields]


def _field_agreement(
    spec_field: FieldSpec, metric: str, records: list[tuple[int, int, Any]]
) -> FieldAgreement:
    n_items = len({item for item, _, _ in records})
    measured: tuple[float | None, ...] = (None, None, None)
    if n_items:
        options = (
            {"level": "ordinal"}
            if metric == "krippendorff_alpha" and isinstance(spec_field, RatingField)
            else {}
        )
        try:
            ratings = Ratings.from_records(records, categories=categories_of(spec_field))
            measured = bootstrap_ci(
                METRICS[metric],
                ratings,
                n_resamples=RESAMPLES,
                confidence=CONFIDENCE,
                seed=BOOTSTRAP_SEED,
                **options,
            )
        except InvalidRatingsError:
            pass
    estimate, low, high = (x if x is not None and math.isfinite(x) else None for x in measured)
    computed = measured[0] is not None
    return FieldAgreement(
        spec_field.name, metric, estimate, low, high, n_items, len(records), computed
    )


def measure(conn: Connection, project: ProjectRow, now: datetime) -> AcceptanceReport:
    """The project's acceptance report, read through ``conn`` (one snapshot for a delivery)."""
    spec = stored_spec(project.spec)
    rules = spec.quality.acceptance
    wanted = rules.agreement if rules is not None else None
    metric = wanted.metric if wanted is not None else DEFAULT_METRIC
    agreement = _agreement(conn, project.id, agreement_fields(spec.fields), metric)
    tallies = store.gold_tallies(conn, project.id)
    gold = Share(sum(t.correct for t in tallies), sum(t.total for t in tallies))
    counts = store.item_counts(conn, project.id)
    counts["open_escalations"] = open_escalations(conn, project.id)
    return AcceptanceReport(
        project=project.name,
        generated_at=now,
        acceptance=None if rules is None else rules.model_dump(exclude_none=True),
        criteria=_criteria(spec, agreement, gold, counts),
        agreement=agreement,
        gold=gold,
        annotators=[
            AnnotatorAccuracy(t.email, t.name, t.vendor, Share(t.correct, t.total)) for t in tallies
        ],
        counts=counts,
    )


def _measured(a: FieldAgreement) -> tuple[float, float, float] | None:
    """What the bootstrap gave (NaN where undefined); ``None`` if it could not run."""
    if not a.computed:
        return None
    estimate, low, high = (math.nan if x is None else x for x in (a.estimate, a.low, a.high))
    return estimate, low, high


def _criteria(
    spec: ProjectSpec, agreement: list[FieldAgreement], gold: Share, counts: dict[str, int]
) -> list[Criterion]:
    rules = spec.quality.acceptance
    if rules is None:
        return []
    found: list[Criterion] = []
    if rules.agreement is not None:
        for a in agreement:
            if rules.agreement.field in (None, a.field):
                found.append(
                    agreement_criterion(
                        a.field, a.metric, _measured(a), rules.agreement.lower_bound, a.items
                    )
                )
    if rules.gold_accuracy is not None:
        found.append(gold_accuracy_criterion(gold.correct, gold.total, rules.gold_accuracy))
    if rules.gold_accuracy_lower_bound is not None:
        target = rules.gold_accuracy_lower_bound
        found.append(gold_accuracy_criterion(gold.correct, gold.total, target, lower_bound=True))
    if rules.all_final:
        items = sum(counts[s] for s in store.STATUSES)
        found.append(
            all_final_criterion(
                items,
                counts["final"] + counts["adjudicated"],
                counts["adjudication"],
                keeps_final_labels=method_of(spec) is not None,
            )
        )
    if rules.no_open_escalations:
        found.append(escalations_criterion(counts["open_escalations"]))
    return found


# ---- use cases ---------------------------------------------------------------------------


def acceptance_report(
    db: Database, project_name: str, *, actor: Actor | None = None, now: datetime | None = None
) -> AcceptanceReport:
    """The project measured against its acceptance criteria, with the figures behind them
    (reviewers, managers and admins outside any vendor)."""
    with db.read(snapshot=True) as conn:
        project = reader(conn, actor, project_name, Action.REVIEW)
        return measure(conn, project, now or utcnow())


def acceptance_status(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> list[Criterion]:
    """Each acceptance criterion of the project, met or not, with its value and target."""
    return acceptance_report(db, project_name, actor=actor).criteria
