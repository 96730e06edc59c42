"""Vega-Lite charts of the Evaluation pages: per-class precision, recall and F1 with their
intervals, the confusion matrix, the reliability diagram, and differences by slice."""

from __future__ import annotations

from typing import Any

from labelworks.server.web.charts import MUTED, chart_base

BLUE = "#3f74dd"
AMBER = "#c77700"
GREEN = "#2e9d5b"
RED = "#d0473d"
MEASURES = ("precision", "recall", "F1")
PCT = {"format": "%", "tickCount": 5}


def win_matrix(models: list[str], rates: list[list[float | None]]) -> dict[str, Any]:
    """Row model's share of its battles won against the column model (ties half); blank
    where the two never met."""
    rows = [
        {"model": a, "against": b, "share": rates[i][j]}
        for i, a in enumerate(models)
        for j, b in enumerate(models)
        if rates[i][j] is not None
    ]
    axis = {"labelAngle": 0, "labelLimit": 120}
    return {
        **chart_base("win rates", max(160, 34 * len(models))),
        "data": {"values": rows},
        "encoding": {
            "x": {
                "field": "against",
                "type": "nominal",
                "sort": models,
                "title": "against",
                "axis": {**axis, "orient": "top"},
            },
            "y": {"field": "model", "type": "nominal", "sort": models, "title": None, "axis": axis},
        },
        "layer": [
            {
                "mark": {"type": "rect"},
                "encoding": {
                    "color": {
                        "field": "share",
                        "type": "quantitative",
                        "scale": {"domain": [0, 1], "scheme": "redblue"},
                        "legend": {"title": "won", "format": "%"},
                    },
                    "tooltip": [
                        {"field": "model", "type": "nominal"},
                        {"field": "against", "type": "nominal"},
                        {"field": "share", "type": "quantitative", "format": ".0%", "title": "won"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {
                    "text": {"field": "share", "type": "quantitative", "format": ".0%"},
                    "color": {
                        "condition": {
                            "test": "datum.share > 0.8 || datum.share < 0.2",
                            "value": "white",
                        },
                        "value": "#222",
                    },
                },
            },
        ],
    }


def class_bars(classes: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision, recall and F1 per class, side by side, with 95% error bars."""
    rows = []
    for c in classes:
        for measure, key in zip(MEASURES, ("precision", "recall", "f1"), strict=True):
            est = c[key]
            if est["value"] is None:
                continue
            rows.append(
                {
                    "label": str(c["label"]),
                    "measure": measure,
                    "value": est["value"],
                    "low": est["low"] if est["low"] is not None else est["value"],
                    "high": est["high"] if est["high"] is not None else est["value"],
                    "support": c["support"],
                }
            )
    x = {"field": "label", "type": "nominal", "title": None, "sort": None,
         "axis": {"labelAngle": 0, "labelLimit": 120}}  # fmt: skip
    offset = {"field": "measure", "type": "nominal", "sort": list(MEASURES)}
    colour = {
        "field": "measure",
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(MEASURES), "range": [BLUE, AMBER, GREEN]},
        "legend": {"orient": "top"},
    }
    y = {"type": "quantitative", "scale": {"domain": [0, 1]}, "title": None, "axis": PCT}
    tooltip = [
        {"field": "label", "type": "nominal"},
        {"field": "measure", "type": "nominal"},
        {"field": "value", "type": "quantitative", "format": ".1%"},
        {"field": "low", "type": "quantitative", "format": ".1%", "title": "95% from"},
        {"field": "high", "type": "quantitative", "format": ".1%", "title": "95% to"},
        {"field": "support", "type": "quantitative", "format": ",d"},
    ]
    return {
        **chart_base("precision, recall and F1 per class", 220),
        "data": {"values": rows},
        "encoding": {"x": x, "xOffset": offset},
        "layer": [
            {
                "mark": {"type": "bar", "opacity": 0.85},
                "encoding": {"y": {**y, "field": "value"}, "color": colour, "tooltip": tooltip},
            },
            {
                "mark": {"type": "errorbar", "ticks": True, "color": "#444"},
                "encoding": {"y": {**y, "field": "low"}, "y2": {"field": "high"}},
            },
        ],
    }


def confusion_matrix(labels: list[str], confusion: list[list[int]]) -> dict[str, Any]:
    """Reference label (rows) against predicted label (columns); each cell's share of its
    row colours it, so a rare class's mistakes show as plainly as a common one's."""
    cells = [
        (truth, guess, confusion[i][j])
        for i, truth in enumerate(labels)
        for j, guess in enumerate(labels)
    ]
    return row_share_heatmap(
        "confusion matrix",
        max(160, 36 * len(labels)),
        cells,
        labels,
        row=("reference", None),
        column=("predicted", None),
    )


def row_share_heatmap(
    title: str,
    height: int,
    cells: list[tuple[str, str, int]],
    order: list[str],
    *,
    row: tuple[str, str | None],
    column: tuple[str, str | None],
    count_title: str | None = None,
    share_format: str = ".1%",
    font_size: int = 11,
) -> dict[str, Any]:
    """A heatmap of (row, column, count) cells in ``order`` on both axes, each cell coloured
    by its share of its row and labelled with its count. ``row`` and ``column`` are each
    (field name, axis title or None)."""
    totals: dict[str, int] = {}
    for r, _, n in cells:
        totals[r] = totals.get(r, 0) + n
    (row_field, row_title), (column_field, column_title) = row, column
    values = [
        {row_field: r, column_field: c, "count": n, "share": n / totals[r] if totals[r] else 0.0}
        for r, c, n in cells
    ]
    axis = {"labelAngle": 0, "labelLimit": 120}

    def titled(entry: dict[str, Any], text: str | None) -> dict[str, Any]:
        return entry if text is None else {**entry, "title": text}

    count_tip = titled({"field": "count", "type": "quantitative", "format": ",d"}, count_title)
    return {
        **chart_base(title, height),
        "data": {"values": values},
        "encoding": {
            "x": titled(
                {
                    "field": column_field,
                    "type": "nominal",
                    "sort": order,
                    "axis": {**axis, "orient": "top"},
                },
                column_title,
            ),
            "y": titled(
                {"field": row_field, "type": "nominal", "sort": order, "axis": axis}, row_title
            ),
        },
        "layer": [
            {
                "mark": {"type": "rect"},
                "encoding": {
                    "color": {
                        "field": "share",
                        "type": "quantitative",
                        "scale": {"domain": [0, 1], "scheme": "blues"},
                        "legend": {"title": "share of row", "format": "%"},
                    },
                    "tooltip": [
                        titled({"field": row_field, "type": "nominal"}, row_title),
                        titled({"field": column_field, "type": "nominal"}, column_title),
                        count_tip,
                        {"field": "share", "type": "quantitative", "format": share_format},
                    ],
                },
            },
            {
                "mark": {"type": "text", "fontSize": font_size},
                "encoding": {
                    "text": {"field": "count", "type": "quantitative", "format": ",d"},
                    "color": {
                        "condition": {"test": "datum.share > 0.5", "value": "white"},
                        "value": "#222",
                    },
                },
            },
        ],
    }


def reliability(bins: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy against the model's stated confidence per bin; on the diagonal a model
    is as sure as it is right. Point size: items in the bin."""
    rows = [
        {
            "confidence": b["confidence"],
            "accuracy": b["accuracy"],
            "count": b["count"],
            "bin": f"{b['lower']:.0%}–{b['upper']:.0%}",
        }
        for b in bins
        if b["count"] and b["confidence"] is not None
    ]
    axis = {"type": "quantitative", "scale": {"domain": [0, 1]}, "axis": PCT}
    return {
        **chart_base("reliability diagram", 240),
        "layer": [
            {
                "data": {"values": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]},
                "mark": {"type": "line", "color": MUTED, "strokeDash": [4, 4]},
                "encoding": {
                    "x": {**axis, "field": "x", "title": "confidence"},
                    "y": {**axis, "field": "y", "title": "accuracy"},
                },
            },
            {
                "data": {"values": rows},
                "mark": {"type": "line", "color": BLUE},
                "encoding": {
                    "x": {**axis, "field": "confidence", "title": "confidence"},
                    "y": {**axis, "field": "accuracy", "title": "accuracy"},
                },
            },
            {
                "data": {"values": rows},
                "mark": {"type": "circle", "color": BLUE, "opacity": 0.85},
                "encoding": {
                    "x": {**axis, "field": "confidence", "title": "confidence"},
                    "y": {**axis, "field": "accuracy", "title": "accuracy"},
                    "size": {
                        "field": "count",
                        "type": "quantitative",
                        "scale": {"range": [30, 400]},
                        "legend": {"title": "items", "orient": "bottom-right"},
                    },
                    "tooltip": [
                        {"field": "bin", "type": "nominal"},
                        {"field": "confidence", "type": "quantitative", "format": ".1%"},
                        {"field": "accuracy", "type": "quantitative", "format": ".1%"},
                        {
                            "field": "count",
                            "type": "quantitative",
                            "format": ",d",
                            "title": "items",
                        },
                    ],
                },
            },
        ],
    }


def slice_estimates(
    rows: list[dict[str, Any]], title: str, *, signed: bool, number: str | None = None
) -> dict[str, Any]:
    """One estimate per slice with its 95% interval (``rows``: value, items, estimate,
    low, high, flagged); ``signed`` draws the zero line of a difference. ``number``: a d3
    format for estimates that are not shares (ratings ``",.0f"``, means ``".2f"``)."""
    domain = None if signed or number else [0, 1]
    shown = number or ("+%" if signed else "%")
    x = {"type": "quantitative", "title": None,
         "axis": {"format": shown, "tickCount": 6},
         **({"scale": {"domain": domain}} if domain else {"scale": {"zero": False}})}  # fmt: skip
    y = {"field": "value", "type": "nominal", "title": None, "sort": None,
         "axis": {"labelLimit": 160}}  # fmt: skip
    colour = {
        "condition": {"test": "datum.flagged", "value": RED},
        "value": BLUE,
    }
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "rule", "strokeWidth": 2},
            "encoding": {
                "y": y,
                "x": {**x, "field": "low"},
                "x2": {"field": "high"},
                "color": colour,
            },
        },
        {
            "mark": {"type": "point", "filled": True, "size": 60},
            "encoding": {
                "y": y,
                "x": {**x, "field": "estimate"},
                "color": colour,
                "tooltip": [
                    {"field": "value", "type": "nominal", "title": "slice"},
                    {"field": "items", "type": "quantitative", "format": ",d"},
                    {"field": "estimate", "type": "quantitative", "format": number or ".1%"},
                    {
                        "field": "low",
                        "type": "quantitative",
                        "format": number or ".1%",
                        "title": "95% from",
                    },
                    {
                        "field": "high",
                        "type": "quantitative",
                        "format": number or ".1%",
                        "title": "95% to",
                    },
                ],
            },
        },
    ]
    if signed:
        layers.insert(
            0,
            {
                "data": {"values": [{"zero": 0}]},
                "mark": {"type": "rule", "color": MUTED, "strokeDash": [4, 4]},
                "encoding": {"x": {"field": "zero", "type": "quantitative"}},
            },
        )
    return {
        **chart_base(title, max(120, 26 * len(rows))),
        "data": {"values": rows},
        "layer": layers,
    }
