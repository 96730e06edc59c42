"""A project's Model tab: whether the baseline model of its ``assist`` spec helps. The
current version's held-out accuracy (95% interval) and macro-F1, how often the final labels
decided since agreed with its suggestions, when it trains next, its learning curve over the
versions (also as CSV, ``?format=csv``), the labels it learnt from and every version; a
Train now form (manage right) whose job the page follows live, as the Jobs tab does.
Without ``assist`` the page says how to turn it on. The browser face of
``services.assist``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Action, Actor, allowed
from labelworks.domain.assist import field_problem
from labelworks.domain.spec import ProjectSpec
from labelworks.jobs import records
from labelworks.jobs.kinds import amount
from labelworks.server.api.jobs import job_queue
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.charts import MUTED, chart_base
from labelworks.server.web.jobs import PILLS, job_line
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.server.web.quality import percent
from labelworks.services import assist
from labelworks.services import projects as project_service
from labelworks.services.routing import order_of

router = APIRouter(include_in_schema=False)
# The page lists the latest training jobs only; the Jobs tab has them all.
TRAIN_JOBS = 5
ACCURACY = "held-out accuracy"
F1 = "macro-F1"
MAJORITY = "always the most common label"
# Colours with at least 3:1 contrast on the light and the dark card alike (the stylesheet's
# --accent is too dark on the dark one): accuracy blue, macro-F1 amber.
BLUE = "#3f74dd"
F1_COLOUR = "#c77700"
CSV_COLUMNS = (
    "version", "trained_at", "labels", "decided", "folds", "accuracy", "low", "high",
    "macro_f1", "suggested", "seconds", "job_id",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LabelCount:
    """A label of the latest training: how many texts had it, and their share."""

    label: str
    count: int
    share: float


def majority(model: assist.ModelRow) -> tuple[str, float] | None:
    """The most common label of a one-label field's training and its share: the accuracy
    a model that always said it would have, which a useful model beats."""
    ranked = label_counts(model)
    return (ranked[0].label, ranked[0].share) if ranked and model.labels else None


def versus_majority(model: assist.ModelRow, share: float) -> str:
    """Where the accuracy's 95% interval lies against always answering the most common
    label: ``better`` (all above it), ``worse`` (all below) or ``unclear``."""
    if model.low > share:
        return "better"
    return "worse" if model.high < share else "unclear"


def label_counts(model: assist.ModelRow) -> list[LabelCount]:
    """The latest training's labels, most frequent first."""
    ranked = sorted(model.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [LabelCount(label, n, n / model.labels if model.labels else 0.0) for label, n in ranked]


def learning_curve(models: list[assist.ModelRow], *, one_label: bool) -> dict[str, Any]:
    """Held-out accuracy with its 95% interval (error bars) and macro-F1 of each version
    over the labels it learnt from; for a one-label field also what always answering the
    most common label would score."""
    rows: list[dict[str, Any]] = []
    for m in reversed(models):
        at = {"version": f"v{m.version}", "labels": m.labels}
        rows.append({**at, "measure": ACCURACY, "value": m.accuracy, "low": m.low, "high": m.high})
        rows.append({**at, "measure": F1, "value": m.macro_f1})
        top = majority(m) if one_label else None
        if top is not None:
            rows.append({**at, "measure": MAJORITY, "value": top[1], "label": top[0]})
    measures = [ACCURACY, F1, *([MAJORITY] if one_label else [])]
    x = {
        "field": "labels",
        "type": "quantitative",
        "title": "final labels learnt from",
        # Not from zero: the first version learnt from min_labels, and the versions are
        # what is compared; padded so the first and last points keep their labels.
        "scale": {"zero": False, "padding": 24},
        "axis": {"format": ",d", "tickMinStep": 1, "tickCount": 6},
    }
    y = {"type": "quantitative", "scale": {"domain": [0, 1]}, "title": None,
         "axis": {"format": "%", "tickCount": 5}}  # fmt: skip
    colour = {
        "field": "measure",
        "type": "nominal",
        "title": None,
        "scale": {"domain": measures, "range": [BLUE, F1_COLOUR, MUTED]},
        "legend": {"orient": "bottom", "direction": "vertical"},
    }
    only_accuracy = [{"filter": {"field": "measure", "equal": ACCURACY}}]
    tooltip = [
        {"field": "version", "type": "nominal"},
        {"field": "measure", "type": "nominal"},
        {"field": "value", "type": "quantitative", "format": ".1%"},
        {"field": "labels", "type": "quantitative", "format": ",d", "title": "labels"},
    ]
    interval = [
        *tooltip[:1],
        {"field": "low", "type": "quantitative", "format": ".1%", "title": "95% from"},
        {"field": "high", "type": "quantitative", "format": ".1%", "title": "95% to"},
    ]
    return {
        **chart_base("learning curve", 240),
        "data": {"values": rows},
        "layer": [
            {
                "transform": only_accuracy,
                "mark": {"type": "area", "color": BLUE, "opacity": 0.12},
                "encoding": {"x": x, "y": {**y, "field": "low"}, "y2": {"field": "high"}},
            },
            {
                "transform": only_accuracy,
                "mark": {"type": "errorbar", "ticks": True, "color": BLUE, "thickness": 2},
                "encoding": {
                    "x": x,
                    "y": {**y, "field": "low"},
                    "y2": {"field": "high"},
                    "tooltip": interval,
                },
            },
            {
                "mark": {"type": "line", "point": {"size": 50}},
                "encoding": {
                    "x": x,
                    "y": {**y, "field": "value"},
                    "color": colour,
                    "strokeDash": {
                        "field": "measure",
                        "type": "nominal",
                        "legend": None,
                        "scale": {"domain": measures, "range": [[1, 0], [5, 3], [2, 2]]},
                    },
                    "tooltip": tooltip,
                },
            },
            {
                "transform": only_accuracy,
                "mark": {"type": "text", "dy": -10, "fontSize": 11, "color": BLUE},
                "encoding": {"x": x, "y": {**y, "field": "high"}, "text": {"field": "version"}},
            },
        ],
    }


def curve_rows(models: list[assist.ModelRow]) -> list[tuple[str, ...]]:
    """The chart's numbers as its table shows them, oldest version first."""
    return [
        (
            f"v{m.version}",
            f"{m.labels:,}",
            percent(m.accuracy, 1),
            f"{percent(m.low, 1)}–{percent(m.high, 1)}",
            f"{m.macro_f1:.2f}",
        )
        for m in reversed(models)
    ]


def example_field(spec: ProjectSpec) -> str | None:
    """A field of the spec the model could learn, for the page's example."""
    kinds = {f.name: (f.kind, getattr(f, "source", None)) for f in spec.fields}
    return next((name for name in kinds if field_problem(kinds, name) is None), None)


def may_train(actor: Actor) -> bool:
    """Whether the page offers Train now: the manage right, in a project the actor sees."""
    return allowed(actor, Action.MANAGE, member=True)


def _here(project: str) -> str:
    return f"/projects/{quote(project)}/model"


# The versions' CSV is the page's own data in another format (?format=csv), not a page of
# its own: the routes crawled as pages stay pages.
@router.get("/projects/{project}/model", response_class=HTMLResponse)
def model_page(
    request: Request,
    project: str,
    db: DB,
    settings: AppSettings,
    actor: CurrentActor,
    format: str = "html",
) -> Response:
    report = assist.assist_report(db, project, actor=actor)  # the review right
    if format == "csv":
        return versions_csv(report)
    spec = project_service.get_project(db, project, actor=actor).spec
    # From the spec just read, not the report's: a spec applied in between names its own field.
    field = spec.field(spec.assist.field) if spec.assist else None
    models = report.models
    latest = models[0] if models else None
    jobs = records.list_jobs(
        db, actor=actor, project=project, kind="train", limit=TRAIN_JOBS, data_dir=settings.data_dir
    )
    one_label = field is not None and field.kind == "choice"
    top = majority(latest) if latest and one_label else None
    return page(
        request,
        "model.html",
        actor,
        project=report.project,
        report=report,
        field=field,
        source=getattr(field, "source", None),
        latest=latest,
        previous=models[1] if len(models) > 1 else None,
        majority=top,
        versus=versus_majority(latest, top[1]) if latest and top else "",
        counts=label_counts(latest) if latest else [],
        curve=learning_curve(models, one_label=one_label) if models else None,
        curve_rows=curve_rows(models),
        example=example_field(spec),
        consensus=spec.quality.consensus,
        order=order_of(spec),
        may_manage=may_train(actor),
        lines=[job_line(j, actor) for j in jobs],
        pills=PILLS,
        amount=amount,
        percent=percent,
        notice=take_flash(request),
        here=_here(report.project),
    )


def versions_csv(report: assist.AssistReport) -> Response:
    """Every version's figures, oldest first: the learning curve's data for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for m in reversed(report.models):
        row = {c: getattr(m, c) for c in CSV_COLUMNS}
        row["trained_at"] = m.trained_at.isoformat() + "Z"
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    name = f"{report.project}-model-versions.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/projects/{project}/model/train")
def train_now(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    csrf: str = Form("", alias=CSRF_FIELD),
) -> Response:
    check_form_csrf(request, csrf)
    job = records.create_job(db, "train", {}, project=project, actor=actor)  # the manage right
    job_queue(request).enqueue(job.id)
    flash(request, f"Training job {job.id} started; its progress shows below.")
    return RedirectResponse(_here(project), status_code=303)
