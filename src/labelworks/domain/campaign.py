"""Human evaluation campaigns (spec ``evaluation``): models' outputs for the same prompts,
judged blind by people — side by side (``pairwise``) or one at a time on rating criteria
(``rating``).

An input row is ``{"id", "prompt", "outputs": {model: text}, "metadata"?}``. ``plan_items``
turns each into the items people judge: one per pair of models (every pair, a sample of
them, or every pair served least-certain first) with the two outputs placed left and right
at random, balanced so every model is shown on each side about equally; or one per output
in rating mode. Which model is where is kept in the item's metadata (``campaign``), which
annotators never receive; their payload holds only the prompt and the texts.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from labelworks.domain.json_value import json_kind
from labelworks.domain.judges import JudgeSpec, check_judges

__all__ = [
    "CAMPAIGN_KEY",
    "CampaignRow",
    "CampaignSpec",
    "InvalidCampaignRow",
    "PlannedItem",
    "campaign_field",
    "campaign_problem",
    "parse_campaign_row",
    "plan_items",
]

# The metadata key that records what an item compares (never sent to annotators).
CAMPAIGN_KEY = "campaign"
ROW_KEYS = ("id", "prompt", "outputs", "metadata")
MAX_MODELS = 50
MAX_TEXT = 200_000


class CampaignSpec(BaseModel):
    """``evaluation``: the ``models`` compared, the ``mode`` (``pairwise``: which of two
    outputs is better; ``rating``: each output rated on the rating fields), and for pairwise
    which ``pairs`` are made: ``all`` of them, ``sampled`` (``per_prompt`` of them per
    prompt, the least shown pairs first) or ``adaptive`` (all, served least-certain first).
    ``field`` names the pairwise field (default: the first); in rating mode the prompt and
    the output fill the payload keys ``prompt_key`` and ``response_key``. ``judges``: the
    LLM judges that may be run over the items (``domain.judges``)."""

    model_config = ConfigDict(extra="forbid")

    models: list[str] = Field(min_length=2, max_length=MAX_MODELS)
    mode: Literal["pairwise", "rating"] = "pairwise"
    pairs: Literal["all", "sampled", "adaptive"] = "all"
    per_prompt: StrictInt = Field(default=1, ge=1, le=1000)
    field: str | None = Field(default=None, max_length=200)
    prompt_key: str = Field(default="prompt", min_length=1, max_length=200)
    response_key: str = Field(default="response", min_length=1, max_length=200)
    seed: StrictInt = 0
    judges: dict[str, JudgeSpec] = Field(default_factory=dict)

    @field_validator("judges")
    @classmethod
    def _judges(cls, value: dict[str, JudgeSpec]) -> dict[str, JudgeSpec]:
        return check_judges(value)

    @field_validator("models")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.strip() or len(name) > 200 or "@" in name:
                raise ValueError(
                    f"model {name!r} must be 1-200 characters without '@' (a name, not a version)"
                )
        repeated = [m for m, n in Counter(value).items() if n > 1]
        if repeated:
            raise ValueError(f"model {repeated[0]!r} is listed twice")
        return value


def campaign_field(spec: CampaignSpec, fields: Sequence[Any]) -> Any | None:
    """The pairwise field a pairwise campaign fills (None when there is none)."""
    pairwise = [f for f in fields if f.kind == "pairwise"]
    if spec.field is not None:
        return next((f for f in pairwise if f.name == spec.field), None)
    return pairwise[0] if pairwise else None


def campaign_problem(spec: CampaignSpec, fields: Sequence[Any]) -> tuple[str, ...] | None:
    """Why the spec's fields cannot hold the campaign: (message, *path), or None."""
    for name, judge in spec.judges.items():
        if judge.field is None:
            continue
        if spec.mode == "pairwise":
            return ("a pairwise campaign's judges answer its pairwise field; leave field out",
                    "judges", name, "field")  # fmt: skip
        if not any(f.kind == "rating" and f.name == judge.field for f in fields):
            return (f"'{judge.field}' is not a rating field", "judges", name, "field")
    if spec.mode == "rating":
        if spec.pairs != "all":
            return ("pairs is for pairwise campaigns; a rating campaign rates every output",
                    "pairs")  # fmt: skip
        if not any(f.kind == "rating" for f in fields):
            return ("a rating campaign needs at least one rating field (its criteria)", "mode")
        return None
    if campaign_field(spec, fields) is None:
        named = f"'{spec.field}' is not a pairwise field" if spec.field else "there is none"
        return (f"a pairwise campaign needs a pairwise field: {named}", "field")
    return None


class InvalidCampaignRow(ValueError):
    """A campaign row that does not fit; ``where`` is the key (``outputs.gpt-x``)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: str
    prompt: str
    outputs: dict[str, str]
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One item to create: its external id, payload and metadata."""

    external_id: str
    payload: dict[str, Any]
    metadata: dict[str, Any]


