"""Consensus: settling an item's final label when it reaches its overlap, dynamic overlap,
and fitting the project's consensus model without stalling labeling.

A project has consensus when its spec sets ``quality.consensus`` or
``quality.dynamic_overlap`` (majority when only the latter). ``settle`` runs inside the
submit that brings an item to its overlap: one read of the item's votes, the decision
(``domain.consensus``) with the project's last fitted model, and one write — the final
label, or a raised target that sends the item back for one more annotation, or an
adjudication entry.

Wawa and Dawid–Skene need a model fitted over the whole project. Fitting never runs inside
a request: once enough new annotations arrived since the last fit (``REFIT_GROWTH``), a
background thread fits it from a read snapshot and stores it in a short write; decisions in
between use the last model (and a new annotator's answers a default accuracy).
``refit_project`` fits and re-decides every item at once (the CLI, the simulator, tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.domain.consensus import (
    Decision,
    DynamicOverlap,
    FieldModel,
    Next,
    Vote,
    categories_of,
    decide,
    next_step,
)
from labelworks.domain.spec import ProjectSpec
from labelworks.services import audit, webhooks
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.services.structured import similarities
from labelworks.storage import consensus as store
from labelworks.storage.engine import Database, utcnow

# A refit is due once the project has this many times the annotations of the last fit
# (and at least MIN_FIT of them).
REFIT_GROWTH = 1.2
MIN_FIT = 30
_MODEL_TTL = 5.0


def method_of(spec: ProjectSpec) -> str | None:
    """The project's consensus method, ``None`` when it keeps no final labels."""
    q = spec.quality
    if q.consensus is not None:
        return q.consensus
    return "majority" if q.dynamic_overlap is not None else None


def _rule(spec: ProjectSpec) -> DynamicOverlap | None:
    d = spec.quality.dynamic_overlap
    return None if d is None else DynamicOverlap(d.min, d.max, d.confidence)


def settle(
    conn: Connection,
    scope: str,
    spec: ProjectSpec,
    project_id: int,
    item_id: int,
    now: datetime,
    models: Mapping[str, FieldModel] | None = None,
) -> Next:
    """Decide the item that just reached its overlap (inside the submit's transaction)."""
    method = method_of(spec)
    assert method is not None
    votes = store.votes_of(conn, item_id)
    if models is None:
        models = _cached_models(conn, scope, project_id, method)
    similarity = similarities(spec.fields, [v for _, _, v in votes])
    decision = decide(spec.fields, [Vote(a, v) for _, a, v in votes], method, models, similarity)
    step = next_step(decision, len(votes), _rule(spec))
    if step is Next.MORE:
        store.raise_target(conn, item_id, len(votes) + 1)
        store.drop_final(conn, item_id)
    else:
        if step is Next.FINAL:  # the webhooks' item.finalised, when the label is news
            webhooks.announce_final(
                conn, spec, project_id, item_id, value=decision.value, status="final",
                method=method, confidence=decision.confidence, decided_at=now,
            )  # fmt: skip
        _record(conn, project_id, item_id, decision, method, [i for i, _, _ in votes], step, now)
    _note_settled(scope, project_id)
    return step


def _record(
    conn: Connection,
    project_id: int,
    item_id: int,
    decision: Decision,
    method: str,
    ids: list[int],
    step: Next,
    now: datetime,
) -> None:
    store.record_final(
        conn,
        item_id=item_id,
        project_id=project_id,
        value=decision.value,
        method=method,
        confidence=decision.confidence,
        fields=decision.fields,
        annotation_ids=ids,
        status="final" if step is Next.FINAL else "adjudication",
        now=now,
    )


# ---- the fitted model --------------------------------------------------------------------

_models: dict[tuple[str, int], tuple[float, dict[str, FieldModel], int]] = {}
_models_lock = threading.Lock()


def _cached_models(
    conn: Connection, scope: str, project_id: int, method: str
) -> dict[str, FieldModel]:
    if method == "majority":
        return {}
    key = (scope, project_id)
    with _models_lock:
        cached = _models.get(key)
    if cached is not None and time.monotonic() - cached[0] <= _MODEL_TTL:
        return cached[1]
    found = store.model_of(conn, project_id)
    models = {} if found is None else _parse_models(found[1])
    fitted_on = 0 if found is None else found[2]
    with _models_lock:
        _models[key] = (time.monotonic(), models, fitted_on)
    return models


def _parse_models(raw: dict[str, Any]) -> dict[str, FieldModel]:
    return {
        name: FieldModel(
            categories=m["categories"],
            priors=m["priors"],
            confusions={int(a): c for a, c in m["confusions"].items()},
            weights={int(a): w for a, w in m["weights"].items()},
        )
        for name, m in raw.items()
    }


def fit_models(
    spec: ProjectSpec, votes: list[tuple[int, int, int, dict[str, Any]]]
) -> dict[str, FieldModel]:
    """Dawid–Skene priors and confusions and Wawa weights, per categorical field, over the
    project's annotations (fitted with ``labelworks.stats``)."""
    from labelworks.stats import Ratings
    from labelworks.stats.aggregation import DawidSkene, MajorityVote

    out: dict[str, FieldModel] = {}
    for spec_field in spec.fields:
        cats = categories_of(spec_field)
        if cats is None:
            continue
        rows = [
            (item, annotator, value[spec_field.name])
            for _, item, annotator, value in votes
            if value.get(spec_field.name) in cats
        ]
        if len({r[1] for r in rows}) < 2 or len({r[0] for r in rows}) < 2:
            continue
        ratings = Ratings.from_records(rows, categories=cats)
        ds = DawidSkene().fit(ratings)
        mv = MajorityVote().fit(ratings)
        annotators = [int(a) for a in ratings.annotators]
        confusions = _shrunk(np.asarray(ds.confusions_), ratings.annotator, np.asarray(ds.priors_))
        out[spec_field.name] = FieldModel(
            categories=cats,
            priors=[float(p) for p in ds.priors_],
            confusions={a: confusions[k].tolist() for k, a in enumerate(annotators)},
            weights={a: float(mv.skills_[k]) for k, a in enumerate(annotators)},
        )
    return out


