"""Vega-Lite specifications of the console's charts, built here in Python and drawn in the
browser by the vendored Vega (static/js/charts.js). Every chart also gets its numbers as a
table next to it, so nothing is only in a picture.

Colours follow the stylesheet's tokens (``--accent`` for work done, ``--muted`` for scope).
"""

from __future__ import annotations

from typing import Any

from labelworks.services.activity import Activity

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
ACCENT = "#2457c5"
MUTED = "#8a96a3"
WIDTH = "container"


def chart_base(title: str, height: int = 180) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": title,
        "width": WIDTH,
        "height": height,
        "autosize": {"type": "fit", "contains": "padding"},
        "config": {"axis": {"labelFontSize": 11, "titleFontSize": 11}, "view": {"stroke": None}},
    }


def burn_up(activity: Activity) -> dict[str, Any]:
    """Annotations done so far, day by day, against the annotations the items need."""
    rows = [{"day": d.day, "done": d.cumulative} for d in activity.days]
    done = {
        "mark": {"type": "area", "line": {"color": ACCENT}, "color": ACCENT, "opacity": 0.2},
        "encoding": {
            "x": {"field": "day", "type": "temporal", "title": None, "axis": {"format": "%b %d"}},
            "y": {"field": "done", "type": "quantitative", "title": "annotations"},
            "tooltip": [
                {"field": "day", "type": "temporal", "format": "%Y-%m-%d"},
                {"field": "done", "type": "quantitative", "title": "done by then"},
            ],
        },
    }
    scope = {
        "data": {"values": [{"needed": activity.needed}]},
        "mark": {"type": "rule", "color": MUTED, "strokeDash": [4, 4]},
        "encoding": {
            "y": {"field": "needed", "type": "quantitative"},
            "tooltip": [{"field": "needed", "type": "quantitative", "title": "needed in all"}],
        },
    }
    return {**chart_base("burn-up"), "data": {"values": rows}, "layer": [done, scope]}


def throughput(activity: Activity) -> dict[str, Any]:
    """Annotations per day."""
    rows = [{"day": d.day, "annotations": d.annotations} for d in activity.days]
    return {
        **chart_base("throughput per day", 140),
        "data": {"values": rows},
        "mark": {"type": "bar", "color": ACCENT},
        "encoding": {
            "x": {
                "field": "day",
                "type": "ordinal",
                "timeUnit": "yearmonthdate",
                "title": None,
                "axis": {"format": "%d", "labelAngle": 0},
            },
            "y": {
                "field": "annotations",
                "type": "quantitative",
                "title": "per day",
                "axis": {"format": "d", "tickMinStep": 1},
            },
            "tooltip": [
                {"field": "day", "type": "temporal", "format": "%Y-%m-%d"},
                {"field": "annotations", "type": "quantitative"},
            ],
        },
    }


def throughput_by_vendor(activity: Activity) -> dict[str, Any]:
    """Annotations per day, each bar split by the annotators' vendors."""
    rows = [
        {"day": v.day, "vendor": v.vendor or "internal", "annotations": v.annotations}
        for v in activity.vendor_days
    ]
    # Days without work keep their place on the axis (as a zero bar of a vendor shown).
    worked = {v.day for v in activity.vendor_days}
    some = rows[0]["vendor"] if rows else "internal"
    rows += [
        {"day": d.day, "vendor": some, "annotations": 0}
        for d in activity.days
        if d.day not in worked
    ]
    chart = throughput(activity)
    chart["data"] = {"values": rows}
    chart["mark"] = {"type": "bar"}
    chart["encoding"]["color"] = {
        "field": "vendor",
        "type": "nominal",
        "title": None,
        "legend": {"orient": "bottom"},
    }
    chart["encoding"]["tooltip"] = [
        {"field": "day", "type": "temporal", "format": "%Y-%m-%d"},
        {"field": "vendor", "type": "nominal"},
        {"field": "annotations", "type": "quantitative"},
    ]
    return chart