def parse_campaign_row(
    obj: Any, spec: CampaignSpec, *, min_outputs: int | None = None
) -> CampaignRow:
    """Check one input row against the campaign's models; it needs ``min_outputs``
    outputs (default: 2 for pairwise, 1 for rating; generation's input may have none)."""
    if type(obj) is not dict:
        raise InvalidCampaignRow(
            f"a campaign row must be an object with id, prompt and outputs, not {json_kind(obj)}"
        )
    for key in obj:
        if key not in ROW_KEYS:
            raise InvalidCampaignRow(
                f"unknown key '{key}' in a campaign row (allowed: {', '.join(ROW_KEYS)})", key
            )
    given_id = obj.get("id")
    if type(given_id) is int:
        given_id = str(given_id)
    if type(given_id) is not str or not given_id.strip() or len(given_id) > 400:
        raise InvalidCampaignRow("id must be a non-empty string or an integer", "id")
    prompt = obj.get("prompt")
    if type(prompt) is not str or len(prompt) > MAX_TEXT:
        raise InvalidCampaignRow(
            f"prompt must be a string of at most {MAX_TEXT:,} characters", "prompt"
        )
    outputs = obj.get("outputs")
    if type(outputs) is not dict:
        raise InvalidCampaignRow(
            f"outputs must be an object of model: text, not {json_kind(outputs)}", "outputs"
        )
    for model, text in outputs.items():
        if model not in spec.models:
            raise InvalidCampaignRow(
                f"'{model}' is not one of the campaign's models ({', '.join(spec.models)})",
                f"outputs.{model}",
            )
        if type(text) is not str or len(text) > MAX_TEXT:
            raise InvalidCampaignRow(
                f"an output must be a string of at most {MAX_TEXT:,} characters, "
                f"not {json_kind(text)}",
                f"outputs.{model}",
            )
    needed = min_outputs if min_outputs is not None else 2 if spec.mode == "pairwise" else 1
    if len(outputs) < needed:
        raise InvalidCampaignRow(
            f"a {spec.mode} campaign needs at least {needed} outputs per prompt, got "
            f"{len(outputs)}",
            "outputs",
        )
    metadata = obj.get("metadata", {})
    if type(metadata) is not dict:
        raise InvalidCampaignRow(
            f"metadata must be an object, not {json_kind(metadata)}", "metadata"
        )
    if CAMPAIGN_KEY in metadata:
        raise InvalidCampaignRow(
            f"metadata.{CAMPAIGN_KEY} is labelworks' own record of the comparison",
            f"metadata.{CAMPAIGN_KEY}",
        )
    return CampaignRow(given_id, prompt, dict(outputs), metadata)


def _key(first: str, second: str) -> tuple[str, str]:
    return (first, second) if first <= second else (second, first)


class _Placement:
    """Left/right placement kept balanced per model across the whole import."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.left: Counter[str] = Counter()
        self.right: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()

    def place(self, first: str, second: str) -> tuple[str, str]:
        # Put on the left the model shown there least (relative to the right); a coin
        # when they are even, so placement is random yet balanced.
        lean_first = self.left[first] - self.right[first]
        lean_second = self.left[second] - self.right[second]
        swap = self.rng.random() < 0.5 if lean_first == lean_second else lean_first > lean_second
        left, right = (second, first) if swap else (first, second)
        self.left[left] += 1
        self.right[right] += 1
        self.pairs[_key(first, second)] += 1
        return left, right


def _choose_pairs(
    models: Sequence[str], spec: CampaignSpec, placement: _Placement, rng: random.Random
) -> list[tuple[str, str]]:
    pairs = list(itertools.combinations(models, 2))
    if spec.pairs != "sampled" or spec.per_prompt >= len(pairs):
        return pairs
    # The pairs shown least so far first (ties at random): every pair gets its share.
    rng.shuffle(pairs)
    pairs.sort(key=lambda p: placement.pairs[_key(*p)])
    return pairs[: spec.per_prompt]


def plan_items(
    rows: Sequence[CampaignRow], spec: CampaignSpec, *, pairwise_keys: tuple[str | None, str, str]
) -> list[PlannedItem]:
    """The items to create for ``rows``. ``pairwise_keys``: the pairwise field's
    (prompt, a, b) payload keys."""
    rng = random.Random(spec.seed)
    placement = _Placement(rng)
    items: list[PlannedItem] = []
    for row in rows:
        models = [m for m in spec.models if m in row.outputs]
        if spec.mode == "rating":
            for k, model in enumerate(models):
                payload = {spec.prompt_key: row.prompt, spec.response_key: row.outputs[model]}
                record = {"prompt": row.id, "model": model}
                items.append(_item(row, k, payload, record))
            continue
        prompt_key, a_key, b_key = pairwise_keys
        for k, (first, second) in enumerate(_choose_pairs(models, spec, placement, rng)):
            left, right = placement.place(first, second)
            payload = {a_key: row.outputs[left], b_key: row.outputs[right]}
            if prompt_key is not None:
                payload = {prompt_key: row.prompt, **payload}
            record = {"prompt": row.id, "left": left, "right": right}
            items.append(_item(row, k, payload, record))
    return items


def _item(
    row: CampaignRow, k: int, payload: dict[str, Any], record: Mapping[str, Any]
) -> PlannedItem:
    # The external id names the prompt and a number, never a model: it is the item's
    # name in exports and on pages annotators may see.
    return PlannedItem(
        external_id=f"{row.id}/{k + 1}",
        payload=payload,
        metadata={**row.metadata, CAMPAIGN_KEY: dict(record)},
    )


def balance(items: Sequence[PlannedItem]) -> dict[str, tuple[int, int]]:
    """Per model, how often it was placed (left, right): the placement's record."""
    left: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for item in items:
        record = item.metadata[CAMPAIGN_KEY]
        if "left" in record:
            left[record["left"]] += 1
            right[record["right"]] += 1
    return {m: (left[m], right[m]) for m in sorted({*left, *right})}


def imbalance(counts: Mapping[str, tuple[int, int]]) -> int:
    """The largest left-right difference of any model (0 or 1 when balanced)."""
    return max((abs(a - b) for a, b in counts.values()), default=0)