SHRINK = 2.0


def _shrunk(confusions: Any, annotator: Any, priors: Any) -> Any:
    """Each annotator's confusion matrix pulled towards their one-coin matrix (their
    overall accuracy on the diagonal, the rest spread evenly) by ``k / (n + k)``, n their
    ratings and k = SHRINK × classes: maximum-likelihood matrices put zeros where an
    annotator was never seen to err and noise in every rarely seen cell, and posteriors
    built on them are overconfident."""
    q = confusions.shape[1]
    seen = np.bincount(annotator, minlength=confusions.shape[0]).astype(float)
    accuracy = np.einsum("k,akk->a", priors, confusions)
    off = ((1 - accuracy) / max(q - 1, 1))[:, None, None]
    target = np.where(np.eye(q, dtype=bool)[None], accuracy[:, None, None], off)
    weight = (SHRINK * q / (seen + SHRINK * q))[:, None, None]
    return (1 - weight) * confusions + weight * target


def _model_json(models: dict[str, FieldModel]) -> dict[str, Any]:
    return {
        name: {
            **asdict(m),
            "confusions": {str(a): c for a, c in m.confusions.items()},
            "weights": {str(a): w for a, w in m.weights.items()},
        }
        for name, m in models.items()
    }


def refit(db: Database, project_id: int, spec: ProjectSpec) -> dict[str, FieldModel]:
    """Fit the project's model from a read snapshot and store it (a short write)."""
    with db.read(snapshot=True) as conn:
        votes = list(store.project_votes(conn, project_id))
    models = fit_models(spec, votes)
    method = method_of(spec) or "majority"
    with db.write() as conn:
        store.save_model(conn, project_id, method, _model_json(models), len(votes), utcnow())
    with _models_lock:
        _models[(db.cache_scope, project_id)] = (time.monotonic(), models, len(votes))
    return models


def refit_project(db: Database, project_name: str, *, actor: Actor | None = None) -> dict[str, int]:
    """Fit the model, then re-decide every item that has reached its overlap; returns how
    many items are final, sent back for more, and at adjudication."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
    spec = stored_spec(project.spec)
    if method_of(spec) is None:
        return {}
    models = refit(db, project.id, spec) if method_of(spec) != "majority" else {}
    with db.read(snapshot=True) as conn:
        done = store.settled_items(conn, project.id, project.overlap)
    tally = {step.value: 0 for step in Next}
    for start in range(0, len(done), 500):
        with db.write() as conn:
            now = utcnow()
            for item_id in done[start : start + 500]:
                step = settle(conn, db.cache_scope, spec, project.id, item_id, now, models)
                tally[step.value] += 1
    with db.write() as conn:
        audit.record(conn, project, actor, "consensus.refit", method_of(spec) or "", **tally)
    return tally


# ---- when to refit -------------------------------------------------------------------------

_settled: dict[tuple[str, int], int] = {}
_running: set[tuple[str, int]] = set()
_refit_lock = threading.Lock()


def _note_settled(scope: str, project_id: int) -> None:
    with _refit_lock:
        _settled[(scope, project_id)] = _settled.get((scope, project_id), 0) + 1


def refit_due(scope: str, project_id: int, spec: ProjectSpec) -> bool:
    """Whether a background refit should start now (and it is marked as started)."""
    if method_of(spec) in (None, "majority"):
        return False
    key = (scope, project_id)
    with _models_lock:
        cached = _models.get(key)
    fitted_on = 0 if cached is None else cached[2]
    with _refit_lock:
        settled = _settled.get(key, 0)
        if key in _running or settled < max(MIN_FIT, int(fitted_on * (REFIT_GROWTH - 1))):
            return False
        _running.add(key)
        _settled[key] = 0
        return True


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="labelworks-refit", daemon=True).start()


# How refits start; tests replace it to hold or count them.
runner: Callable[[Callable[[], None]], None] = _in_thread
# Databases whose refits run where they are asked for, in the asking thread: the
# simulator's throwaway database, so that a seed gives the same run. Keyed by database, so
# a simulation inside a server process never changes how that server's own projects refit.
_inline_scopes: set[str] = set()


@contextmanager
def refits_inline(db: Database) -> Iterator[None]:
    """Within the block, ``db``'s refits run inline (deterministic), others as before."""
    with _refit_lock:
        _inline_scopes.add(db.cache_scope)
    try:
        yield
    finally:
        with _refit_lock:
            _inline_scopes.discard(db.cache_scope)


def start_refit(db: Database, project_id: int, spec: ProjectSpec) -> None:
    """Refit in the background (``runner``); errors are kept from the request."""
    key = (db.cache_scope, project_id)

    def work() -> None:
        try:
            refit(db, project_id, spec)
        finally:
            with _refit_lock:
                _running.discard(key)

    with _refit_lock:
        inline = db.cache_scope in _inline_scopes
    if inline:
        work()
    else:
        runner(work)
