"""The assist model's report as the API gives it (``GET …/model``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AssistSettingsOut(BaseModel):
    """The spec's ``assist`` section."""

    field: str
    every: int
    min_labels: int
    model_name: str


class ModelVersionOut(BaseModel):
    """One training: what it learnt from, its held-out figures (k-fold), and once a newer
    version replaced its suggestions, ``checked``: those on items decided in between, and
    ``confirmed``: how many the final label agreed with (0 and 0 for the current one, whose
    figures are the report's)."""

    version: int
    field: str
    trained_at: datetime
    job_id: int | None
    labels: int
    decided: int
    folds: int
    accuracy: float
    low: float
    high: float
    macro_f1: float
    counts: dict[str, int]
    suggested: int
    seconds: float
    checked: int
    confirmed: int


class AssistReportOut(BaseModel):
    """``assist`` (null: the spec has none), ``decided`` final labels, ``next_in`` labels
    until the next training, ``models`` newest first, and of the current suggestions on
    items decided since, ``checked`` and ``confirmed`` (the final label agreed)."""

    project: str
    assist: AssistSettingsOut | None
    decided: int
    next_in: int | None
    models: list[ModelVersionOut]
    checked: int
    confirmed: int


class CurvePointOut(BaseModel):
    """A strategy's held-out accuracy after ``labels`` labels, pooled over the runs: of
    ``tested`` test answers ``right`` were, with the 95% Wilson interval ``low``–``high``."""

    strategy: str
    labels: int
    accuracy: float
    low: float
    high: float
    right: int
    tested: int


class SavingOut(BaseModel):
    """At ``accuracy`` (random order's with its last labels), the labels each strategy
    first reaches it with (null: not within the budget) and ``saved``, their difference."""

    accuracy: float
    random_labels: int | None
    uncertainty_labels: int | None
    saved: int | None


class LearningCurveOut(BaseModel):
    """Active learning simulated on the project's final labels of its assist ``field``:
    ``decided`` usable final labels, ``used`` of them (``test`` held out, ``pool`` to label,
    in each of ``runs`` runs), the label counts measured at (``steps``), both strategies'
    ``points`` (``uncertainty`` and ``random``) and the ``saving``; without a curve,
    ``reason`` says why (no assist section, too few final labels)."""

    project: str
    field: str | None
    decided: int
    used: int
    test: int
    pool: int
    runs: int
    steps: list[int]
    points: list[CurvePointOut]
    saving: SavingOut | None
    reason: str | None
