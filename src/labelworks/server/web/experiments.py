"""The Experiments pages, under the Quality tab: a project's experiments (a form to start
one) and one experiment (its split, each arm's figures with intervals as dot-and-interval
charts, the differences with their intervals and p-values, the power, and the verdict in
plain words; a form to stop it). The browser face of ``services.experiments``."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, LabelworksError, Location
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web import experiment_charts as charts
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import experiments, quality_view
from labelworks.stats.experiments import Estimate
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
Form = dict[str, list[str]]
METRIC_TITLES = {
    "gold_accuracy": "gold accuracy",
    "agreement": "agreement with the final label",
    "log_seconds": "time per item",
}


def _first(form: Form, key: str) -> str:
    return (form.get(key) or [""])[0]


def _form(raw: bytes) -> Form:
    return parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)


def _seed(form: Form) -> int | None:
    text = _first(form, "seed").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 2**31 - 1:
        raise InvalidInput(
            f"seed must be a whole number from 0 to {2**31 - 1}, not '{text}'",
            location=Location(field="seed"),
        )
    return int(text)


def _list(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    notice: tuple[str, bool] | None = None,
    error: str | None = None,
    form: Form | None = None,
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "experiments.html",
        actor,
        status=status,
        project=project,
        rows=experiments.project_experiments(db, project, actor=actor),
        notice=notice,
        error=error,
        form={k: v[0] for k, v in (form or {}).items() if v},
        consensus=quality_view.consensus_summary(db, project, actor=actor),
    )


@router.get("/projects/{project}/experiments", response_class=HTMLResponse)
def experiments_page(request: Request, project: str, db: DB, actor: CurrentActor) -> HTMLResponse:
    return _list(request, db, actor, project, notice=take_flash(request))


@router.post("/projects/{project}/experiments")
def create(request: Request, project: str, db: DB, actor: CurrentActor, raw: RawBody) -> Response:
    """Start an experiment from the form: on to it, or back to the list with the error
    and the form as sent."""
    form = _form(raw)
    check_form_csrf(request, _first(form, CSRF_FIELD))
    try:
        row = experiments.create_experiment(
            db,
            project,
            name=_first(form, "name"),
            unit=_first(form, "unit"),
            arms=[
                (_first(form, "arm1"), _first(form, "arm1_description")),
                (_first(form, "arm2"), _first(form, "arm2_description")),
            ],
            treatment="suggestions" if _first(form, "treatment") == "suggestions" else None,
            description=_first(form, "description"),
            seed=_seed(form),
            actor=actor,
        )
    except LabelworksError as exc:
        return _list(
            request, db, actor, project, error=str(exc).rstrip("."), form=form,
            status=status_for(exc),
        )  # fmt: skip
    flash(request, f"Experiment '{row.name}' started: its {row.unit}s are split between the arms.")
    return RedirectResponse(
        f"/projects/{quote(project)}/experiments/{quote(row.name, safe='')}", status_code=303
    )


def _percent(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x:.{digits}%}"


def _cards(report: experiments.ExperimentReport) -> list[dict[str, str]]:
    """The headline cards: each difference with its interval and p-value, and the power."""
    a = report.analysis
    names = [arm.name for arm in report.experiment.arms]
    cards = []
    for metric in ("gold_accuracy", "agreement"):
        d = a.differences[metric]
        if d.value is None:
            continue
        interval = (
            ""
            if d.low is None or d.high is None
            else f"95% CI {d.low * 100:+.1f} to {d.high * 100:+.1f}"
        )
        cards.append(
            {
                "title": f"{METRIC_TITLES[metric]}, {names[1]} − {names[0]}",
                "value": f"{d.value * 100:+.1f} pts",
                "detail": " · ".join(x for x in (interval, _p(d.p_value)) if x),
            }
        )
    d = a.differences["log_seconds"]
    if d.value is not None:
        interval = (
            ""
            if d.low is None or d.high is None
            else f"95% CI {math.exp(d.low) - 1:+.0%} to {math.exp(d.high) - 1:+.0%}"
        )
        cards.append(
            {
                "title": f"time per item, {names[1]} against {names[0]}",
                "value": f"{math.exp(d.value) - 1:+.0%}",
                "detail": " · ".join(x for x in (interval, _p(d.p_value)) if x),
            }
        )
    power = a.power.get("gold_accuracy") or a.power.get("agreement")
    if power is not None:
        cards.append(
            {
                "title": f"power to detect {a.min_effect * 100:g} points",
                "value": _percent(power.power),
                "detail": f"ICC {power.icc:.2f}{' (as 0)' if power.icc < 0 else ''} · "
                f"design effect {power.design_effect:.1f}",
            }
        )
    return cards


def _geometric(e: Estimate) -> Estimate:
    """Mean log seconds as the geometric mean in seconds, its interval likewise."""

    def exp(x: float | None) -> float | None:
        return None if x is None else math.exp(x)

    return Estimate(exp(e.value), exp(e.low), exp(e.high), e.answers, e.units)


def _p(p: float | None) -> str:
    if p is None:
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def _number(x: Any, digits: int) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _tables(rows: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Each chart's numbers as (columns, rows)."""
    shares = (
        ["figure", "arm", "share", "95% from", "95% to", "answers", "units"],
        [
            [r["figure"], r["arm"], _percent(r["estimate"], 1), _percent(r["low"], 1),
             _percent(r["high"], 1), r["answers"], r["units"]]
            for r in rows["shares"]
        ],
    )  # fmt: skip
    seconds = (
        ["figure", "arm", "seconds", "95% from", "95% to", "answers", "units"],
        [
            [r["figure"], r["arm"], _number(r["estimate"], 1), _number(r["low"], 1),
             _number(r["high"], 1), r["answers"], r["units"]]
            for r in rows["seconds"]
        ],
    )  # fmt: skip
    differences = (
        ["figure", "difference", "95% from", "95% to", "p-value"],
        [
            [r["figure"], _number(r["estimate"], 1), _number(r["low"], 1),
             _number(r["high"], 1), _p(r["p"]) or "–"]
            for r in rows["differences"]
        ],
    )  # fmt: skip
    return {"shares": shares, "seconds": seconds, "differences": differences}


