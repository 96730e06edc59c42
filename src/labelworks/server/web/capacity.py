"""The capacity pages: a project's Capacity tab (``/projects/<project>/capacity``: the work
left, the forecast cone, the deadline, headcount and cost, and what-if sliders) and the
allocation across projects (``/capacity``, managers and admins). The browser face of
``services.capacity`` and ``services.allocation``.

The what-if knobs are a GET form kept in the URL. Moving a slider asks htmx for the page;
the answer is an ``HX-Redirect`` to the page's own address with the knobs, so the browser
loads it whole and the charts are drawn as on any page (no script of the page's own). A
slider left at the value observed is dropped from the address, so the page stays the
project's own forecast until something is changed.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput
from labelworks.schemas.lots import NO_NUL
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.server.web import capacity_charts
from labelworks.server.web.pages import page
from labelworks.services.allocation import allocation_plan
from labelworks.services.capacity import CapacityForecast, Knobs, project_forecast
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=32, pattern=NO_NUL)]
KNOBS = ("deadline", "confidence", "headcount", "overlap", "gold_rate", "review_rate", "rate")
SLIDERS = ("overlap", "gold_rate", "review_rate", "headcount")
CONFIDENCES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def _number(name: str, text: str, kind: type = float) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, not '{text}'") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number, not '{text}'")
    return value


def _knobs(typed: dict[str, str]) -> Knobs:
    """The typed knobs (empty: unset), refused naming the field when malformed."""
    deadline = None
    if typed["deadline"]:
        try:
            deadline = date.fromisoformat(typed["deadline"])
        except ValueError:
            raise InvalidInput(
                f"deadline must be a date YYYY-MM-DD, not '{typed['deadline']}'"
            ) from None
    values: dict[str, Any] = {}
    for name in KNOBS[1:]:
        text = typed[name]
        values[name] = (
            None if not text else _number(name, text, int if name == "headcount" else float)
        )
    return Knobs(deadline=deadline, **values)


def _sliders(found: CapacityForecast) -> dict[str, dict[str, float]]:
    """Each slider's range, step and the value it rests at (the observed one)."""
    observed = found.observed
    overlap = found.workload.overlap
    people = found.headcount_planned or max(1.0, round(found.headcount_observed))
    return {
        "overlap": {"min": 1, "max": max(5.0, math.ceil(2 * overlap)), "step": 0.1,
                    "rest": overlap},
        "gold_rate": {"min": 0, "max": 0.95 if observed.gold_rate > 0.5 else 0.5, "step": 0.01,
                      "rest": round(observed.gold_rate, 2)},
        "review_rate": {"min": 0, "max": 1, "step": 0.05, "rest": round(observed.review_rate, 2)},
        "headcount": {"min": 1, "max": max(10.0, math.ceil(3 * people)), "step": 1,
                      "rest": people},
    }  # fmt: skip


def _resting(typed: dict[str, str], sliders: dict[str, dict[str, float]]) -> dict[str, str]:
    """The typed knobs without the sliders left where they rest."""
    kept = dict(typed)
    for name in SLIDERS:
        text = kept[name]
        try:
            if text and math.isclose(float(text), sliders[name]["rest"], abs_tol=1e-9):
                kept[name] = ""
        except ValueError:
            pass
    return kept


def _base(db: Database, project: str, actor: Actor, typed: dict[str, str]) -> CapacityForecast:
    """The forecast without the sliders (the values they rest at), ignoring bad knobs."""
    try:
        knobs = _knobs({**typed, **dict.fromkeys(SLIDERS, "")})
        return project_forecast(db, project, knobs, actor=actor)
    except InvalidInput:
        return project_forecast(db, project, actor=actor)


@router.get("/projects/{project}/capacity", response_class=HTMLResponse)
def capacity_page(
    request: Request,
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    deadline: Text = "",
    confidence: Text = "",
    headcount: Text = "",
    overlap: Text = "",
    gold_rate: Text = "",
    review_rate: Text = "",
    rate: Text = "",
) -> Response:
    given = (deadline, confidence, headcount, overlap, gold_rate, review_rate, rate)
    typed = {k: v.strip() for k, v in zip(KNOBS, given, strict=True)}
    base = _base(db, project, actor, typed)
    sliders = _sliders(base)
    typed = _resting(typed, sliders)
    if request.headers.get("HX-Request") == "true":
        chosen = {k: v for k, v in typed.items() if v}
        here = f"/projects/{quote(project, safe='')}/capacity"
        return Response(headers={"HX-Redirect": f"{here}?{urlencode(chosen)}" if chosen else here})
    error = None
    found = base
    try:
        knobs = _knobs(typed)
        if knobs != Knobs():
            found = project_forecast(db, project, knobs, actor=actor)
    except InvalidInput as exc:
        error = str(exc)
    charts: dict[str, capacity_charts.Chart] = {"burn-up": capacity_charts.burn_up(found)}
    if found.days:
        charts["throughput"] = capacity_charts.throughput(found)
    return page(
        request,
        "project_capacity.html",
        actor,
        status=422 if error else 200,
        project_name=found.project,
        found=found,
        charts=charts,
        sliders={k: {**v, "value": typed[k] or v["rest"]} for k, v in sliders.items()},
        typed=typed,
        changed=any(typed[k] for k in KNOBS),
        confidences=CONFIDENCES,
        error=error,
    )


@router.get("/capacity", response_class=HTMLResponse)
def capacity_across_projects(request: Request, db: DB, actor: CurrentActor) -> HTMLResponse:
    plan = allocation_plan(db, actor)
    return page(
        request,
        "capacity.html",
        actor,
        plan=plan,
        paces=capacity_charts.paces(plan) if plan.projects else None,
    )
