"""The Agreement page's own Vega-Lite charts (the shared frame, the per-label bars and the
kappa heatmap are ``charts``): the confusion matrix between labels, each annotator's kappa
with the rest and its interval, and the pairwise F1 of a structured field. Each chart's
numbers are also in the table beside it (``project_nav.html``'s ``chart`` macro)."""

from __future__ import annotations

from typing import Any

from labelworks.server.web.charts import ACCENT, chart_base
from labelworks.services.disagreement import AnnotatorAgreement, Confusion

STEP = 26


def _cells(
    title: str,
    rows: list[dict[str, Any]],
    order: list[str],
    x: tuple[str, str | None],
    y: tuple[str, str | None],
    value: tuple[str, str],
    domain: list[float],
    tooltip: list[dict[str, Any]],
) -> dict[str, Any]:
    """A square heatmap of ``rows`` over ``order`` × ``order`` with each cell's value
    written in it (white on the dark end of the scale)."""
    field, legend = value
    axis = {"field": x[0], "type": "nominal", "sort": order, "title": x[1]}
    encoding = {
        "x": {**axis, "axis": {"labelAngle": -40, "labelLimit": 140}},
        "y": {"field": y[0], "type": "nominal", "sort": order, "title": y[1]},
    }
    rect = {
        "mark": {"type": "rect"},
        "encoding": {
            "color": {
                "field": field,
                "type": "quantitative",
                "title": legend,
                "scale": {"domain": domain, "scheme": "blues"},
            },
            "tooltip": tooltip,
        },
    }
    middle = (domain[0] + domain[1]) / 2
    text = {
        "mark": {"type": "text", "fontSize": 10},
        "encoding": {
            "text": {"field": field, "type": "quantitative", "format": ".2f"},
            "color": {
                "condition": {"test": f"datum['{field}'] > {middle}", "value": "#ffffff"},
                "value": "#1d2733",
            },
        },
    }
    return {
        **chart_base(title),
        "height": {"step": STEP},
        "width": {"step": STEP + 8},
        "autosize": {"type": "pad"},
        "data": {"values": rows},
        "encoding": encoding,
        "layer": [rect, text],
    }


def confusion_heatmap(field: str, confusion: Confusion) -> dict[str, Any]:
    """Given one annotator said the row's label, the share of the others on the same item
    who said the column's (each row sums to 1; the diagonal is agreement)."""
    names = [str(label) for label in confusion.labels]
    rows = [
        {"said": names[i], "other": names[j], "share": share, "count": confusion.counts[i][j]}
        for i, row in enumerate(confusion.rates)
        for j, share in enumerate(row)
        if share is not None
    ]
    return _cells(
        f"labels confused on {field}",
        rows,
        names,
        ("other", "another annotator said"),
        ("said", "one annotator said"),
        ("share", "share"),
        [0, 1],
        [
            {"field": "said", "type": "nominal", "title": "one said"},
            {"field": "other", "type": "nominal", "title": "another said"},
            {"field": "share", "type": "quantitative", "format": ".1%"},
            {"field": "count", "type": "quantitative", "title": "label pairs"},
        ],
    )


def f1_heatmap(
    field: str, annotators: list[str], f1: list[list[float | None]], shared: list[list[int]]
) -> dict[str, Any]:
    """Pairwise F1 of every two annotators of a spans, boxes or segments field."""
    rows = [
        {"a": a, "b": b, "f1": f1[i][j], "shared": shared[i][j]}
        for i, a in enumerate(annotators)
        for j, b in enumerate(annotators)
        if i != j and f1[i][j] is not None
    ]
    return _cells(
        f"annotator by annotator F1 on {field}",
        rows,
        annotators,
        ("b", None),
        ("a", None),
        ("f1", "F1"),
        [0, 1],
        [
            {"field": "a", "type": "nominal", "title": "annotator"},
            {"field": "b", "type": "nominal", "title": "with"},
            {"field": "f1", "type": "quantitative", "format": ".2f", "title": "F1"},
            {"field": "shared", "type": "quantitative", "title": "items both annotated"},
        ],
    )


def with_rest(field: str, found: list[AnnotatorAgreement]) -> dict[str, Any]:
    """Each annotator's Cohen's kappa with the others: a dot and its 95% interval, lowest
    first."""
    rows = [
        {
            "annotator": a.annotator,
            "kappa": a.kappa.value,
            "low": a.kappa.low,
            "high": a.kappa.high,
            "pairs": a.pairs,
        }
        for a in found
        if a.kappa.value is not None
    ]
    order = [r["annotator"] for r in rows]
    y = {"field": "annotator", "type": "nominal", "sort": order, "title": None}
    x = {
        "field": "low",
        "type": "quantitative",
        "title": "Cohen's κ with the others (95% interval)",
        "scale": {"domain": [-0.2, 1]},
    }
    tooltip = [
        {"field": "annotator", "type": "nominal"},
        {"field": "kappa", "type": "quantitative", "format": ".2f", "title": "κ"},
        {"field": "low", "type": "quantitative", "format": ".2f"},
        {"field": "high", "type": "quantitative", "format": ".2f"},
        {"field": "pairs", "type": "quantitative", "title": "label pairs"},
    ]
    return {
        **chart_base(f"each annotator against the rest on {field}"),
        "height": {"step": 22},
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "rule", "color": ACCENT, "strokeWidth": 2},
                "encoding": {"x": x, "x2": {"field": "high"}, "tooltip": tooltip},
            },
            {
                "mark": {"type": "point", "filled": True, "color": ACCENT, "size": 60},
                "encoding": {"x": {**x, "field": "kappa"}, "tooltip": tooltip},
            },
        ],
    }
