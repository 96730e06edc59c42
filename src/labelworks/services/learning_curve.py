"""Would active learning pay off on this project? Pool-based active learning simulated on the
project's decided final labels of its ``assist`` field (``pipelines.active_learning``):
the baseline model's held-out accuracy by labels spent when it picks what is labelled next
(``routing.order: uncertainty``) against random order, and the labels that saves.

Computed on request, in seconds: at most ``MAX_TEXTS`` labelled texts (a seeded sample of
them), a quarter held out, half the rest the budget, ``RUNS`` runs."""

from __future__ import annotations

import random
from dataclasses import dataclass

from labelworks.domain.access import Action, Actor
from labelworks.services.access import project_for
from labelworks.services.assist import labelled
from labelworks.services.specs import stored_spec
from labelworks.storage.engine import Database

__all__ = ["MAX_TEXTS", "MIN_LABELS", "RUNS", "CurveReport", "learning_curve"]

MAX_TEXTS = 2000
RUNS = 3
# Fewer labelled texts make a test set and a pool too small to tell the strategies apart.
MIN_LABELS = 40


@dataclass(frozen=True, slots=True)
class CurvePointRow:
    """A strategy's pooled held-out accuracy after ``labels`` labels (95% Wilson)."""

    strategy: str
    labels: int
    accuracy: float
    low: float
    high: float
    right: int
    tested: int


@dataclass(frozen=True, slots=True)
class SavingRow:
    """At ``accuracy``, random order's final one, the labels each strategy first reaches
    it with (None: not within the budget) and the difference."""

    accuracy: float
    random_labels: int | None
    uncertainty_labels: int | None
    saved: int | None


@dataclass(frozen=True, slots=True)
class CurveReport:
    """The simulation on a project: ``decided`` usable final labels, ``used`` of them
    (``test`` held out and ``pool`` to label in each run), the ``steps`` measured at, the
    points of both strategies, the saving; or, without a curve, the ``reason``."""

    project: str
    field: str | None
    decided: int
    used: int
    test: int
    pool: int
    runs: int
    steps: list[int]
    points: list[CurvePointRow]
    saving: SavingRow | None
    reason: str | None


def learning_curve(
    db: Database,
    project: str,
    *,
    actor: Actor | None = None,
    max_texts: int = MAX_TEXTS,
    runs: int = RUNS,
    seed: int = 0,
) -> CurveReport:
    """Uncertainty against random order on the project's final labels (the review right).
    A project without ``assist``, or with fewer than ``MIN_LABELS`` usable final labels,
    gets a report without points that says why."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.REVIEW)
        spec = stored_spec(row.spec)
        if spec.assist is None:
            reason = (
                f"project '{row.name}' has no assist section in its spec: add "
                "assist: {field: NAME} to learn a field (docs/project-spec.md)"
            )
            return _none(row.name, None, 0, reason)
        found = labelled(conn, row.id, spec, spec.assist)
    field = spec.assist.field
    usable = len(found.texts)
    if usable < MIN_LABELS:
        return _none(
            row.name,
            field,
            usable,
            f"the simulation needs {MIN_LABELS} final labels of '{field}' with a text in "
            f"'{found.source}'; there are {usable}",
        )
    chosen = list(range(usable))
    if usable > max_texts:
        chosen = sorted(random.Random(seed).sample(chosen, max_texts))
    # scikit-learn is loaded by the process that simulates (see services.assist.train).
    from labelworks.pipelines.active_learning import simulate

    curve = simulate(
        [found.texts[i] for i in chosen],
        [found.answers[i] for i in chosen],
        multi=found.multi,
        runs=runs,
        seed=seed,
    )
    saving = curve.saving()
    return CurveReport(
        project=row.name,
        field=field,
        decided=usable,
        used=curve.texts,
        test=curve.test,
        pool=curve.pool,
        runs=curve.runs,
        steps=list(curve.steps),
        points=[
            CurvePointRow(p.strategy, p.labels, p.accuracy, p.low, p.high, p.right, p.tested)
            for p in curve.points
        ],
        saving=None
        if saving is None
        else SavingRow(
            saving.accuracy, saving.random_labels, saving.uncertainty_labels, saving.saved
        ),
        reason=None,
    )


def _none(project: str, field: str | None, decided: int, reason: str) -> CurveReport:
    return CurveReport(project, field, decided, 0, 0, 0, 0, [], [], None, reason)
