"""Vega-Lite specifications of the people analytics charts (``people_analytics`` pages):
speed against accuracy coloured by vendor, time per task, and the weekly trend. Each
comes with the rows of its table, so nothing is only in a picture."""

from __future__ import annotations

from typing import Any

from labelworks.server.web.charts import ACCENT, MUTED, chart_base
from labelworks.services.people_analytics import PeopleReport

INTERNAL = "in-house"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def speed_accuracy(report: PeopleReport) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Each person with gold answers and a measured time: median seconds per item (log
    scale) against gold accuracy, with the 95% interval as a vertical rule, coloured by
    vendor."""
    chosen = [
        p for p in report.people if p.figures.median_seconds and p.figures.gold.value is not None
    ]
    rows = [
        {
            "person": p.email,
            "vendor": p.vendor or INTERNAL,
            "seconds": p.figures.median_seconds,
            "accuracy": p.figures.gold.value,
            "low": p.figures.gold.low,
            "high": p.figures.gold.high,
            "gold": p.figures.gold.trials,
            "annotations": p.figures.annotations,
        }
        for p in chosen
    ]
    x = {
        "field": "seconds",
        "type": "quantitative",
        "title": "median seconds per item (log scale)",
        "scale": {"type": "log"},
    }
    colour = {"field": "vendor", "type": "nominal", "title": "vendor"}
    spec = {
        **chart_base("speed against accuracy", 260),
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "rule", "opacity": 0.35},
                "encoding": {
                    "x": x,
                    "y": {"field": "low", "type": "quantitative"},
                    "y2": {"field": "high"},
                    "color": colour,
                    "tooltip": [
                        {"field": "person", "type": "nominal"},
                        {"field": "low", "type": "quantitative", "format": ".0%"},
                        {"field": "high", "type": "quantitative", "format": ".0%"},
                    ],
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 60},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "accuracy",
                        "type": "quantitative",
                        "title": "gold accuracy",
                        "scale": {"domain": [0, 1]},
                        "axis": {"format": "%"},
                    },
                    "color": colour,
                    "tooltip": [
                        {"field": "person", "type": "nominal"},
                        {"field": "vendor", "type": "nominal"},
                        {"field": "seconds", "type": "quantitative", "format": ".1f"},
                        {"field": "accuracy", "type": "quantitative", "format": ".0%"},
                        {"field": "gold", "type": "quantitative", "title": "gold answers"},
                        {"field": "annotations", "type": "quantitative"},
                    ],
                },
            },
        ],
    }
    table = [
        (
            p.email,
            p.vendor or INTERNAL,
            round(p.figures.median_seconds or 0.0, 1),
            _pct(p.figures.gold.value),
            f"{_pct(p.figures.gold.low)}–{_pct(p.figures.gold.high)}",
            p.figures.gold.trials,
        )
        for p in chosen
    ]
    return spec, table


def time_per_task(report: PeopleReport) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """How many tasks took how long (equal bins up to the 99th percentile)."""
    edges, counts = report.team.edges, report.team.counts
    rows = [{"from": edges[k], "to": edges[k + 1], "tasks": counts[k]} for k in range(len(counts))]
    spec = {
        **chart_base("time per task", 160),
        "data": {"values": rows},
        "mark": {"type": "bar", "color": ACCENT, "binSpacing": 1},
        "encoding": {
            "x": {
                "field": "from",
                "type": "quantitative",
                "bin": {"binned": True},
                "title": "seconds per task",
            },
            "x2": {"field": "to"},
            "y": {"field": "tasks", "type": "quantitative", "title": "tasks"},
            "tooltip": [
                {"field": "from", "type": "quantitative", "format": ".1f", "title": "from (s)"},
                {"field": "to", "type": "quantitative", "format": ".1f", "title": "to (s)"},
                {"field": "tasks", "type": "quantitative"},
            ],
        },
    }
    table = [(f"{r['from']:.1f}–{r['to']:.1f} s", r["tasks"]) for r in rows]
    return spec, table


def weekly(report: PeopleReport) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Annotations per ISO week (bars) and the team's gold accuracy (line, with its 95%
    interval as a vertical rule at each week), on two axes."""
    rows = [
        {
            "week": w.week,
            "annotations": w.annotations,
            "accuracy": w.gold.value,
            "low": w.gold.low,
            "high": w.gold.high,
        }
        for w in report.weeks
    ]
    week = {"field": "week", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}}
    accuracy_axis = {
        "type": "quantitative",
        "scale": {"domain": [0, 1]},
        "axis": {"format": "%", "orient": "right"},
    }
    spec = {
        **chart_base("weekly trend", 180),
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "bar", "color": MUTED, "opacity": 0.5},
                "encoding": {
                    "x": week,
                    "y": {"field": "annotations", "type": "quantitative", "title": "annotations"},
                    "tooltip": [
                        {"field": "week", "type": "ordinal"},
                        {"field": "annotations", "type": "quantitative"},
                    ],
                },
            },
            {
                "transform": [{"filter": "isValid(datum.accuracy)"}],
                "layer": [
                    {
                        "mark": {
                            "type": "rule",
                            "color": ACCENT,
                            "strokeWidth": 2,
                            "opacity": 0.4,
                            # Weeks without gold leave this layer empty; an empty mark
                            # group would be an image without a name (axe: svg-img-alt).
                            "aria": False,
                        },
                        "encoding": {
                            "x": week,
                            "y": {"field": "low", **accuracy_axis, "title": "gold accuracy"},
                            "y2": {"field": "high"},
                            "tooltip": [
                                {"field": "week", "type": "ordinal"},
                                {"field": "low", "type": "quantitative", "format": ".1%"},
                                {"field": "high", "type": "quantitative", "format": ".1%"},
                            ],
                        },
                    },
                    {
                        "mark": {
                            "type": "line",
                            "color": ACCENT,
                            "point": {"aria": False},
                            "aria": False,
                        },
                        "encoding": {
                            "x": week,
                            "y": {"field": "accuracy", **accuracy_axis, "title": "gold accuracy"},
                            "tooltip": [
                                {"field": "week", "type": "ordinal"},
                                {"field": "accuracy", "type": "quantitative", "format": ".1%"},
                                {"field": "low", "type": "quantitative", "format": ".1%"},
                                {"field": "high", "type": "quantitative", "format": ".1%"},
                            ],
                        },
                    },
                ],
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
    }
    table = [
        (
            w.week,
            w.annotations,
            f"{w.gold.successes}/{w.gold.trials}",
            _pct(w.gold.value),
            f"{_pct(w.gold.low)}–{_pct(w.gold.high)}" if w.gold.trials else "–",
        )
        for w in report.weeks
    ]
    return spec, table
