"""Label schema fields: one pydantic model per field kind, joined in the ``FieldSpec`` union.

A project's label schema is a list of named fields. Each model checks its own settings
(labels unique, scale min below max, shortcuts unique); checks that need the whole list
(unique names, ``when`` pointing at an earlier field) live in ``labelworks.domain.spec``.

Semantic errors are raised as ``PydanticCustomError`` built by :func:`spec_error`, whose
context carries the sub-path (``at``) so the spec parser can name the exact list entry and
line, e.g. ``fields[0].labels[2]``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic_core import PydanticCustomError

FieldKind = Literal[
    "choice", "multi_choice", "spans", "boxes", "segments", "pairwise", "rating", "text"
]
FIELD_KINDS: tuple[str, ...] = (
    "choice",
    "multi_choice",
    "spans",
    "boxes",
    "segments",
    "pairwise",
    "rating",
    "text",
)
PAIRWISE_CHOICES: tuple[str, ...] = ("a", "b", "tie")

# Field names become keys of annotation JSON, export columns and error paths such as
# "entities[2].end", so they must not contain dots, brackets or spaces.
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

StrictInt = Annotated[int, Field(strict=True)]
MAX_LABELS = 1000
MAX_SCALE_STEPS = 100


def spec_error(message: str, *at: str | int) -> PydanticCustomError:
    """A validation error whose message is shown verbatim; ``at`` extends its location."""
    return PydanticCustomError("spec", "{message}", {"message": message, "at": list(at)})


def quoted(values: Any) -> str:
    """Comma-separated repr-style list, for messages that name the allowed values."""
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)


class Condition(BaseModel):
    """Show (and accept) a field only when another field's value matches.

    ``equals`` holds when the other field's value is that value; ``in`` when it is one of
    the listed values. On a multi_choice field both hold when any selected label matches;
    on a pairwise field they compare the choice (``a``, ``b`` or ``tie``).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, coerce_numbers_to_str=False)

    field: str
    equals: str | StrictInt | None = None
    in_: list[str | StrictInt] | None = Field(default=None, alias="in", max_length=MAX_LABELS)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.equals is None) == (self.in_ is None):
            raise spec_error("give exactly one of 'equals' or 'in'")
        if self.in_ is not None and not self.in_:
            raise spec_error("'in' needs at least one value", "in")
        return self

    def expected(self) -> list[str | int]:
        """The values that make the condition hold."""
        return [self.equals] if self.equals is not None else list(self.in_ or [])

    def describe(self) -> str:
        """Human-readable form used in error messages."""
        if self.equals is not None:
            return f"{self.field} equals {self.equals!r}"
        return f"{self.field} is one of {quoted(self.in_ or [])}"


class Scale(BaseModel):
    """An integer scale with optional anchor text per point (pairwise strength)."""

    model_config = ConfigDict(extra="forbid")

    min: StrictInt = 1
    max: StrictInt = 3
    anchors: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        check_scale(self.min, self.max, self.anchors)
        return self


def check_scale(low: int, high: int, anchors: dict[int, str]) -> None:
    """Raise a spec error unless ``low < high`` and every anchor lies on the scale."""
    if low >= high:
        raise spec_error(f"min ({low}) must be less than max ({high})", "min")
    if high - low > MAX_SCALE_STEPS:
        raise spec_error(f"a scale has at most {MAX_SCALE_STEPS + 1} points", "max")
    for point in anchors:
        if not low <= point <= high:
            raise spec_error(f"anchor {point} is outside the scale {low}..{high}", "anchors", point)


