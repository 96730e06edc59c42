"""The spec's ``plan`` section: what a project must finish by and may cost, which capacity
planning forecasts against (``labelworks forecast``, the Capacity page)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from labelworks.domain.fields import StrictInt

# ISO 4217 codes are three capital letters; no list is kept, a typo shows on the page.
CURRENCY = r"^[A-Z]{3}$"
MAX_AMOUNT = 1e12


class BudgetSpec(BaseModel):
    """The money the project may spend on annotation, in one currency."""

    model_config = ConfigDict(extra="forbid")

    amount: float = Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False)
    currency: str = Field(pattern=CURRENCY)


class PlanSpec(BaseModel):
    """``deadline``: the day the work must be done by (UTC); ``confidence``: how sure the
    forecast must be to call the deadline safe (the quantile it is read at); ``headcount``:
    the people planned on the project, when not the number seen working lately."""

    model_config = ConfigDict(extra="forbid")

    deadline: date | None = None
    confidence: float = Field(default=0.8, ge=0.5, le=0.99, allow_inf_nan=False)
    budget: BudgetSpec | None = None
    headcount: StrictInt | None = Field(default=None, ge=1, le=100_000)
