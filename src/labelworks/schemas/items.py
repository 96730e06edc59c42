"""Request and response bodies of the Items table's bulk actions (``POST …/items/actions``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# The services' bounds (services.item_actions and services.catalog), stated again here so
# the wire models, shared with the SDK, never import the services.
MAX_ITEMS = 10_000
MAX_PRIORITY = 1_000_000_000
MAX_FILTER_TEXT = 500
MAX_METADATA_FILTERS = 20
MAX_ROW_ID = 2**31 - 1

ItemId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
FilterText = Annotated[str, Field(max_length=MAX_FILTER_TEXT)]


class ItemFilterIn(BaseModel):
    """The Items table's filters (``GET …/items`` takes the same); each left out is not set,
    and no filter at all is every item of the project."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["new", "in_progress", "complete"] | None = None
    annotator: FilterText | None = Field(default=None, description="email of an annotator")
    label: FilterText | None = Field(default=None, description="a label some annotation carries")
    q: FilterText | None = Field(default=None, description="text to find in the payload")
    meta: dict[FilterText, FilterText] = Field(
        default_factory=dict,
        max_length=MAX_METADATA_FILTERS,
        description="metadata key -> value, each of which the item's metadata must hold",
    )
    disagreement: FilterText | None = Field(
        default=None, description="'any' or a field: two annotations answer it differently"
    )
    score_min: float | None = Field(default=None, allow_inf_nan=False)
    score_max: float | None = Field(default=None, allow_inf_nan=False)


class ItemActionIn(BaseModel):
    """A bulk action on the items ``ids`` or on those ``filter`` matches (one of them)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["requeue", "priority", "delete"]
    ids: list[ItemId] | None = Field(default=None, min_length=1, max_length=MAX_ITEMS)
    filter: ItemFilterIn | None = None
    priority: int | None = Field(
        default=None, ge=-MAX_PRIORITY, le=MAX_PRIORITY, description="the priority action's"
    )


class ItemsChangedOut(BaseModel):
    """What the action did: items selected, and how many of them it changed."""

    action: str
    selected: int
    changed: int
    message: str
