"""Inter-annotator agreement of a project, per categorical field (``choice``, ``rating``,
``pairwise``): Krippendorff's alpha (ordinal for a rating field, nominal otherwise),
Fleiss' kappa and Gwet's AC1, each with its 95% bootstrap interval; agreement on each label
alone (Fleiss' kappa, one label against the rest); and Cohen's kappa of every pair of
annotators on the items they share. Every figure comes from ``labelworks.stats``.

The votes are the ones acceptance measures (``storage.delivery.ordinary_votes``: ordinary
items, annotations set aside left out), read the same way (``domain.acceptance``
``agreement_label`` and ``rated_twice``: items with two or more labels), with the same
seeded bootstrap (``services.acceptance`` ``RESAMPLES``, ``CONFIDENCE``,
``BOOTSTRAP_SEED``), so the figures match the acceptance report's and the same data always
give the same interval. Agreement pools every vendor's work, so callers behind a vendor
wall may not read it.

Caching: measuring a million annotations takes about 15 s of CPU (three bootstraps of
about 4 s each, then reading the votes), so each report is kept in-process under
``(db.cache_scope, project id, field)`` together with the project's state when it was
measured: ``(annotation count, newest annotation id, spec revision)``, read in the same
snapshot as the votes. A later call first reads that state (one indexed count) and
returns the kept report (or its one field from the kept whole report) while it holds; any
submit, set-aside or spec change measures afresh. Annotations are never edited in place,
so the state changes whenever the votes do. Misses are not coalesced: two first calls at
once both measure.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

import numpy as np
from sqlalchemy import Connection

from labelworks.domain.acceptance import (
    agreement_field_problem,
    agreement_fields,
    agreement_label,
    rated_twice,
)
from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.consensus import categories_of
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.domain.fields import FieldSpec, RatingField
from labelworks.services.acceptance import BOOTSTRAP_SEED, CONFIDENCE, RESAMPLES
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.stats.agreement import (
    bootstrap_ci,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_matrix,
    per_label_agreement,
)
from labelworks.stats.ratings import InvalidRatingsError, Ratings
from labelworks.storage import agreement_votes
from labelworks.storage import delivery as votes_store
from labelworks.storage.engine import Database
from labelworks.storage.projects import ProjectRow

METRICS: dict[str, Callable[..., float]] = {
    "krippendorff_alpha": krippendorff_alpha,
    "fleiss_kappa": fleiss_kappa,
    "gwet_ac1": gwet_ac1,
}

__all__ = [
    "METRICS",
    "AgreementReport",
    "AnnotatorPairs",
    "Coefficient",
    "FieldAgreement",
    "project_agreement",
]

Record = tuple[int, int, Any]


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class Coefficient:
    """A coefficient and its 95% bootstrap interval; ``None`` where undefined."""

    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}


UNDEFINED = Coefficient(None, None, None)


@dataclass(frozen=True, slots=True)
class AnnotatorPairs:
    """Cohen's kappa of every pair of annotators (by email) on the items both rated
    (``None`` on the diagonal and for pairs sharing fewer than two items), how many items
    each pair shares (the diagonal: how many each rated), and each annotator's mean kappa
    with the others."""

    annotators: list[str]
    kappa: list[list[float | None]]
    shared: list[list[int]]
    mean: list[float | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotators": list(self.annotators),
            "kappa": [list(row) for row in self.kappa],
            "shared": [list(row) for row in self.shared],
            "mean": list(self.mean),
        }


@dataclass(frozen=True, slots=True)
class FieldAgreement:
    """One field's agreement over ``items`` items rated twice or more, with ``ratings``
    labels from ``annotators`` people; ``level`` is the level Krippendorff's alpha read."""

    field: str
    kind: str
    level: str
    items: int
    ratings: int
    annotators: int
    coefficients: dict[str, Coefficient]
    labels: list[tuple[Any, float | None]] = dataclasses.field(default_factory=list)
    pairs: AnnotatorPairs | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "level": self.level,
            "items": self.items,
            "ratings": self.ratings,
            "annotators": self.annotators,
            **{name: c.to_dict() for name, c in self.coefficients.items()},
            "labels": [{"label": label, "fleiss_kappa": v} for label, v in self.labels],
            "pairwise": None if self.pairs is None else self.pairs.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class AgreementReport:
    project: str
    fields: list[FieldAgreement]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON data (NaN and infinities as ``null``)."""
        return {"project": self.project, "fields": {f.field: f.to_dict() for f in self.fields}}


# ---- measuring ---------------------------------------------------------------------------


def _records(
    conn: Connection, project_id: int, fields: Sequence[FieldSpec]
) -> dict[str, list[Record]]:
    found: dict[str, list[Record]] = defaultdict(list)
    for item_id, annotator_id, text in votes_store.ordinary_votes(conn, project_id):
        value = json.loads(text)
        if not isinstance(value, dict):
            continue
        for f in fields:
            label = agreement_label(f, value.get(f.name))
            if label is not None:
                found[f.name].append((item_id, annotator_id, label))
    return {f.name: rated_twice(found[f.name]) for f in fields}


def _coefficients(r: Ratings, ordinal: bool) -> dict[str, Coefficient]:
    out: dict[str, Coefficient] = {}
    for name, metric in METRICS.items():
        alpha = ordinal and name == "krippendorff_alpha"
        options: dict[str, Any] = {"level": "ordinal"} if alpha else {}
        try:
            measured = bootstrap_ci(
                metric,
                r,
                n_resamples=RESAMPLES,
                confidence=CONFIDENCE,
                seed=BOOTSTRAP_SEED,
                **options,
            )
        except InvalidRatingsError:
            out[name] = UNDEFINED
            continue
        out[name] = Coefficient(*(_finite(float(x)) for x in measured))
    return out


def _pairs(r: Ratings, emails: dict[int, str]) -> AnnotatorPairs:
    p = pairwise_matrix(r)
    mean = p.mean_agreement()
    return AnnotatorPairs(
        annotators=[emails.get(int(a), str(a)) for a in p.annotators],
        kappa=[[_finite(float(v)) for v in row] for row in p.values],
        shared=[[int(n) for n in row] for row in np.asarray(p.shared)],
        mean=[_finite(mean[a]) for a in p.annotators],
    )


def _field_agreement(
    spec_field: FieldSpec, records: list[Record], emails: dict[int, str]
) -> FieldAgreement:
    ordinal = isinstance(spec_field, RatingField)
    items = len({item for item, _, _ in records})
    people = len({annotator for _, annotator, _ in records})
    coefficients = dict.fromkeys(METRICS, UNDEFINED)
    labels: list[tuple[Any, float | None]] = []
    pairs = None
    if records:
        try:
            r = Ratings.from_records(records, categories=categories_of(spec_field))
        except InvalidRatingsError:
            r = None
        if r is not None:
            coefficients = _coefficients(r, ordinal)
            labels = [(k, _finite(v)) for k, v in per_label_agreement(r).items()]
            pairs = _pairs(r, emails)
    return FieldAgreement(
        field=spec_field.name,
        kind=spec_field.kind,
        level="ordinal" if ordinal else "nominal",
        items=items,
        ratings=len(records),
        annotators=people,
        coefficients=coefficients,
        labels=labels,
        pairs=pairs,
    )


def measure(conn: Connection, project: ProjectRow, field_name: str | None) -> AgreementReport:
    """The project's agreement, read through ``conn`` (one snapshot)."""
    fields = agreement_fields(stored_spec(project.spec).fields, field_name)
    records = _records(conn, project.id, fields)
    people = {a for rs in records.values() for _, a, _ in rs}
    emails = agreement_votes.emails_of(conn, people)
    return AgreementReport(
        project.name, [_field_agreement(f, records[f.name], emails) for f in fields]
    )


