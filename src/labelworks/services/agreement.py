"""Inter-annotator agreement of a project, per field, over a period and a vendor's people.

Per categorical field (``choice``, ``rating``, ``pairwise``): Krippendorff's alpha (ordinal
for a rating field, nominal otherwise), Fleiss' kappa and Gwet's AC1, each with its 95%
bootstrap interval; agreement on each label alone (Fleiss' kappa, one label against the
rest); Cohen's kappa of every pair of annotators on the items they share; and, from
``services.disagreement``, the confusion matrix between labels, the most contested items
and each annotator's agreement with the rest. Per ``spans``, ``boxes`` or ``segments``
field: the stats core's pairwise F1. Every figure comes from ``labelworks.stats``.

The votes are the ones acceptance measures (``storage.delivery.ordinary_votes``: ordinary
items, annotations set aside left out), read the same way (``domain.acceptance``
``agreement_label`` and ``rated_twice``: items with two or more labels), with the same
seeded bootstrap (``services.acceptance`` ``RESAMPLES``, ``CONFIDENCE``,
``BOOTSTRAP_SEED``), so the unfiltered figures match the acceptance report's and the same
data always give the same interval. Filters keep the annotations submitted in
``[since, until)`` and those of one ``vendor``'s people. Vendor walls: a vendor's staff
read their own vendor's annotations only (the vendor filter is theirs, asking for another
is refused), so nothing of another vendor's work reaches them.

Caching by project state: measuring a million annotations takes about half a minute of CPU
(reading and decoding the votes, three bootstraps of about 5 s each, the per-annotator
bootstraps), so each report is kept in-process under ``(db.cache_scope, project id, field,
filters)`` together with the project's state when it was measured: ``(annotation count,
newest annotation id, spec revision)``, read in the same snapshot as the votes. A later
call first reads that state (one indexed count) and returns the kept report (or its one
field from the kept whole report with the same filters) while it holds; any submit,
set-aside or spec change measures afresh. Annotations are never edited in place, so the
state changes whenever the votes do, whatever the filters. The ``CACHE_SIZE`` reports used
last are kept. Misses are not coalesced: two first calls at once both measure (the page
measures big projects in the background, once at a time per project and filters).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any

import numpy as np
from sqlalchemy import Connection

from labelworks.domain.acceptance import (
    CATEGORICAL_KINDS,
    STRUCTURED_KINDS,
    agreement_field_problem,
    agreement_fields,
    agreement_label,
    rated_twice,
)
from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.consensus import categories_of
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.domain.fields import BoxesField, FieldSpec, RatingField, SegmentsField, SpansField
from labelworks.domain.moments import stored_utc
from labelworks.services import disagreement
from labelworks.services.acceptance import BOOTSTRAP_SEED, CONFIDENCE, RESAMPLES
from labelworks.services.access import project_for
from labelworks.services.agreement_report import (
    AgreementReport,
    AnnotatorPairs,
    FieldAgreement,
    Filters,
)
from labelworks.services.disagreement import UNDEFINED, Coefficient, finite
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
MEASURED_KINDS = (*CATEGORICAL_KINDS, *STRUCTURED_KINDS)
CACHE_SIZE = 64

__all__ = [
    "METRICS",
    "AgreementReport",
    "AnnotatorPairs",
    "Choices",
    "Coefficient",
    "FieldAgreement",
    "Filters",
    "agreement_choices",
    "kept_agreement",
    "measure_later",
    "moment",
    "project_agreement",
]

Record = tuple[int, int, Any]


def moment(text: str, name: str) -> datetime:
    """A date or a date and time (UTC unless it carries an offset) as storage keeps it
    (naive UTC); bad text is refused naming ``name``."""
    try:
        return stored_utc(text)
    except ValueError:
        shown = text if len(text) <= 40 else f"{text[:40]}…"
        raise InvalidInput(
            f"{name} must be a date such as 2026-01-31 or 2026-01-31T12:00, not {shown!r}",
            details={"parameter": name},
        ) from None


# ---- measuring ---------------------------------------------------------------------------


def _records(
    conn: Connection, project_id: int, fields: Sequence[FieldSpec], filters: Filters
) -> dict[str, list[Record]]:
    """Per field, ``(item, annotator, label)`` of a categorical field or ``(item,
    annotator, objects)`` of a structured one, on items with two or more of them."""
    found: dict[str, list[Record]] = defaultdict(list)
    categorical = [f for f in fields if f.kind in CATEGORICAL_KINDS]
    structured = [f for f in fields if f.kind in STRUCTURED_KINDS]
    votes = votes_store.ordinary_votes(
        conn, project_id, since=filters.since, until=filters.until, vendor=filters.vendor
    )
    for item_id, annotator_id, text in votes:
        value = json.loads(text)
        if not isinstance(value, dict):
            continue
        for f in categorical:
            label = agreement_label(f, value.get(f.name))
            if label is not None:
                found[f.name].append((item_id, annotator_id, label))
        for f in structured:
            objects = value.get(f.name)
            if isinstance(objects, list) and all(isinstance(o, dict) for o in objects):
                found[f.name].append((item_id, annotator_id, objects))
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
        out[name] = Coefficient(*(finite(float(x)) for x in measured))
    return out


def _pairs(r: Ratings, emails: dict[int, str]) -> AnnotatorPairs:
    p = pairwise_matrix(r)
    mean = p.mean_agreement()
    return AnnotatorPairs(
        annotators=[emails.get(int(a), str(a)) for a in p.annotators],
        kappa=[[finite(float(v)) for v in row] for row in p.values],
        shared=[[int(n) for n in row] for row in np.asarray(p.shared)],
        mean=[finite(mean[a]) for a in p.annotators],
    )


def _field_agreement(
    spec_field: FieldSpec,
    records: list[Record],
    emails: dict[int, str],
    external_ids: Callable[[list[int]], dict[int, str]],
) -> FieldAgreement:
    ordinal = isinstance(spec_field, RatingField)
    counted = FieldAgreement(
        field=spec_field.name,
        kind=spec_field.kind,
        level="ordinal" if ordinal else "nominal",
        items=len({item for item, _, _ in records}),
        ratings=len(records),
        annotators=len({annotator for _, annotator, _ in records}),
        coefficients=dict.fromkeys(METRICS, UNDEFINED),
    )
    if isinstance(spec_field, SpansField | BoxesField | SegmentsField):
        figures = disagreement.structured_figures(spec_field, records, emails) if records else None
        return dataclasses.replace(counted, level=None, structured=figures)
    if not records:
        return counted
    try:
        r = Ratings.from_records(records, categories=categories_of(spec_field))
    except InvalidRatingsError:
        return counted
    return dataclasses.replace(
        counted,
        coefficients=_coefficients(r, ordinal),
        labels=[(k, finite(v)) for k, v in per_label_agreement(r).items()],
        pairs=_pairs(r, emails),
        confusion=disagreement.confusion(r),
        contested=disagreement.contested_items(r, emails, external_ids),
        with_rest=disagreement.annotators_with_rest(r, emails),
    )


def measure(
    conn: Connection, project: ProjectRow, field_name: str | None, filters: Filters = Filters()
) -> AgreementReport:
    """The project's agreement, read through ``conn`` (one snapshot)."""
    fields = agreement_fields(stored_spec(project.spec).fields, field_name, MEASURED_KINDS)
    records = _records(conn, project.id, fields, filters)
    people = {a for rs in records.values() for _, a, _ in rs}
    emails = agreement_votes.emails_of(conn, people)

    def external_ids(item_ids: list[int]) -> dict[int, str]:
        return agreement_votes.external_ids(conn, project.id, item_ids)

    return AgreementReport(
        project.name,
        [_field_agreement(f, records[f.name], emails, external_ids) for f in fields],
        filters,
    )


