"""A project's Evaluation tab: the model versions with predictions, a form to score one
against the final labels or gold, every stored run with its headline figure, a run's page
(figures with intervals, per-class bars, confusion matrix, reliability diagram, slices)
and the comparison of two versions. The browser face of ``services.evaluation`` and
``services.model_comparison``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.domain.predictions import model_key
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web import evaluation_charts as charts
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.server.web.quality import percent
from labelworks.services import evaluation, predictions
from labelworks.services import projects as project_service
from labelworks.services.model_comparison import compare_models
from labelworks.storage.eval_runs import EvalRunRow

router = APIRouter(include_in_schema=False)
HEADLINE = {"classification": "accuracy", "multilabel": "subset accuracy", "structured": "F1"}
HEADLINE_KEY = {"classification": "accuracy", "multilabel": "subset_accuracy", "structured": "f1"}


def _here(project: str) -> str:
    return f"/projects/{quote(project)}/evaluation"


def estimate(e: dict[str, Any] | None, digits: int = 1, signed: bool = False) -> str:
    """An estimate as ``81.2% (78.0–84.1%)``; ``–`` when undefined."""
    if not e or e.get("value") is None:
        return "–"

    def show(x: float) -> str:
        text = percent(abs(x), digits) if signed else percent(x, digits)
        return (("+" if x >= 0 else "−") + text) if signed else text

    if e.get("low") is None:
        return show(e["value"])
    return f"{show(e['value'])} ({show(e['low'])} to {show(e['high'])})"


def number(e: dict[str, Any] | None, signed: bool = False) -> str:
    """A coefficient (κ, Brier, ECE, F1 differences) with three decimals and its interval."""
    if not e or e.get("value") is None:
        return "–"
    fmt = "{:+.3f}" if signed else "{:.3f}"
    if e.get("low") is None:
        return fmt.format(e["value"])
    return f"{fmt.format(e['value'])} ({fmt.format(e['low'])} to {fmt.format(e['high'])})"


@router.get("/projects/{project}/evaluation", response_class=HTMLResponse)
def evaluation_page(request: Request, project: str, db: DB, actor: CurrentActor) -> Response:
    runs = evaluation.eval_runs(db, project, actor=actor)  # review right, no vendor wall
    versions = predictions.model_versions(db, project, actor=actor)
    spec = project_service.get_project(db, project, actor=actor).spec
    latest = _latest_runs(runs)
    return page(
        request,
        "evaluation.html",
        actor,
        project=project,
        runs=runs,
        latest_chart=charts.slice_estimates(
            latest, "Latest run of each model version", signed=False
        )
        if latest
        else None,
        latest_rows=[
            (
                r["value"],
                f"{r['items']:,}",
                estimate({"value": r["estimate"], "low": r["low"], "high": r["high"]}),
            )
            for r in latest
        ],
        versions=versions,
        keys=[model_key(v.model, v.version) for v in versions],
        fields=[f.name for f in evaluation.evaluable_fields(spec)],
        campaign=spec.evaluation,
        percent=percent,
        notice=take_flash(request),
        here=_here(project),
    )


def _latest_runs(runs: list[EvalRunRow]) -> list[dict[str, Any]]:
    """The newest run of each model version, field and reference, with its headline
    interval: how the versions compare at a glance."""
    seen: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for run in runs:  # newest first
        key = (run.model, run.version, run.field, run.against)
        kind = run.report.get("kind", "classification")
        found = run.report.get(HEADLINE_KEY[kind]) or {}
        if key in seen or found.get("value") is None or found.get("low") is None:
            continue
        label = f"{model_key(run.model, run.version)} · {run.field}"
        seen[key] = {
            "value": label if run.against == "final" else f"{label} (gold)",
            "items": run.items,
            "estimate": found["value"],
            "low": found["low"],
            "high": found["high"],
            "flagged": False,
        }
    return list(seen.values())


@router.post("/projects/{project}/evaluation/run")
def run_now(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    csrf: str = Form("", alias=CSRF_FIELD),
    model: str = Form(""),
    field: str = Form(""),
    against: str = Form("final"),
    slice_key: str = Form("", alias="slice"),
) -> Response:
    check_form_csrf(request, csrf)
    evaluation.eval_runs(db, project, actor=actor, limit=1)  # the project and the right
    try:
        run = evaluation.run_evaluation(
            db,
            project,
            model,
            field=field or None,
            against=evaluation.against_of(against),
            slice_key=slice_key.strip() or None,
            actor=actor,
        )
    except (InvalidInput, NotFound) as exc:
        # The refusal belongs beside the form, not on an error page.
        flash(request, exc.message, ok=False)
        return RedirectResponse(_here(project), status_code=303)
    return RedirectResponse(f"{_here(project)}/runs/{run.id}", status_code=303)


@router.get("/projects/{project}/evaluation/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, project: str, run_id: int, db: DB, actor: CurrentActor) -> Response:
    run = evaluation.eval_run(db, project, run_id, actor=actor)
    report = run.report
    kind = report.get("kind", "classification")
    return page(
        request,
        "eval_run.html",
        actor,
        project=project,
        run=run,
        report=report,
        kind=kind,
        headline=HEADLINE[kind],
        headline_key=HEADLINE_KEY[kind],
        class_chart=charts.class_bars(report["classes"]) if report.get("classes") else None,
        class_rows=_class_rows(report),
        confusion=_confusion(report),
        reliability=_reliability(report),
        slices=_run_slices(run, HEADLINE_KEY[kind]),
        estimate=estimate,
        number=number,
        percent=percent,
        here=_here(project),
    )


def _class_rows(report: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (
            str(c["label"]),
            estimate(c["precision"]),
            estimate(c["recall"]),
            estimate(c["f1"]),
            f"{c['support']:,}",
        )
        for c in report.get("classes", [])
    ]


def _confusion(report: dict[str, Any]) -> dict[str, Any] | None:
    if "confusion" not in report:
        return None
    labels = [str(x) for x in report["labels"]]
    rows = [(labels[i], *(f"{n:,}" for n in row)) for i, row in enumerate(report["confusion"])]
    return {
        "chart": charts.confusion_matrix(labels, report["confusion"]),
        "columns": ["reference \\ predicted", *labels],
        "rows": rows,
    }


def _reliability(report: dict[str, Any]) -> dict[str, Any] | None:
    calibration = report.get("calibration")
    if not calibration:
        return None
    rows = [
        (
            f"{percent(b['lower'])}–{percent(b['upper'])}",
            f"{b['count']:,}",
            "–" if b["confidence"] is None else percent(b["confidence"], 1),
            "–" if b["accuracy"] is None else percent(b["accuracy"], 1),
        )
        for b in calibration["bins"]
    ]
    return {"chart": charts.reliability(calibration["bins"]), "rows": rows, **calibration}


def _run_slices(run: EvalRunRow, key: str) -> dict[str, Any] | None:
    found = run.report.get("slices")
    if not found:
        return None
    rows = [
        {
            "value": s["value"],
            "items": s["items"],
            "estimate": s[key]["value"],
            "low": s[key]["low"],
            "high": s[key]["high"],
            "flagged": False,
        }
        for s in found
        if key in s and s[key]["value"] is not None and s[key]["low"] is not None
    ]
    table = [
        (str(s["value"]), f"{s['items']:,}", s.get("error") or estimate(s.get(key))) for s in found
    ]
    title = f"{HEADLINE_KEY_TITLE.get(key, key).capitalize()} by {run.slice_key}"
    return {"chart": charts.slice_estimates(rows, title, signed=False) if rows else None,
            "rows": table, "title": title}  # fmt: skip


HEADLINE_KEY_TITLE = {"accuracy": "accuracy", "subset_accuracy": "subset accuracy", "f1": "F1"}


@router.get("/projects/{project}/evaluation/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    a: str = "",
    b: str = "",
    field: str = "",
    against: str = "final",
    slice_key: str = Query("", alias="slice"),
) -> Response:
    versions = predictions.model_versions(db, project, actor=actor)
    keys = [model_key(v.model, v.version) for v in versions]
    found = None
    problem = None
    evaluation.eval_runs(db, project, actor=actor, limit=1)  # the project and the right
    if a and b:
        try:
            found = compare_models(
                db,
                project,
                a,
                b,
                field=field or None,
                against=evaluation.against_of(against),
                slice_key=slice_key.strip() or None,
                actor=actor,
            )
        except (InvalidInput, NotFound) as exc:
            problem = exc.message
    spec = project_service.get_project(db, project, actor=actor).spec
    slices = None
    if found is not None and found.slices:
        rows = [
            {
                "value": s["value"],
                "items": s["items"],
                "estimate": s["accuracy_difference"]["value"],
                "low": s["accuracy_difference"]["low"],
                "high": s["accuracy_difference"]["high"],
                "flagged": bool(s.get("flagged")),
            }
            for s in found.slices
            if "accuracy_difference" in s and s["accuracy_difference"]["low"] is not None
        ]
        slices = charts.slice_estimates(rows, f"B − A accuracy by {found.slice_key}", signed=True)
    return page(
        request,
        "eval_compare.html",
        actor,
        project=project,
        keys=keys,
        fields=[f.name for f in evaluation.evaluable_fields(spec)],
        chosen={"a": a, "b": b, "field": field, "against": against, "slice": slice_key},
        found=found,
        problem=problem,
        slice_chart=slices,
        slice_rows=[
            (
                str(s["value"]),
                f"{s['items']:,}",
                s.get("error") or estimate(s.get("accuracy_difference"), 1, True),
                "yes" if s.get("flagged") else "",
            )
            for s in (found.slices if found is not None else [])
        ],
        estimate=estimate,
        number=number,
        percent=percent,
        here=_here(project),
        query=urlencode({"a": a, "b": b}),
    )