# ---- the use case ------------------------------------------------------------------------

_cache: dict[tuple[str, int, str | None], tuple[tuple[int, int, int], AgreementReport]] = {}
_lock = Lock()


def project_agreement(
    db: Database, project_name: str, *, field: str | None = None, actor: Actor | None = None
) -> AgreementReport:
    """Agreement per categorical field of the project, or of the one ``field`` named
    (reviewers, managers and admins outside any vendor). An unknown or non-categorical
    ``field`` is refused naming the fields."""
    found = _agreement(db, project_name, field, actor, compute=True)
    assert found is not None  # measured when not kept
    return found


def kept_agreement(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> AgreementReport | None:
    """The whole report if it is kept for the project as it is now, else ``None`` (never
    measures; the rights are checked as ``project_agreement`` checks them)."""
    return _agreement(db, project_name, None, actor, compute=False)


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="labelworks-agreement", daemon=True).start()


# How measuring in the background starts; tests replace it to run it where it is asked for.
runner: Callable[[Callable[[], None]], None] = _in_thread
_measuring: set[tuple[str, str]] = set()


def measure_later(db: Database, project_name: str, *, actor: Actor | None = None) -> None:
    """Measure the whole report in the background (once at a time per project), so a page
    on a big project never waits seconds for its bootstraps."""
    kept_agreement(db, project_name, actor=actor)  # the rights, checked in the request
    key = (db.cache_scope, project_name)
    with _lock:
        if key in _measuring:
            return
        _measuring.add(key)

    def work() -> None:
        try:
            project_agreement(db, project_name, actor=actor)
        finally:
            with _lock:
                _measuring.discard(key)

    runner(work)


def _agreement(
    db: Database, project_name: str, field: str | None, actor: Actor | None, *, compute: bool
) -> AgreementReport | None:
    with db.read(snapshot=True) as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        if wall(actor) is not None:
            raise PermissionDenied(
                "agreement pools every vendor's work; vendors' staff may not read it"
            )
        if field is not None:
            problem = agreement_field_problem(stored_spec(project.spec).fields, field)
            if problem is not None:
                raise InvalidInput(problem, details={"field": field})
        state = (*agreement_votes.vote_state(conn, project.id), project.spec_revision)
        key = (db.cache_scope, project.id, field)
        with _lock:
            cached = _cache.get(key)
            whole = _cache.get((db.cache_scope, project.id, None))
        if cached is not None and cached[0] == state:
            return cached[1]
        if whole is not None and whole[0] == state:  # one field of the kept whole report
            return AgreementReport(
                whole[1].project, [f for f in whole[1].fields if f.field == field]
            )
        if not compute:
            return None
        report = measure(conn, project, field)
    with _lock:
        _cache[key] = (state, report)
    return report
