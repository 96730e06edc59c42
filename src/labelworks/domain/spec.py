"""Project specs: the YAML a user keeps next to their code, validated into ``ProjectSpec``.

``parse_spec`` reports every problem with the file, 1-based line and field path
(``fields[0].labels[2]``); ``spec_to_yaml`` writes the effective spec back so that it
round-trips; ``unsafe_changes`` says why a new spec would invalidate existing annotations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from labelworks.domain.acceptance import agreement_field_problem
from labelworks.domain.assist import AssistSpec, field_problem
from labelworks.domain.campaign import CampaignSpec, campaign_problem
from labelworks.domain.fields import (
    Condition,
    FieldSpec,
    PairwiseField,
    RatingField,
    StrictInt,
    quoted,
    spec_error,
)
from labelworks.domain.plan_spec import PlanSpec
from labelworks.domain.predictions import PredictionsSpec
from labelworks.domain.privacy import PrivacySpec
from labelworks.domain.routing import RoutingSpec, order_problem
from labelworks.domain.schema import labels_in_use_check
from labelworks.domain.spec_document import (
    Path,
    SpecDocument,
    SpecSyntaxError,
    dump_document,
    load_document,
)
from labelworks.domain.spec_problems import (
    Problem,
    described,
    key_order,
    located_error,
    problems_from,
)

__all__ = [
    "AcceptanceSpec",
    "AgreementCriterionSpec",
    "AutoPauseSpec",
    "DynamicOverlapSpec",
    "PrivacySpec",
    "ProjectSpec",
    "QualificationSpec",
    "QualitySpec",
    "ReviewSpec",
    "parse_spec",
    "spec_from_dict",
    "spec_to_yaml",
    "unsafe_changes",
]

# The name appears in URLs and CLI arguments.
_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_GUIDELINE_SUFFIXES = (".md", ".markdown", ".txt")


# Bounds that keep one spec from costing unbounded memory or time anywhere it is used, and
# every number inside what the database's 32-bit integer columns hold.
MAX_FIELDS = 100
MAX_LEASE_MINUTES = 4 * 7 * 24 * 60
MAX_PRIORITY = 1_000_000
MAX_GUIDELINES_CHARS = 2 * 1024 * 1024


class AutoPauseSpec(BaseModel):
    """``auto_pause``: pause an annotator once they have ``min_gold`` gold answers and the
    upper end of the 95% Wilson interval of their accuracy is below ``below``."""

    model_config = ConfigDict(extra="forbid")

    min_gold: StrictInt = Field(ge=1, le=100_000)
    below: float = Field(gt=0, le=1, allow_inf_nan=False)


class DynamicOverlapSpec(BaseModel):
    """``dynamic_overlap``: start at ``min`` annotations; while the final label's confidence
    is below ``confidence`` and the item has fewer than ``max``, ask for one more; at
    ``max``, send it to adjudication."""

    model_config = ConfigDict(extra="forbid")

    min: StrictInt = Field(ge=1, le=100)
    max: StrictInt = Field(ge=1, le=100)
    confidence: float = Field(gt=0, le=1, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> DynamicOverlapSpec:
        if self.max < self.min:
            raise spec_error(f"max ({self.max}) must be at least min ({self.min})", "max")
        return self


class QualificationSpec(BaseModel):
    """``qualification``: before live work an annotator answers ``items`` gold items and
    needs a share ``pass`` right; a failed attempt may be retried ``retries`` times, each on
    gold items they have not seen."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    items: StrictInt = Field(ge=1, le=1000)
    pass_: float = Field(alias="pass", gt=0, le=1, allow_inf_nan=False)
    retries: StrictInt = Field(default=0, ge=0, le=100)


class RetestSpec(BaseModel):
    """``retest``: intra-annotator consistency audits. On a share ``rate`` of leases an
    annotator is served, unannounced, one of their own earlier ordinary items again, chosen
    at random among those with at least ``after`` of their annotations since; each
    annotation is retested at most once, and the second answer is kept apart from the
    annotations (test–retest agreement, docs/quality.md)."""

    model_config = ConfigDict(extra="forbid")

    rate: float = Field(gt=0, le=0.5, allow_inf_nan=False)
    after: StrictInt = Field(default=50, ge=1, le=100_000)


