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


class LabelPairOut(BaseModel):
    """Two different labels given to one item by two annotators, and how often."""

    a: str | int
    b: str | int
    count: int


class ConfusionOut(BaseModel):
    """``counts[i][j]``: how often, on one item, one annotator gave ``labels[i]`` and
    another ``labels[j]`` (ordered pairs of different annotators: symmetric, agreements on
    the diagonal); ``rates[i][j]``: given one said ``labels[i]``, the share of the others
    who said ``labels[j]`` (``null`` for a label nobody gave); ``top``: the most frequent
    pairs of different labels."""

    labels: list[str | int]
    counts: list[list[int]]
    rates: list[list[float | None]]
    top: list[LabelPairOut]


class VoteOut(BaseModel):
    annotator: str
    label: str | int


class ContestedItemOut(BaseModel):
    """An item the annotators split on (its page: ``/projects/{project}/items/{item_id}``):
    the share of its annotator pairs that agree, and every vote."""

    item_id: int
    external_id: str | None
    agreement: float
    votes: list[VoteOut]


class AnnotatorAgreementOut(BaseModel):
    """One annotator against whoever else labelled the same items: items shared, label
    pairs compared, the share that agree, and Cohen's kappa with its 95% bootstrap
    interval over those pairs."""

    annotator: str
    items: int
    pairs: int
    percent: float | None
    cohen_kappa: CoefficientOut


class StructuredOut(BaseModel):
    """A spans, boxes or segments field: pairwise F1 (objects matched one to one, ``match``
    says how), overall, per pair of annotators (with the items each pair shares) and per
    annotator against the others; over ``items`` items (``sampled``: the newest of more)."""

    match: str
    f1: float | None
    items: int
    sampled: bool
    annotators: list[str]
    pair_f1: list[list[float | None]]
    shared: list[list[int]]
    annotator_f1: list[float | None]


class FieldAgreementOut(BaseModel):
    """One field over its items rated twice or more; ``level`` is the level Krippendorff's
    alpha read (``ordinal`` for a rating field, ``nominal`` for choice and pairwise,
    ``null`` for a spans, boxes or segments field, whose figures are in ``structured``)."""

    kind: str
    level: str | None
    items: int
    ratings: int
    annotators: int
    krippendorff_alpha: CoefficientOut
    fleiss_kappa: CoefficientOut
    gwet_ac1: CoefficientOut
    labels: list[LabelAgreementOut]
    pairwise: PairwiseOut | None
    confusion: ConfusionOut | None
    contested: list[ContestedItemOut]
    annotator_agreement: list[AnnotatorAgreementOut]
    structured: StructuredOut | None


class FiltersOut(BaseModel):
    """The annotations measured: submitted in ``[since, until)`` (UTC), by ``vendor``'s
    people (a vendor's staff: always their own vendor); ``null`` leaves that side open."""

    since: str | None
    until: str | None
    vendor: str | None


class AgreementOut(BaseModel):
    """Inter-annotator agreement of a project, per measured field (in spec order)."""

    project: str
    filters: FiltersOut
    fields: dict[str, FieldAgreementOut]