# ---- the use case ------------------------------------------------------------------------

State = tuple[int, int, int]
_cache: OrderedDict[tuple[Any, ...], tuple[State, AgreementReport]] = OrderedDict()
_lock = Lock()


def project_agreement(
    db: Database,
    project_name: str,
    *,
    field: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    vendor: str | None = None,
    actor: Actor | None = None,
) -> AgreementReport:
    """Agreement per measured field of the project, or of the one ``field`` named, over the
    annotations submitted in ``[since, until)`` by ``vendor``'s people (reviewers, managers
    and admins; a vendor's staff read their own vendor's annotations only). An unknown or
    unmeasured ``field``, an unknown vendor or an empty period is refused saying why."""
    found = _agreement(db, project_name, field, Filters(since, until, vendor), actor, True)
    assert found is not None  # measured when not kept
    return found


def kept_agreement(
    db: Database,
    project_name: str,
    *,
    field: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    vendor: str | None = None,
    latest: bool = False,
    actor: Actor | None = None,
    state: tuple[int, int] | None = None,
) -> AgreementReport | None:
    """The report (of the one ``field``, or whole) with these filters if it is kept for
    the project as it is now, else ``None``; with ``latest``, the last one kept even if the
    project changed since (its ``annotations`` tell). Never measures; the rights, field and
    filters are checked as ``project_agreement`` checks them. ``state`` is the project's
    vote state when the caller has just read it (``Choices.state``)."""
    filters = Filters(since, until, vendor)
    return _agreement(db, project_name, field, filters, actor, False, latest=latest, state=state)


