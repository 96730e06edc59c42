"""Evaluating a model version's predictions against the project's final labels or gold
answers (``labelworks eval run``): the stats core's metrics with bootstrap intervals over
items, overall and per slice, each run stored with its whole report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.domain.fields import (
    BoxesField,
    ChoiceField,
    FieldSpec,
    MultiChoiceField,
    PairwiseField,
    RatingField,
    SegmentsField,
    SpansField,
)
from labelworks.domain.gold import MATCH_IOU
from labelworks.domain.predictions import model_key, split_model
from labelworks.domain.spec import ProjectSpec
from labelworks.services.access import unwalled_project
from labelworks.services.evaluation_data import Pairs, plain, slice_value
from labelworks.services.specs import stored_spec
from labelworks.stats.model_metrics import (
    classification_report,
    multilabel_report,
    structured_report,
)
from labelworks.stats.ratings import InvalidRatingsError
from labelworks.storage import eval_runs as run_store
from labelworks.storage import predictions as prediction_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.eval_runs import EvalRunRow
from labelworks.storage.predictions import Against, Scored
from labelworks.storage.projects import ProjectRow

__all__ = [
    "AGAINST",
    "MAX_SLICES",
    "EvalRunRow",
    "Evaluated",
    "against_of",
    "eval_run",
    "eval_runs",
    "evaluable_fields",
    "evaluable_project",
    "resolve_model",
    "run_evaluation",
    "scored_pairs",
]

AGAINST: tuple[Against, ...] = ("final", "gold")
# Slices beyond these many values (by items) are left out of the per-slice table.
MAX_SLICES = 30
RESAMPLES = 1000
Kind = Literal["classification", "multilabel", "structured"]
_WALLED = "evaluations score against final labels decided from every vendor's work"


@dataclass(frozen=True, slots=True)
class Evaluated:
    """The items a model version is scored on, for one field."""

    model: str
    version: str
    field: FieldSpec
    kind: Kind
    rows: list[Scored]
    skipped: int


def against_of(given: str) -> Against:
    """``final`` or ``gold`` as the reference a caller named, or ``InvalidInput``."""
    for known in AGAINST:
        if given == known:
            return known
    raise InvalidInput(f"against must be final or gold, not '{given}'")


def evaluable_project(conn: Connection, actor: Actor | None, project: str) -> ProjectRow:
    """The project, for someone who may review it from outside any vendor's wall."""
    return unwalled_project(
        conn, actor, project, Action.REVIEW, f"{_WALLED}; vendors' staff may not"
    )


def resolve_model(conn: Connection, project_id: int, given: str) -> tuple[str, str]:
    """``name@version`` or ``name`` (its newest version) → (name, version)."""
    name, version = split_model(given)
    versions = [m for m in prediction_store.model_versions(conn, project_id) if m.model == name]
    if version is not None:
        versions = [m for m in versions if m.version == version]
    if not versions:
        known = sorted(
            {
                model_key(m.model, m.version)
                for m in prediction_store.model_versions(conn, project_id)
            }
        )
        raise NotFound(
            f"no predictions from model '{given}' in this project"
            + (f" (models: {', '.join(known[:10])})" if known else " (none pushed yet)")
        )
    return name, versions[0].version


def evaluable_fields(spec: ProjectSpec) -> list[FieldSpec]:
    """The fields a prediction can be scored on (free text cannot)."""
    kinds = (
        ChoiceField,
        MultiChoiceField,
        RatingField,
        PairwiseField,
        SpansField,
        BoxesField,
        SegmentsField,
    )
    return [f for f in spec.fields if isinstance(f, kinds)]


def _kind(field: FieldSpec) -> Kind:
    if isinstance(field, MultiChoiceField):
        return "multilabel"
    if isinstance(field, SpansField | BoxesField | SegmentsField):
        return "structured"
    return "classification"


def scored_pairs(
    conn: Connection,
    project: ProjectRow,
    model: str,
    version: str,
    field_name: str | None,
    against: Against,
    *,
    with_item: bool = True,
) -> Evaluated:
    """The model version's answers beside the reference on one field (the first field it
    predicts when ``field_name`` is None)."""
    if against not in AGAINST:
        raise InvalidInput(f"against must be 'final' or 'gold', not '{against}'")
    spec = stored_spec(project.spec)
    fields = {f.name: f for f in evaluable_fields(spec)}
    if field_name is not None and field_name not in fields:
        raise InvalidInput(
            f"'{field_name}' is not a field predictions can be scored on "
            f"(fields: {', '.join(fields) or 'none'})"
        )
    rows = list(
        prediction_store.scored_rows(conn, project.id, model, version, against, with_item=with_item)
    )
    if field_name is None:
        field_name = next((n for n in fields if any(n in r.value for r in rows)), None)
        if field_name is None:
            raise InvalidInput(
                f"model '{model_key(model, version)}' has no prediction on an item with "
                f"{'a decided final label' if against == 'final' else 'a gold answer'}"
            )
    usable = [r for r in rows if field_name in r.value and field_name in r.reference]
    if not usable:
        raise InvalidInput(
            f"no item has both a prediction of '{field_name}' from "
            f"'{model_key(model, version)}' and "
            f"{'a decided final label' if against == 'final' else 'a gold answer'} for it"
        )
    field = fields[field_name]
    return Evaluated(model, version, field, _kind(field), usable, len(rows) - len(usable))