def _detail(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    name: str,
    *,
    min_effect: float,
    notice: tuple[str, bool] | None = None,
    status: int = 200,
) -> HTMLResponse:
    state = experiments.experiment_status(db, project, name, actor=actor)
    report = experiments.analyze_experiment(db, project, name, min_effect=min_effect, actor=actor)
    a = report.analysis
    names = (report.experiment.arms[0].name, report.experiment.arms[1].name)
    rows = {
        "shares": charts.share_rows(a, names),
        "seconds": charts.seconds_rows(a, names),
        "differences": charts.difference_rows(a),
    }
    specs = {
        "shares": charts.arm_intervals(rows["shares"], names, "shares per arm", share=True)
        if rows["shares"]
        else None,
        "seconds": charts.arm_intervals(rows["seconds"], names, "seconds per item", share=False)
        if rows["seconds"]
        else None,
        "differences": charts.differences(rows["differences"], names)
        if rows["differences"]
        else None,
    }
    return page(
        request,
        "experiment.html",
        actor,
        status=status,
        project=project,
        state=state,
        report=report,
        e=report.experiment,
        names=names,
        cards=_cards(report),
        specs=specs,
        tables=_tables(rows),
        power=[(METRIC_TITLES[m], p) for m, p in a.power.items() if p is not None],
        geometric=[_geometric(f.log_seconds) for f in a.arms],
        notice=notice,
        consensus=quality_view.consensus_summary(db, project, actor=actor),
    )


@router.get("/projects/{project}/experiments/{name}", response_class=HTMLResponse)
def experiment_page(
    request: Request,
    project: str,
    name: str,
    db: DB,
    actor: CurrentActor,
    points: float = Query(5.0, ge=0.5, le=50, description="a difference worth seeing"),
) -> HTMLResponse:
    return _detail(
        request, db, actor, project, name, min_effect=points / 100, notice=take_flash(request)
    )


@router.post("/projects/{project}/experiments/{name}/stop")
def stop(
    request: Request, project: str, name: str, db: DB, actor: CurrentActor, raw: RawBody
) -> Response:
    """Stop the experiment; back to it with what was done, or the error."""
    form = _form(raw)
    check_form_csrf(request, _first(form, CSRF_FIELD))
    try:
        experiments.stop_experiment(db, project, name, actor=actor)
    except LabelworksError as exc:
        return _detail(
            request, db, actor, project, name, min_effect=0.05,
            notice=(f"{str(exc).rstrip('.')}. Nothing was changed.", False),
            status=status_for(exc),
        )  # fmt: skip
    flash(request, f"Experiment '{name}' stopped: its window is closed and its split complete.")
    return RedirectResponse(
        f"/projects/{quote(project)}/experiments/{quote(name, safe='')}", status_code=303
    )