class _BaseField(BaseModel):
    """Settings every field kind shares."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    name: str
    title: str | None = Field(default=None, max_length=200)
    required: bool = True
    when: Condition | None = None
    shortcuts: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_shape(cls, value: str) -> str:
        if not _FIELD_NAME.match(value):
            raise spec_error(
                f"field name {value!r} must start with a letter or '_' and contain only "
                "letters, digits and '_' (at most 64 characters)"
            )
        return value

    def shortcut_targets(self) -> list[str]:
        """What a keyboard shortcut can select in this field (labels, choices, scale points)."""
        return []

    @model_validator(mode="after")
    def _shortcuts_fit(self) -> _BaseField:
        targets = self.shortcut_targets()
        seen: dict[str, str] = {}
        for target, key in self.shortcuts.items():
            if target not in targets:
                allowed = f"one of {quoted(targets)}" if targets else "nothing in this field kind"
                raise spec_error(
                    f"shortcut for {target!r}, which is not selectable here (can be {allowed})",
                    "shortcuts",
                    target,
                )
            if len(key) != 1 or key.isspace() or not key.isprintable():
                raise spec_error(
                    f"shortcut key {key!r} must be a single printable character",
                    "shortcuts",
                    target,
                )
            if key in seen:
                raise spec_error(
                    f"shortcut key {key!r} is used for both {seen[key]!r} and {target!r}",
                    "shortcuts",
                    target,
                )
            seen[key] = target
        return self


def _check_labels(labels: list[str]) -> list[str]:
    if not labels:
        raise spec_error("needs at least one label")
    first_at: dict[str, int] = {}
    for index, label in enumerate(labels):
        if not label.strip():
            raise spec_error("labels must not be empty", index)
        if label != label.strip():
            raise spec_error(f"label {label!r} has leading or trailing spaces", index)
        if label in first_at:
            raise spec_error(
                f"duplicate label {label!r} (first at labels[{first_at[label]}])", index
            )
        first_at[label] = index
    return labels


class _LabelledField(_BaseField):
    labels: list[Annotated[str, Field(max_length=200)]] = Field(max_length=MAX_LABELS)

    @field_validator("labels")
    @classmethod
    def _labels_unique(cls, value: list[str]) -> list[str]:
        return _check_labels(value)

    def shortcut_targets(self) -> list[str]:
        """Shortcuts pick labels."""
        return list(self.labels)


class ChoiceField(_LabelledField):
    """Exactly one label. Value: ``"positive"``."""

    kind: Literal["choice"] = "choice"
    source: str | None = "text"


class MultiChoiceField(_LabelledField):
    """Any number of distinct labels. Value: ``["shipping", "price"]``."""

    kind: Literal["multi_choice"] = "multi_choice"
    source: str | None = "text"
    min_selections: StrictInt = Field(default=0, ge=0)
    max_selections: StrictInt | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _selection_bounds(self) -> MultiChoiceField:
        if self.max_selections is not None:
            if self.max_selections < self.min_selections:
                raise spec_error(
                    f"max_selections ({self.max_selections}) is below min_selections "
                    f"({self.min_selections})",
                    "max_selections",
                )
            if self.max_selections > len(self.labels):
                raise spec_error(
                    f"max_selections ({self.max_selections}) exceeds the number of labels "
                    f"({len(self.labels)})",
                    "max_selections",
                )
        if self.min_selections > len(self.labels):
            raise spec_error(
                f"min_selections ({self.min_selections}) exceeds the number of labels "
                f"({len(self.labels)})",
                "min_selections",
            )
        return self


class SpansField(_LabelledField):
    """Labelled character ranges of a payload text. Value: ``[{"start", "end", "label"}]``.

    ``[]`` answers "nothing to mark" (the labeling page asks for it explicitly); with
    ``min_spans`` above 0 every answer must mark at least that many."""

    kind: Literal["spans"] = "spans"
    source: str = "text"
    allow_overlap: bool = False
    min_spans: StrictInt = Field(default=0, ge=0)


class BoxesField(_LabelledField):
    """Labelled rectangles on an image, in pixels from the top-left corner."""

    kind: Literal["boxes"] = "boxes"
    source: str = "image"
    width_key: str | None = None
    height_key: str | None = None
    # As spans' min_spans: [] is "nothing to mark" unless this is above 0.
    min_boxes: StrictInt = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _size_keys_paired(self) -> BoxesField:
        if (self.width_key is None) != (self.height_key is None):
            missing = "height_key" if self.height_key is None else "width_key"
            raise spec_error("give both width_key and height_key, or neither", missing)
        return self


class SegmentsField(_LabelledField):
    """Labelled time ranges (seconds) of audio, video or a time series."""

    kind: Literal["segments"] = "segments"
    media: Literal["audio", "video", "timeseries"] = "audio"
    source: str = "audio"
    duration_key: str | None = None
    allow_overlap: bool = True
    # As spans' min_spans: [] is "nothing to mark" unless this is above 0.
    min_segments: StrictInt = Field(default=0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _source_follows_media(cls, data: Any) -> Any:
        # A video field reads payload["video"] unless told otherwise.
        if isinstance(data, dict) and "source" not in data and isinstance(data.get("media"), str):
            return {**data, "source": data["media"]}
        return data


class PairwiseField(_BaseField):
    """A preference between two responses. Value: ``{"choice": "a"|"b"|"tie", ...}``."""

    kind: Literal["pairwise"] = "pairwise"
    prompt_source: str | None = "prompt"
    a_source: str = "a"
    b_source: str = "b"
    allow_tie: bool = True
    strength: Scale | None = None

    @model_validator(mode="after")
    def _distinct_sources(self) -> PairwiseField:
        if self.a_source == self.b_source:
            raise spec_error("a_source and b_source must name different payload keys", "b_source")
        return self

    @property
    def source(self) -> str | None:
        """Pairwise fields read three payload keys (see ``*_source``), not one."""
        return None

    @property
    def labels(self) -> list[str]:
        """Pairwise fields have choices, not labels."""
        return []

    def choices(self) -> list[str]:
        """The allowed values of ``choice``."""
        return ["a", "b", "tie"] if self.allow_tie else ["a", "b"]

    def shortcut_targets(self) -> list[str]:
        """Shortcuts pick ``a``, ``b`` or ``tie``."""
        return self.choices()


class RatingField(_BaseField):
    """An integer on a scale from ``min`` to ``max``. Value: ``4``."""

    kind: Literal["rating"] = "rating"
    source: str | None = None
    min: StrictInt = 1
    max: StrictInt = 5
    anchors: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> RatingField:
        check_scale(self.min, self.max, self.anchors)
        return self

    @property
    def labels(self) -> list[str]:
        """Ratings have scale points, not labels."""
        return []

    def shortcut_targets(self) -> list[str]:
        """Shortcuts pick scale points, written as strings (``"1"``)."""
        return [str(point) for point in range(self.min, self.max + 1)]


class TextField(_BaseField):
    """Free text up to ``max_length`` characters. Value: ``"looks fine"``."""

    kind: Literal["text"] = "text"
    source: str | None = None
    max_length: StrictInt = Field(default=2000, ge=1, le=1_000_000)

    @property
    def labels(self) -> list[str]:
        """Free text has no labels."""
        return []


FieldSpec = Annotated[
    ChoiceField
    | MultiChoiceField
    | SpansField
    | BoxesField
    | SegmentsField
    | PairwiseField
    | RatingField
    | TextField,
    Field(discriminator="kind"),
]

_FIELD_ADAPTER: TypeAdapter[FieldSpec] = TypeAdapter(FieldSpec)


def parse_field(data: Any) -> FieldSpec:
    """Build one field from a mapping such as ``{"name": "x", "kind": "choice", ...}``.

    Raises pydantic's ``ValidationError``; ``parse_spec`` turns those into ``InvalidSpec``.
    """
    return _FIELD_ADAPTER.validate_python(data)


FIELD_MODELS: dict[str, type[_BaseField]] = {
    "choice": ChoiceField,
    "multi_choice": MultiChoiceField,
    "spans": SpansField,
    "boxes": BoxesField,
    "segments": SegmentsField,
    "pairwise": PairwiseField,
    "rating": RatingField,
    "text": TextField,
}
