"""The baseline model of a project's ``assist`` spec: trained from decided final labels (as
a background job), its suggestions written as pre-annotations on the items still open (and,
with ``routing.order: uncertainty``, the waiting items' priorities from them, in the same
transaction), every training recorded with its held-out accuracy, and retraining due every
``every`` new final labels."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labelworks.domain.access import Action, Actor
from labelworks.domain.assist import AssistSpec
from labelworks.domain.errors import Conflict, InvalidInput
from labelworks.domain.spec import ProjectSpec
from labelworks.services import routing
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.storage import assist as assist_store
from labelworks.storage import projects as project_store
from labelworks.storage.assist import ModelRow
from labelworks.storage.engine import Database, utcnow

__all__ = [
    "AssistReport",
    "Labelled",
    "ModelRow",
    "assist_report",
    "due_projects",
    "labelled",
    "train",
]

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class AssistReport:
    """A project's model as its pages show it: the spec's settings (None: no ``assist``),
    final labels so far, how many more until the next training, its trainings newest
    first, and how often the current suggestions matched the final label decided since."""

    project: str
    assist: AssistSpec | None
    decided: int
    next_in: int | None
    models: list[ModelRow]
    checked: int
    confirmed: int


def _assist_of(spec: ProjectSpec, project: str) -> AssistSpec:
    if spec.assist is None:
        raise InvalidInput(
            f"project '{project}' has no assist section in its spec: add "
            "assist: {field: NAME} to train a baseline model (docs/project-spec.md)"
        )
    return spec.assist


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) else None


def _answer(value: Any, multi: bool) -> str | list[str] | None:
    if multi:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return sorted(value)
        return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Labelled:
    """What the model learns from: of the ``decided`` final labels, those whose item has a
    text under ``source`` and whose value of the field is a label (or a set), as pairs."""

    source: str
    multi: bool
    decided: int
    texts: list[str]
    answers: list[str | list[str]]


def labelled(conn: Any, project_id: int, spec: ProjectSpec, assist: AssistSpec) -> Labelled:
    """The project's decided final labels of the assisted field with their texts."""
    field = spec.field(assist.field)
    source = str(getattr(field, "source", "") or "")
    multi = field.kind == "multi_choice"
    texts: list[str] = []
    answers: list[str | list[str]] = []
    for payload_json, value_json in assist_store.decided_rows(conn, project_id):
        text = _text(json.loads(payload_json), source)
        answer = _answer(json.loads(value_json).get(assist.field), multi)
        if text is not None and answer is not None:
            texts.append(text)
            answers.append(answer)
    decided = assist_store.count_decided(conn, project_id)
    return Labelled(source, multi, decided, texts, answers)


