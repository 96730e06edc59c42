"""Vega-Lite specifications of the vendor pages' charts, each with the rows of its table:
weekly volume stacked by vendor, and per vendor its weekly volume against the weekly
target, gold accuracy with its 95% band against the quality floor, and each turnaround at
the SLA's percentile against its target."""

from __future__ import annotations

from typing import Any

from labelworks.server.web.charts import ACCENT, chart_base
from labelworks.services.vendor_usage import Scorecard, Scorecards

WARN = "#b3261e"
Chart = tuple[dict[str, Any], list[str], list[list[Any]]]
_WEEK = {"field": "week", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}}


def _rule(value: float, title: str, fmt: str) -> dict[str, Any]:
    """A dashed horizontal line at a target."""
    return {
        "data": {"values": [{"target": value}]},
        "mark": {"type": "rule", "color": WARN, "strokeDash": [5, 4]},
        "encoding": {
            "y": {"field": "target", "type": "quantitative"},
            "tooltip": [{"field": "target", "type": "quantitative", "title": title, "format": fmt}],
        },
    }


def stacked_volume(found: Scorecards) -> Chart:
    """Annotations delivered per ISO week, each bar split by vendor."""
    rows = [{"week": w, "vendor": v, "delivered": n} for w, v, n in sorted(found.weekly)]
    spec = {
        **chart_base("annotations delivered per week, by vendor", 200),
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "x": _WEEK,
            "y": {
                "field": "delivered",
                "type": "quantitative",
                "title": "delivered",
                "stack": "zero",
                "axis": {"format": "d", "tickMinStep": 1},
            },
            "color": {"field": "vendor", "type": "nominal", "title": None,
                      "legend": {"orient": "bottom"}},
            "tooltip": [
                {"field": "week", "type": "ordinal"},
                {"field": "vendor", "type": "nominal"},
                {"field": "delivered", "type": "quantitative", "format": ","},
            ],
        },
    }  # fmt: skip
    table = [[r["week"], r["vendor"], r["delivered"]] for r in rows]
    return spec, ["week", "vendor", "delivered"], table


def volume(card: Scorecard) -> Chart:
    """The vendor's annotations delivered per week, against the weekly volume agreed."""
    rows = [{"week": w.week, "delivered": w.delivered} for w in card.weeks]
    bars = {
        "mark": {"type": "bar", "color": ACCENT},
        "encoding": {
            "x": _WEEK,
            "y": {"field": "delivered", "type": "quantitative", "title": "delivered",
                  "axis": {"format": "d", "tickMinStep": 1}},
            "tooltip": [
                {"field": "week", "type": "ordinal"},
                {"field": "delivered", "type": "quantitative", "format": ","},
            ],
        },
    }  # fmt: skip
    layers: list[dict[str, Any]] = [bars]
    target = card.terms.sla.weekly_volume if card.terms is not None else None
    if target is not None:
        layers.append(_rule(float(target), "weekly volume agreed", ","))
    spec = {**chart_base("delivered per week", 180), "data": {"values": rows}, "layer": layers}
    return spec, ["week", "delivered"], [[r["week"], r["delivered"]] for r in rows]


def quality(card: Scorecard) -> Chart:
    """Gold accuracy per week with its 95% Wilson band, against the quality floor."""
    rows = [
        {
            "week": w.week,
            "accuracy": w.accuracy.value,
            "low": w.accuracy.low,
            "high": w.accuracy.high,
            "answers": w.accuracy.n,
        }
        for w in card.weeks
        if w.accuracy.n
    ]
    y = {"field": "low", "type": "quantitative", "title": "gold accuracy",
         "scale": {"domain": [0, 1]}, "axis": {"format": "%"}}  # fmt: skip
    band = {
        "mark": {"type": "area", "color": ACCENT, "opacity": 0.18},
        "encoding": {"x": _WEEK, "y": y, "y2": {"field": "high"}},
    }
    line = {
        "mark": {"type": "line", "color": ACCENT, "point": True},
        "encoding": {
            "x": _WEEK,
            "y": {"field": "accuracy", "type": "quantitative"},
            "tooltip": [
                {"field": "week", "type": "ordinal"},
                {"field": "accuracy", "type": "quantitative", "format": ".1%"},
                {"field": "low", "type": "quantitative", "format": ".1%", "title": "95% from"},
                {"field": "high", "type": "quantitative", "format": ".1%", "title": "95% to"},
                {"field": "answers", "type": "quantitative", "title": "gold answers"},
            ],
        },
    }
    layers: list[dict[str, Any]] = [band, line]
    floor = card.terms.sla.quality_floor if card.terms is not None else None
    if floor is not None:
        layers.append(_rule(floor, "quality floor", ".0%"))
    spec = {**chart_base("gold accuracy per week", 180), "data": {"values": rows}, "layer": layers}
    table = [
        [w.week, _pct(w.accuracy.value), f"{_pct(w.accuracy.low)} – {_pct(w.accuracy.high)}",
         w.accuracy.n]
        for w in card.weeks
        if w.accuracy.n
    ]  # fmt: skip
    return spec, ["week", "accuracy", "95% interval", "gold answers"], table


def turnaround(card: Scorecard, measure: str) -> Chart:
    """Turnaround per week at the SLA's percentile against its target: ``measure`` is
    ``lease`` (lease → submit) or ``final`` (import → final label)."""
    q = card.lease.percentile
    title = "lease → submit" if measure == "lease" else "import → final label"
    rows = [
        {"week": w.week, "hours": hours}
        for w in card.weeks
        if (hours := w.lease_hours if measure == "lease" else w.final_hours) is not None
    ]
    line = {
        "mark": {"type": "line", "point": True, "color": ACCENT},
        "encoding": {
            "x": _WEEK,
            "y": {"field": "hours", "type": "quantitative", "title": f"P{q:g}, hours"},
            "tooltip": [
                {"field": "week", "type": "ordinal"},
                {"field": "hours", "type": "quantitative", "format": ".1f", "title": f"P{q:g} h"},
            ],
        },
    }
    layers: list[dict[str, Any]] = [line]
    if card.terms is not None:
        sla = card.terms.sla
        target = sla.lease_to_submit_hours if measure == "lease" else sla.import_to_final_hours
        if target is not None:
            layers.append(_rule(target, f"{title} target, h", ".1f"))
    spec = {
        **chart_base(f"{title} per week (P{q:g})", 160),
        "data": {"values": rows},
        "layer": layers,
    }
    table = [[r["week"], f"{r['hours']:.1f}"] for r in rows]
    return spec, ["week", f"P{q:g} hours"], table


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"