AgreementMetric = Literal[
    "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "brennan_prediger", "percent_agreement"
]


class AgreementCriterionSpec(BaseModel):
    """``acceptance.agreement``: the lower end of the 95% bootstrap interval of ``metric``,
    over items with two or more annotations, reaches ``lower_bound`` on every choice, rating
    and pairwise field (or on ``field`` alone)."""

    model_config = ConfigDict(extra="forbid")

    metric: AgreementMetric = "krippendorff_alpha"
    lower_bound: float = Field(ge=-1, le=1, allow_inf_nan=False)
    field: str | None = None


class AcceptanceSpec(BaseModel):
    """``acceptance``: what a project must meet before ``labelworks deliver`` writes it
    (docs/quality.md, "Acceptance criteria and delivery"). ``gold_accuracy`` reads the
    pooled point estimate, ``gold_accuracy_lower_bound`` the lower end of its 95% Wilson
    interval; ``all_final``: every ordinary item has a final label."""

    model_config = ConfigDict(extra="forbid")

    agreement: AgreementCriterionSpec | None = None
    gold_accuracy: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    gold_accuracy_lower_bound: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    all_final: StrictBool | None = None
    no_open_escalations: StrictBool | None = None

    @model_validator(mode="after")
    def _some_criterion(self) -> AcceptanceSpec:
        if not any(getattr(self, name) for name in type(self).model_fields):
            raise spec_error(
                "acceptance sets no criterion; give at least one of "
                f"{quoted(type(self).model_fields)}"
            )
        return self


class ReviewSpec(BaseModel):
    """``review``: each annotator's first ``first_n`` annotations and a share ``rate`` of
    the rest go to the review queue; ``reasons`` are the reason codes a reviewer picks from
    when rejecting; rejected work goes back to its ``annotator`` for rework or to
    ``others``."""

    model_config = ConfigDict(extra="forbid")

    rate: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)
    first_n: StrictInt = Field(default=0, ge=0, le=100_000)
    reasons: list[str] = Field(
        default_factory=lambda: ["wrong label", "incomplete", "guideline not followed"],
        min_length=1,
        max_length=50,
    )
    rejected_to: Literal["annotator", "others"] = "annotator"


class QualitySpec(BaseModel):
    """Quality settings; later features add keys, so unknown keys are kept, not refused."""

    model_config = ConfigDict(extra="allow")

    gold_rate: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    auto_pause: AutoPauseSpec | None = None
    consensus: Literal["majority", "wawa", "dawid_skene"] | None = None
    dynamic_overlap: DynamicOverlapSpec | None = None
    qualification: QualificationSpec | None = None
    review: ReviewSpec | None = None
    retest: RetestSpec | None = None
    # A training project: every item is gold, served in any order, and each submit is
    # answered with the expert's answer and explanation.
    training: bool | None = None
    review_rate: float | None = Field(default=None, ge=0, le=1)
    acceptance: AcceptanceSpec | None = None