def train(
    db: Database,
    project: str,
    *,
    actor: Actor | None = None,
    job_id: int | None = None,
    progress: Progress | None = None,
    auto: bool = False,
) -> ModelRow:
    """Fit the baseline on every decided final label, suggest on every open item (its
    earlier suggestions replaced) and record the training. ``Conflict`` when there is too
    little to learn from: below ``min_labels`` for an ``auto`` training (started by new
    labels), two labelled texts with two labels for one a person asked for."""
    started = time.perf_counter()
    report = progress or (lambda done, total: None)
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.MANAGE)
        spec = stored_spec(row.spec)
        assist = _assist_of(spec, project)
        found = labelled(conn, row.id, spec, assist)
    texts, answers, source, multi = found.texts, found.answers, found.source, found.multi
    if auto and len(texts) < assist.min_labels:
        raise Conflict(
            f"the model of '{project}' needs {assist.min_labels} final labels of "
            f"'{assist.field}' with a text in '{source}' to learn from; there are {len(texts)}"
        )
    # scikit-learn (about 90 MB) is loaded by the process that trains, not by every process
    # that registers the job kinds.
    from labelworks.pipelines.text_model import fit_text_model

    try:
        model, evaluation = fit_text_model(texts, answers, multi=multi)
    except ValueError as exc:
        raise Conflict(f"the model of '{project}' cannot be trained yet: {exc}") from None
    report(0, None)
    suggestions: list[dict[str, Any]] = []
    with db.read() as conn:
        for batch in assist_store.open_rows(conn, row.id):
            ids, batch_texts = [], []
            for item_id, payload_json in batch:
                text = _text(json.loads(payload_json), source)
                if text is not None:
                    ids.append(item_id)
                    batch_texts.append(text)
            for item_id, s in zip(ids, model.suggest(batch_texts), strict=True):
                value = json.dumps({assist.field: s.value})
                suggestions.append({"item_id": item_id, "score": s.score, "value": value})
            report(len(suggestions), None)
    counts = Counter(a for answer in answers for a in (answer if multi else [answer]))
    values = {
        "field": assist.field,
        "trained_at": utcnow(),
        "job_id": job_id,
        "labels": len(texts),
        "decided": found.decided,
        "folds": evaluation.folds,
        "accuracy": evaluation.accuracy,
        "low": evaluation.low,
        "high": evaluation.high,
        "macro_f1": evaluation.macro_f1,
        "counts": dict(sorted(counts.items())),
        "suggested": len(suggestions),
        "seconds": round(time.perf_counter() - started, 3),
    }

    def store(conn: Any) -> int:
        # The outgoing version's record of how its suggestions fared, before they go.
        assist_store.settle_latest(conn, row.id, *_fared(conn, row.id, assist))
        assist_store.replace_suggestions(conn, row.id, assist.model_name, suggestions)
        # The spec as it is now: routing may have changed while the model trained.
        current = project_store.by_name(conn, row.name)
        if current is not None:
            routing.route_suggestions(conn, row.id, stored_spec(current.spec))
        return assist_store.add_model(conn, row.id, values)

    db.run_write(store)
    report(len(suggestions), len(suggestions))
    with db.read() as conn:
        return assist_store.models(conn, row.id, limit=1)[0]


def assist_report(db: Database, project: str, *, actor: Actor | None = None) -> AssistReport:
    """The project's model: settings, trainings and how its suggestions are faring."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.REVIEW)
        spec = stored_spec(row.spec)
        decided = assist_store.count_decided(conn, row.id)
        history = assist_store.models(conn, row.id)
        checked = confirmed = 0
        if spec.assist is not None:
            checked, confirmed = _fared(conn, row.id, spec.assist)
    next_in = None
    if spec.assist is not None:
        next_in = max(0, _goal(spec.assist, history) - decided)
    return AssistReport(
        project=row.name,
        assist=spec.assist,
        decided=decided,
        next_in=next_in,
        models=history,
        checked=checked,
        confirmed=confirmed,
    )


def _fared(conn: Any, project_id: int, assist: AssistSpec) -> tuple[int, int]:
    """Of the current suggestions, those on items decided since, and how many of those the
    final label agreed with."""
    pairs = assist_store.suggestion_agreement(conn, project_id, assist.model_name)
    name = assist.field
    confirmed = sum(
        1 for s, f in pairs if json.loads(s).get(name) == _normal(json.loads(f).get(name))
    )
    return len(pairs), confirmed


def _goal(assist: AssistSpec, history: list[ModelRow]) -> int:
    """The count of final labels at which the next training is due."""
    return history[0].decided + assist.every if history else assist.min_labels


def _normal(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def due_projects(db: Database) -> list[str]:
    """Projects whose ``assist`` model should be trained now: enough final labels for the
    first one, or ``every`` more than the last one learnt from."""
    due = []
    with db.read() as conn:
        for row in project_store.all_projects(conn):
            spec = stored_spec(row.spec)
            if spec.assist is None or row.archived_at is not None:
                continue
            decided = assist_store.count_decided(conn, row.id)
            history = assist_store.models(conn, row.id, limit=1)
            if decided >= _goal(spec.assist, history):
                due.append(row.name)
    return due
