"""Capacity planning: completion forecasts, headcount for a deadline, allocation of people
across projects. Pure functions over numbers (no database, no I/O)."""

from labelworks.planning.allocation import Allocation, Demand, Move, Person, ProjectPlan, allocate
from labelworks.planning.forecast import Forecast, forecast_completion, headcount_needed
from labelworks.planning.sample_size import (
    AlphaSampleSize,
    alpha_items_needed,
    gold_needed,
    wilson_half_width,
)
from labelworks.planning.scenario import (
    ItemGroup,
    Outlook,
    Overheads,
    Workload,
    days_until,
    finish_date,
    observed_dynamic_extra,
    what_if,
    workload,
)

__all__ = [
    "Allocation",
    "AlphaSampleSize",
    "Demand",
    "Forecast",
    "ItemGroup",
    "Move",
    "Outlook",
    "Overheads",
    "Person",
    "ProjectPlan",
    "Workload",
    "allocate",
    "alpha_items_needed",
    "days_until",
    "finish_date",
    "forecast_completion",
    "gold_needed",
    "headcount_needed",
    "observed_dynamic_extra",
    "what_if",
    "wilson_half_width",
    "workload",
]