def report_of(evaluated: Evaluated, rows: Sequence[Scored], seed: int) -> dict[str, Any]:
    """The metrics of ``rows`` (some or all of ``evaluated``'s) as plain JSON."""
    pairs = Pairs(evaluated.field)
    name = evaluated.field.name
    reference = [pairs.answer(r.reference[name]) for r in rows]
    predicted = [pairs.answer(r.value[name]) for r in rows]
    if evaluated.kind == "multilabel":
        assert isinstance(evaluated.field, MultiChoiceField)
        found: Any = multilabel_report(
            reference, predicted, labels=evaluated.field.labels, n_resamples=RESAMPLES, seed=seed
        )
    elif evaluated.kind == "structured":
        threshold = 1.0 if isinstance(evaluated.field, SpansField) else MATCH_IOU
        found = structured_report(
            reference, predicted, threshold=threshold, n_resamples=RESAMPLES, seed=seed
        )
    else:
        labels = pairs.labels(reference, predicted)
        found = classification_report(
            reference,
            predicted,
            labels=labels,
            probabilities=pairs.probabilities(rows, labels),
            n_resamples=RESAMPLES,
            seed=seed,
        )
    report: dict[str, Any] = plain(found)
    return report


def run_evaluation(
    db: Database,
    project: str,
    model: str,
    *,
    field: str | None = None,
    against: Against = "final",
    slice_key: str | None = None,
    actor: Actor | None = None,
    seed: int = 0,
) -> EvalRunRow:
    """Score ``model`` (``name`` or ``name@version``) and store the run."""
    with db.read() as conn:
        row = evaluable_project(conn, actor, project)
        name, version = resolve_model(conn, row.id, model)
        evaluated = scored_pairs(
            conn, row, name, version, field, against, with_item=slice_key is not None
        )
    try:
        report = report_of(evaluated, evaluated.rows, seed)
        report["skipped"] = evaluated.skipped
        report["kind"] = evaluated.kind
        if slice_key is not None:
            report["slices"] = _slices(evaluated, slice_key, seed)
    except InvalidRatingsError as exc:
        raise InvalidInput(f"cannot evaluate '{model}': {exc}") from None
    values = {
        "model": name,
        "version": version,
        "field": evaluated.field.name,
        "against": against,
        "slice_key": slice_key,
        "items": len(evaluated.rows),
        "headline": _headline(report),
        "report": report,
        "created_at": utcnow(),
        "created_by": None if actor is None else actor.email,
    }

    def store(conn: Connection) -> int:
        return run_store.add(conn, row.id, values)

    run_id = db.run_write(store)
    with db.read() as conn:
        stored = run_store.run(conn, row.id, run_id)
    assert stored is not None
    return stored


def _headline(report: dict[str, Any]) -> float | None:
    for key in ("accuracy", "subset_accuracy", "f1"):
        if key in report and report[key] is not None:
            value = report[key]["value"]
            return None if value is None else float(value)
    return None


def _slices(evaluated: Evaluated, key: str, seed: int) -> list[dict[str, Any]]:
    groups: dict[str, list[Scored]] = {}
    for r in evaluated.rows:
        groups.setdefault(slice_value(r, key), []).append(r)
    sizes = Counter({value: len(rows) for value, rows in groups.items()})
    out = []
    for value, n in sizes.most_common(MAX_SLICES):
        try:
            metrics = report_of(evaluated, groups[value], seed)
        except InvalidRatingsError as exc:
            out.append({"value": value, "items": n, "error": str(exc)})
            continue
        out.append({"value": value, "items": n, **metrics})
    return out


def eval_runs(
    db: Database, project: str, *, actor: Actor | None = None, limit: int = 50
) -> list[EvalRunRow]:
    """The project's stored runs, newest first."""
    with db.read() as conn:
        row = evaluable_project(conn, actor, project)
        return run_store.runs(conn, row.id, limit=limit)


def eval_run(db: Database, project: str, run_id: int, *, actor: Actor | None = None) -> EvalRunRow:
    """One stored run, or ``NotFound``."""
    with db.read() as conn:
        row = evaluable_project(conn, actor, project)
        found = run_store.run(conn, row.id, run_id)
    if found is None:
        raise NotFound(f"no evaluation run {run_id} in project '{project}'")
    return found
