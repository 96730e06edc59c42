"""The agreement report's shape (``services.agreement`` measures it): which annotations it
covers (``Filters``), each field's figures (``FieldAgreement``, with the disagreement
figures of ``services.disagreement``) and the report as JSON data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from labelworks.services import disagreement
from labelworks.services.disagreement import Coefficient

__all__ = ["AgreementReport", "AnnotatorPairs", "FieldAgreement", "Filters"]


@dataclass(frozen=True, slots=True)
class Filters:
    """Which annotations are measured: submitted at or after ``since`` and before
    ``until`` (naive UTC), by ``vendor``'s people; ``None`` leaves that side open."""

    since: datetime | None = None
    until: datetime | None = None
    vendor: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "vendor": self.vendor,
        }


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
    labels (or answers) from ``annotators`` people; ``level`` is the level Krippendorff's
    alpha read (``None`` for a structured field, measured by F1 in ``structured``)."""

    field: str
    kind: str
    level: str | None
    items: int
    ratings: int
    annotators: int
    coefficients: dict[str, Coefficient]
    labels: list[tuple[Any, float | None]] = dataclasses.field(default_factory=list)
    pairs: AnnotatorPairs | None = None
    confusion: disagreement.Confusion | None = None
    contested: list[disagreement.ContestedItem] = dataclasses.field(default_factory=list)
    with_rest: list[disagreement.AnnotatorAgreement] = dataclasses.field(default_factory=list)
    structured: disagreement.StructuredFigures | None = None

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
            "confusion": None if self.confusion is None else self.confusion.to_dict(),
            "contested": [c.to_dict() for c in self.contested],
            "annotator_agreement": [a.to_dict() for a in self.with_rest],
            "structured": None if self.structured is None else self.structured.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """The figures of ``fields`` over the annotations ``filters`` keep; ``annotations``:
    how many the project had (whatever the filters) when they were measured."""

    project: str
    fields: list[FieldAgreement]
    filters: Filters = Filters()
    annotations: int = dataclasses.field(default=0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON data (NaN and infinities as ``null``)."""
        return {
            "project": self.project,
            "filters": self.filters.to_dict(),
            "fields": {f.field: f.to_dict() for f in self.fields},
        }