def gold_quality(activity: Activity) -> dict[str, Any]:
    """Gold accuracy per ISO week, its 95% Wilson interval as a band around it."""
    rows = [
        {
            "week": w.week,
            "accuracy": w.accuracy,
            "low": w.low,
            "high": w.high,
            "answered": w.answered,
        }
        for w in activity.gold_weeks
    ]
    x = {"field": "week", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}}
    band = {
        "mark": {"type": "area", "color": ACCENT, "opacity": 0.18},
        "encoding": {
            "x": x,
            "y": {
                "field": "low",
                "type": "quantitative",
                "title": "gold accuracy",
                "scale": {"domain": [0, 1]},
                "axis": {"format": "%"},
            },
            "y2": {"field": "high"},
            "tooltip": [
                {"field": "week", "type": "ordinal"},
                {"field": "low", "type": "quantitative", "format": ".1%", "title": "95% from"},
                {"field": "high", "type": "quantitative", "format": ".1%", "title": "95% to"},
            ],
        },
    }
    line = {
        "mark": {"type": "line", "color": ACCENT, "point": True},
        "encoding": {
            "x": x,
            "y": {"field": "accuracy", "type": "quantitative"},
            "tooltip": [
                {"field": "week", "type": "ordinal"},
                {"field": "accuracy", "type": "quantitative", "format": ".1%"},
                {"field": "low", "type": "quantitative", "format": ".1%", "title": "95% from"},
                {"field": "high", "type": "quantitative", "format": ".1%", "title": "95% to"},
                {"field": "answered", "type": "quantitative", "title": "gold answers"},
            ],
        },
    }
    return {
        **chart_base("gold accuracy per week", 160),
        "data": {"values": rows},
        "layer": [band, line],
    }


def labels(activity: Activity) -> dict[str, Any]:
    """How often each label of the first categorical field was given."""
    rows = [{"label": label, "annotations": n} for label, n in activity.labels[:20]]
    return {
        **chart_base(f"labels of {activity.label_field}"),
        # A band per label, whatever the count; only the width follows the card.
        "height": {"step": 24},
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "mark": {"type": "bar", "color": ACCENT},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": "-x", "title": None},
            "x": {
                "field": "annotations",
                "type": "quantitative",
                "title": "annotations",
                "axis": {"format": "d", "tickMinStep": 1},
            },
            "tooltip": [
                {"field": "label", "type": "nominal"},
                {"field": "annotations", "type": "quantitative"},
            ],
        },
    }


def label_kappas(field: str, labels: list[tuple[Any, float | None]]) -> dict[str, Any]:
    """Fleiss' kappa of each label against the rest (how reliably that label is told
    apart)."""
    rows = [{"label": str(label), "kappa": k} for label, k in labels if k is not None]
    return {
        **chart_base(f"agreement per label of {field}"),
        "height": {"step": 24},
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "mark": {"type": "bar", "color": ACCENT},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": None, "title": None},
            "x": {
                "field": "kappa",
                "type": "quantitative",
                "title": "Fleiss' kappa, label against the rest",
                "scale": {"domain": [-0.2, 1]},
            },
            "tooltip": [
                {"field": "label", "type": "nominal"},
                {"field": "kappa", "type": "quantitative", "format": ".2f"},
            ],
        },
    }


def pair_heatmap(
    field: str, annotators: list[str], kappa: list[list[float | None]], shared: list[list[int]]
) -> dict[str, Any]:
    """Cohen's kappa of every pair of annotators on the items both rated, as a heatmap."""
    rows = [
        {"a": a, "b": b, "kappa": kappa[i][j], "shared": shared[i][j]}
        for i, a in enumerate(annotators)
        for j, b in enumerate(annotators)
        if i != j and kappa[i][j] is not None
    ]
    return {
        **chart_base(f"annotator by annotator agreement on {field}"),
        "height": {"step": 26},
        "width": {"step": 26},
        "autosize": {"type": "pad"},
        "data": {"values": rows},
        "mark": {"type": "rect"},
        "encoding": {
            "x": {
                "field": "b",
                "type": "nominal",
                "sort": annotators,
                "title": None,
                "axis": {"labelAngle": -40},
            },
            "y": {"field": "a", "type": "nominal", "sort": annotators, "title": None},
            "color": {
                "field": "kappa",
                "type": "quantitative",
                "title": "Cohen's κ",
                "scale": {"domain": [-0.2, 1], "scheme": "blues"},
            },
            "tooltip": [
                {"field": "a", "type": "nominal", "title": "annotator"},
                {"field": "b", "type": "nominal", "title": "with"},
                {"field": "kappa", "type": "quantitative", "format": ".2f"},
                {"field": "shared", "type": "quantitative", "title": "items both rated"},
            ],
        },
    }
