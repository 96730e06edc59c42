"""The Model tab's active-learning page: would serving the items the model is least sure
about first (``routing.order: uncertainty``) save labels on this project? Active learning
simulated on its final labels (``services.learning_curve``): both strategies' held-out
accuracy by labels spent as a chart (95% intervals shaded) with its numbers as a table, the
labels saved at the accuracy random order ends with, and how to turn routing on. Computed
when the page is opened (seconds), so the Model tab itself links to it rather than waiting
for it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web.charts import MUTED, chart_base
from labelworks.server.web.model import BLUE, F1_COLOUR, may_train
from labelworks.server.web.pages import page
from labelworks.server.web.quality import percent
from labelworks.services import learning_curve as curve_service
from labelworks.services import projects as project_service
from labelworks.services.learning_curve import CurveReport
from labelworks.services.routing import order_of

router = APIRouter(include_in_schema=False)
NAMES = {"uncertainty": "uncertainty (least sure first)", "random": "random order"}
COLOURS = {"uncertainty": BLUE, "random": F1_COLOUR}


def strategies_chart(report: CurveReport) -> dict[str, Any]:
    """Held-out accuracy by labels spent for both strategies, each with its 95% interval
    shaded, on a log scale of labels; a dashed rule at the accuracy random order ends with."""
    rows = [
        {
            "strategy": NAMES[p.strategy],
            "labels": p.labels,
            "accuracy": p.accuracy,
            "low": p.low,
            "high": p.high,
        }
        for p in report.points
    ]
    names = [NAMES[s] for s in ("uncertainty", "random")]
    x = {
        "field": "labels",
        "type": "quantitative",
        "title": "labels spent (log scale)",
        "scale": {"type": "log", "nice": False},
        "axis": {"format": ",d", "tickCount": 6},
    }
    y = {"type": "quantitative", "title": "held-out accuracy", "scale": {"zero": False},
         "axis": {"format": "%", "tickCount": 5}}  # fmt: skip
    colour = {
        "field": "strategy",
        "type": "nominal",
        "title": None,
        "scale": {"domain": names, "range": [COLOURS["uncertainty"], COLOURS["random"]]},
        "legend": {"orient": "bottom", "direction": "vertical"},
    }
    tooltip = [
        {"field": "strategy", "type": "nominal"},
        {"field": "labels", "type": "quantitative", "format": ",d"},
        {"field": "accuracy", "type": "quantitative", "format": ".1%"},
        {"field": "low", "type": "quantitative", "format": ".1%", "title": "95% from"},
        {"field": "high", "type": "quantitative", "format": ".1%", "title": "95% to"},
    ]
    # One band per strategy in its fixed colour: a colour channel on the bands would merge
    # into the lines' legend (and a legend switched off there removes it altogether).
    layers: list[dict[str, Any]] = [
        {
            "transform": [{"filter": {"field": "strategy", "equal": NAMES[key]}}],
            "mark": {"type": "area", "opacity": 0.12, "color": COLOURS[key]},
            "encoding": {"x": x, "y": {**y, "field": "low"}, "y2": {"field": "high"}},
        }
        for key in ("uncertainty", "random")
    ]
    layers.append(
        {
            "mark": {"type": "line", "point": {"size": 40}},
            "encoding": {
                "x": x,
                "y": {**y, "field": "accuracy"},
                "color": colour,
                "strokeDash": {
                    "field": "strategy",
                    "type": "nominal",
                    "legend": None,
                    "scale": {"domain": names, "range": [[1, 0], [5, 3]]},
                },
                "tooltip": tooltip,
            },
        }
    )
    if report.saving is not None:
        target = {"accuracy": report.saving.accuracy, "what": "random order's final accuracy"}
        layers.append(
            {
                "data": {"values": [target]},
                "mark": {"type": "rule", "color": MUTED, "strokeDash": [4, 4]},
                "encoding": {
                    "y": {"field": "accuracy", "type": "quantitative"},
                    "tooltip": [
                        {"field": "what", "type": "nominal", "title": "rule"},
                        {"field": "accuracy", "type": "quantitative", "format": ".1%"},
                    ],
                },
            }
        )
    return {**chart_base("uncertainty against random order", 260), "data": {"values": rows},
            "layer": layers}  # fmt: skip


def curve_rows(report: CurveReport) -> list[tuple[str, ...]]:
    """The chart's numbers: per count of labels, each strategy's accuracy and interval."""
    by = {(p.strategy, p.labels): p for p in report.points}
    out: list[tuple[str, ...]] = []
    for labels in report.steps:
        u, r = by[("uncertainty", labels)], by[("random", labels)]
        out.append(
            (
                f"{labels:,}",
                percent(u.accuracy, 1),
                f"{percent(u.low, 1)}–{percent(u.high, 1)}",
                percent(r.accuracy, 1),
                f"{percent(r.low, 1)}–{percent(r.high, 1)}",
            )
        )
    return out


@router.get("/projects/{project}/model/curve", response_class=HTMLResponse)
def curve_page(request: Request, project: str, db: DB, actor: CurrentActor) -> Response:
    report = curve_service.learning_curve(db, project, actor=actor)  # the review right
    spec = project_service.get_project(db, project, actor=actor).spec
    drawn = bool(report.points)
    return page(
        request,
        "model_curve.html",
        actor,
        project=report.project,
        report=report,
        saving=report.saving,
        order=order_of(spec),
        has_assist=spec.assist is not None,
        curve=strategies_chart(report) if drawn else None,
        curve_rows=curve_rows(report) if drawn else [],
        may_manage=may_train(actor),
        percent=percent,
        min_labels=curve_service.MIN_LABELS,
    )
