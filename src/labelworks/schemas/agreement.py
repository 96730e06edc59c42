"""Response body of a project's agreement report (``GET /api/v1/projects/{project}/agreement``)."""

from __future__ import annotations

from pydantic import BaseModel


class CoefficientOut(BaseModel):
    """A coefficient and its 95% bootstrap interval; ``null`` where undefined."""

    value: float | None
    low: float | None
    high: float | None


class LabelAgreementOut(BaseModel):
    """Fleiss' kappa on one label against the rest (``null`` when nobody or everybody
    gave it)."""

    label: str | int
    fleiss_kappa: float | None


class PairwiseOut(BaseModel):
    """Cohen's kappa of every pair of annotators on the items both rated (``null`` on the
    diagonal and for pairs sharing fewer than two items), the items each pair shares (the
    diagonal: each one's items), and each annotator's mean kappa with the others."""

    annotators: list[str]
    kappa: list[list[float | None]]
    shared: list[list[int]]
    mean: list[float | None]


class FieldAgreementOut(BaseModel):
    """One categorical field over its items rated twice or more; ``level`` is the level
    Krippendorff's alpha read (``ordinal`` for a rating field, else ``nominal``)."""

    kind: str
    level: str
    items: int
    ratings: int
    annotators: int
    krippendorff_alpha: CoefficientOut
    fleiss_kappa: CoefficientOut
    gwet_ac1: CoefficientOut
    labels: list[LabelAgreementOut]
    pairwise: PairwiseOut | None


class AgreementOut(BaseModel):
    """Inter-annotator agreement of a project, per categorical field (in spec order)."""

    project: str
    fields: dict[str, FieldAgreementOut]