class ProjectSpec(BaseModel):
    """Everything ``labelworks project apply`` needs to create or update a project."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = Field(default="", max_length=10_000)
    fields: list[FieldSpec] = Field(max_length=MAX_FIELDS)
    overlap: StrictInt = Field(default=1, ge=1, le=100)
    lease_minutes: StrictInt = Field(default=30, ge=1, le=MAX_LEASE_MINUTES)
    priority: StrictInt = Field(default=0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    guidelines: str | None = Field(default=None, max_length=MAX_GUIDELINES_CHARS)
    guidelines_changelog: str | None = Field(default=None, max_length=2000)
    allow_remote_media: bool = False
    show_other_annotations: bool = False
    quality: QualitySpec = Field(default_factory=QualitySpec)
    privacy: PrivacySpec | None = None
    assist: AssistSpec | None = None
    predictions: PredictionsSpec | None = None
    evaluation: CampaignSpec | None = None
    routing: RoutingSpec | None = None
    plan: PlanSpec | None = None

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _PROJECT_NAME.match(value):
            raise spec_error(
                f"project name {value!r} must be 1-64 characters of lowercase letters, digits, "
                "'-' and '_', starting with a letter or digit"
            )
        return value

    @field_validator("fields")
    @classmethod
    def _some_fields(cls, value: list[FieldSpec]) -> list[FieldSpec]:
        if not value:
            raise spec_error("a project needs at least one field")
        return value

    @model_validator(mode="after")
    def _overlap_is_dynamic_min(self) -> ProjectSpec:
        dynamic = self.quality.dynamic_overlap
        if dynamic is None:
            return self
        if "overlap" not in self.model_fields_set:
            self.overlap = dynamic.min
        elif self.overlap != dynamic.min:
            raise spec_error(
                f"overlap ({self.overlap}) must equal quality.dynamic_overlap.min "
                f"({dynamic.min}), the overlap every item starts with; or leave it out",
                "overlap",
            )
        return self

    @model_validator(mode="after")
    def _acceptance_field_fits(self) -> ProjectSpec:
        acceptance = self.quality.acceptance
        agreement = None if acceptance is None else acceptance.agreement
        if agreement is None:
            return self
        problem = agreement_field_problem(self.fields, agreement.field)
        if problem:
            at = ("quality", "acceptance", "agreement", *(["field"] if agreement.field else []))
            raise spec_error(problem, *at)
        return self

    @model_validator(mode="after")
    def _assist_field_fits(self) -> ProjectSpec:
        if self.assist is None:
            return self
        kinds = {f.name: (f.kind, getattr(f, "source", None)) for f in self.fields}
        problem = field_problem(kinds, self.assist.field)
        if problem:
            raise spec_error(problem, "assist", "field")
        if self.quality.consensus is None:
            raise spec_error(
                "the model learns from final labels, which quality.consensus decides: set "
                "quality.consensus (majority, wawa or dawid_skene)",
                "assist",
            )
        return self

    @model_validator(mode="after")
    def _campaign_fits(self) -> ProjectSpec:
        problem = self.evaluation and campaign_problem(self.evaluation, self.fields)
        if problem:
            raise spec_error(problem[0], "evaluation", *problem[1:])
        routed = self.routing is not None and self.routing.order != "sequential"
        if self.evaluation is not None and self.evaluation.pairs == "adaptive" and routed:
            raise spec_error(
                "an adaptive campaign orders its comparisons itself: leave routing out",
                "evaluation",
                "pairs",
            )
        return self

    @model_validator(mode="after")
    def _routing_fits(self) -> ProjectSpec:
        problem = self.routing and order_problem(self.routing.order, self.assist is not None)
        if problem:
            raise spec_error(problem, "routing", "order")
        return self

    @model_validator(mode="after")
    def _fields_agree(self) -> ProjectSpec:
        position: dict[str, int] = {}
        for index, field in enumerate(self.fields):
            if field.name in position:
                raise spec_error(
                    f"duplicate field name {field.name!r} (also fields[{position[field.name]}])",
                    "fields",
                    index,
                    "name",
                )
            position[field.name] = index
        for index, field in enumerate(self.fields):
            if field.when is not None:
                _check_condition(self.fields, position, index, field.when)
        return self

    def guidelines_path(self) -> str | None:
        """The file path if ``guidelines`` names a file rather than holding Markdown.

        A path is a single line ending in .md, .markdown or .txt; anything with a line break
        is inline text. Relative paths are relative to the spec file (the caller resolves).
        """
        text = self.guidelines
        if text is None or "\n" in text or "\r" in text:
            return None
        stripped = text.strip()
        return stripped if stripped.lower().endswith(_GUIDELINE_SUFFIXES) else None

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``; ``KeyError`` if there is none."""
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(name)


def _check_condition(
    fields: list[FieldSpec], position: dict[str, int], index: int, when: Condition
) -> None:
    at: Path = ("fields", index, "when")
    target = when.field
    if target == fields[index].name:
        raise spec_error("a field's condition cannot refer to the field itself", *at, "field")
    if target not in position:
        raise spec_error(
            f"condition refers to unknown field {target!r} (fields: {quoted(position)})",
            *at,
            "field",
        )
    if position[target] > index:
        raise spec_error(
            f"condition refers to {target!r}, which comes after this field; "
            "conditions can only refer to earlier fields",
            *at,
            "field",
        )
    other = fields[position[target]]
    for number, value in enumerate(when.expected()):
        problem = _condition_value_problem(other, value)
        if problem:
            path = (*at, "equals") if when.equals is not None else (*at, "in", number)
            raise spec_error(problem, *path)