@dataclass(frozen=True, slots=True)
class Choices:
    """What agreement may be narrowed to, for a form: the fields it measures (spec order)
    and the vendors (of the project's members; a vendor's staff: their own); and how many
    annotations the project has, to judge whether measuring may keep a page waiting."""

    fields: list[str]
    vendors: list[str]
    annotations: int
    # (annotations, newest annotation id): a page hands it to ``kept_agreement`` rather
    # than have it counted twice (at 1M annotations each count walks an index for ~90 ms).
    state: tuple[int, int] = (0, 0)


def agreement_choices(db: Database, project_name: str, *, actor: Actor | None = None) -> Choices:
    """The ``Choices`` of the project (the rights checked as ``project_agreement`` does)."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        fields = agreement_fields(stored_spec(project.spec).fields, None, MEASURED_KINDS)
        walled = wall(actor)
        vendors = [walled] if walled else agreement_votes.member_vendors(conn, project.id)
        state = agreement_votes.vote_state(conn, project.id)
    return Choices([f.name for f in fields], vendors, state[0], state)


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="labelworks-agreement", daemon=True).start()


# How measuring in the background starts; tests replace it to run it where it is asked for.
runner: Callable[[Callable[[], None]], None] = _in_thread
_measuring: set[tuple[Any, ...]] = set()


def measure_later(
    db: Database,
    project_name: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    vendor: str | None = None,
    actor: Actor | None = None,
) -> None:
    """Measure the whole report with these filters in the background (once at a time per
    project and filters), so a page on a big project never waits for its bootstraps."""
    # the rights and filters, checked in the request
    kept_agreement(db, project_name, since=since, until=until, vendor=vendor, actor=actor)
    key = (db.cache_scope, project_name, since, until, vendor)
    with _lock:
        if key in _measuring:
            return
        _measuring.add(key)

    def work() -> None:
        try:
            project_agreement(
                db, project_name, since=since, until=until, vendor=vendor, actor=actor
            )
        finally:
            with _lock:
                _measuring.discard(key)

    runner(work)


def _checked(conn: Connection, actor: Actor | None, filters: Filters) -> Filters:
    """The filters as measured: a walled caller's vendor is their own."""
    if filters.since and filters.until and filters.since >= filters.until:
        raise InvalidInput("since must be before until", details={"parameter": "since"})
    walled = wall(actor)
    if walled is not None:
        if filters.vendor not in (None, walled):
            raise PermissionDenied(f"behind a vendor wall you read {walled}'s work only")
        return dataclasses.replace(filters, vendor=walled)
    vendor = filters.vendor
    if vendor is not None and ("\x00" in vendor or not agreement_votes.vendor_exists(conn, vendor)):
        raise InvalidInput(f"unknown vendor {filters.vendor!r}", details={"parameter": "vendor"})
    return filters


def _agreement(
    db: Database,
    project_name: str,
    field: str | None,
    asked: Filters,
    actor: Actor | None,
    compute: bool,
    *,
    latest: bool = False,
    state: tuple[int, int] | None = None,
) -> AgreementReport | None:
    with db.read(snapshot=True) as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        filters = _checked(conn, actor, asked)
        if field is not None:
            spec_fields = stored_spec(project.spec).fields
            problem = agreement_field_problem(spec_fields, field, MEASURED_KINDS)
            if problem is not None:
                raise InvalidInput(problem, details={"field": field})
        votes = state if state is not None else agreement_votes.vote_state(conn, project.id)
        now_state = (*votes, project.spec_revision)
        key = (db.cache_scope, project.id, field, filters)
        whole_key = (db.cache_scope, project.id, None, filters)
        with _lock:
            cached = _cache.get(key)
            whole = _cache.get(whole_key)
            for k in (key, whole_key):
                if k in _cache:
                    _cache.move_to_end(k)
        # the field's own report or that field of the whole one; current ones first
        found = [(e, e is whole) for e in (cached, whole) if e is not None]
        usable = [x for x in found if x[0][0] == now_state] or (found if latest else [])
        if usable:
            (_, kept), narrow = usable[0]
            if narrow and field is not None:
                return dataclasses.replace(
                    kept, fields=[f for f in kept.fields if f.field == field]
                )
            return kept
        if not compute:
            return None
        report = dataclasses.replace(
            measure(conn, project, field, filters), annotations=now_state[0]
        )
    with _lock:
        _cache[key] = (now_state, report)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return report