def _condition_value_problem(other: FieldSpec, value: str | int) -> str | None:
    if isinstance(other, RatingField | PairwiseField):
        if isinstance(other, PairwiseField):
            choices = other.choices()
            ok = value in choices
            expected = f"one of {quoted(choices)}"
        else:
            ok = isinstance(value, int) and other.min <= value <= other.max
            expected = f"an integer from {other.min} to {other.max}"
        return (
            None if ok else f"{value!r} can never be a value of field {other.name!r} ({expected})"
        )
    if not other.labels:
        return (
            f"conditions cannot refer to the {other.kind} field {other.name!r}; "
            "use a choice, multi_choice, spans, boxes, segments, pairwise or rating field"
        )
    if str(value) not in other.labels:
        return f"{value!r} is not a label of field {other.name!r} (labels: {quoted(other.labels)})"
    return None


def _validate(data: Any, doc: SpecDocument | None, source: str) -> ProjectSpec:
    problems: list[Problem] = []
    if doc is not None:
        for path, first in doc.duplicate_keys():
            problems.append((path, f"duplicate key {path[-1]!r} (first given on line {first})"))
    if not isinstance(data, Mapping):
        shape = "is empty" if data is None else f"is {described(data)}"
        message = f"a spec must be a mapping with at least 'name' and 'fields'; this one {shape}"
        raise located_error([((), message)], doc, source)
    try:
        spec = ProjectSpec.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from(exc, data, ProjectSpec))
    if problems:
        raise located_error(problems, doc, source)
    return spec


def parse_spec(text: str, *, source: str = "<spec>") -> ProjectSpec:
    """Parse and validate a YAML spec; ``InvalidSpec`` names the file, line and field.

    The error describes the first problem in the file; ``details["errors"]`` lists them all.
    """
    try:
        doc = load_document(text)
    except SpecSyntaxError as exc:
        raise located_error([((), exc.message)], None, source, line=exc.line) from exc
    return _validate(doc.data, doc, source)


def spec_from_dict(data: Mapping[str, Any], *, source: str = "<spec>") -> ProjectSpec:
    """Validate an already-parsed spec (e.g. JSON from the API); errors carry no line."""
    return _validate(data, None, source)


# ---- writing the effective spec ---------------------------------------------------------


def _plain(model: BaseModel) -> dict[str, Any]:
    """Model to plain data in a stable, readable key order, leaving out empty defaults."""
    infos = type(model).model_fields
    out: dict[str, Any] = {}
    for name in key_order(type(model)):
        info = infos[name]
        value = getattr(model, name)
        default = info.get_default(call_default_factory=True)
        if value == default and default in (None, "", [], {}):
            continue
        out[info.alias or name] = _plain_value(value)
    for key, value in (model.model_extra or {}).items():
        out[key] = _plain_value(value)
    return out


def _plain_value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _plain(value)
    if isinstance(value, list):
        return [_plain_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain_value(item) for key, item in value.items()}
    return value


def spec_to_yaml(spec: ProjectSpec) -> str:
    """The effective spec (defaults filled in) as YAML that ``parse_spec`` reads back equal."""
    return dump_document(_plain(spec))


def unsafe_changes(
    old: ProjectSpec,
    new: ProjectSpec,
    labels_in_use: Mapping[str, set[str]],
    fields_in_use: set[str],
) -> list[str]:
    """Why applying ``new`` over ``old`` would invalidate existing annotations; [] if safe.

    ``labels_in_use`` maps field name to the labels its annotations use (see
    ``labelworks.domain.schema.labels_in_use``); ``fields_in_use`` names the fields that
    have any annotation.
    """
    return labels_in_use_check(old.fields, new.fields, labels_in_use, fields_in_use)
