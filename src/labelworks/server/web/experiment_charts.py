"""Vega-Lite specifications of an experiment's charts: each arm's figures as a dot and its
95% interval (shares on one chart, seconds on another), and the differences between the
arms with their intervals against the zero line. Each chart's numbers go in a table beside
it (``rows_*``), so nothing is only in a picture."""

from __future__ import annotations

import math
from typing import Any

from labelworks.server.web.charts import MUTED, chart_base
from labelworks.stats.experiments import Analysis, Estimate

# The first arm in the accent's blue, the second in amber (evaluation_charts' pair).
ARM_COLOURS = ("#3f74dd", "#c77700")
SHARES = (("gold_accuracy", "gold accuracy"), ("agreement", "agreement with final label"))


def _row(figure: str, arm: str, e: Estimate, scale: float = 1.0) -> dict[str, Any] | None:
    if e.value is None:
        return None
    return {
        "figure": figure,
        "arm": arm,
        "estimate": e.value * scale,
        "low": None if e.low is None else e.low * scale,
        "high": None if e.high is None else e.high * scale,
        "answers": e.answers,
        "units": e.units,
    }


def share_rows(a: Analysis, names: tuple[str, str]) -> list[dict[str, Any]]:
    """Per figure and arm: the share and its interval (0–1)."""
    rows = []
    for metric, title in SHARES:
        for name, figures in zip(names, a.arms, strict=True):
            row = _row(title, name, figures.figure(metric))
            if row is not None:
                rows.append(row)
    return rows


def seconds_rows(a: Analysis, names: tuple[str, str]) -> list[dict[str, Any]]:
    """Per arm: the geometric mean and the median seconds per item, with intervals."""
    rows = []
    for name, figures in zip(names, a.arms, strict=True):
        e = figures.log_seconds
        if e.value is not None:
            rows.append(
                {
                    "figure": "geometric mean",
                    "arm": name,
                    "estimate": math.exp(e.value),
                    "low": None if e.low is None else math.exp(e.low),
                    "high": None if e.high is None else math.exp(e.high),
                    "answers": e.answers,
                    "units": e.units,
                }
            )
        row = _row("median", name, figures.median_seconds)
        if row is not None:
            rows.append(row)
    return rows


def difference_rows(a: Analysis) -> list[dict[str, Any]]:
    """Second arm minus first, in points of each share and in % of time per item."""
    rows = []
    for metric, title in SHARES:
        d = a.differences[metric]
        if d.value is not None:
            rows.append(
                {
                    "figure": f"{title} (points)",
                    "estimate": d.value * 100,
                    "low": None if d.low is None else d.low * 100,
                    "high": None if d.high is None else d.high * 100,
                    "p": d.p_value,
                }
            )
    d = a.differences["log_seconds"]
    if d.value is not None:

        def change(x: float | None) -> float | None:
            return None if x is None else (math.exp(x) - 1) * 100

        rows.append(
            {
                "figure": "time per item (%)",
                "estimate": change(d.value),
                "low": change(d.low),
                "high": change(d.high),
                "p": d.p_value,
            }
        )
    return rows


def _tooltip(number: str) -> list[dict[str, Any]]:
    return [
        {"field": "figure", "type": "nominal"},
        {"field": "arm", "type": "nominal"},
        {"field": "estimate", "type": "quantitative", "format": number},
        {"field": "low", "type": "quantitative", "format": number, "title": "95% from"},
        {"field": "high", "type": "quantitative", "format": number, "title": "95% to"},
        {"field": "answers", "type": "quantitative", "format": ",d"},
        {"field": "units", "type": "quantitative", "format": ",d"},
    ]


def arm_intervals(
    rows: list[dict[str, Any]], names: tuple[str, str], title: str, *, share: bool
) -> dict[str, Any]:
    """Each figure of each arm as a dot on its 95% interval, the arms side by side in
    their colours (a row per figure, an offset per arm)."""
    number = ".1%" if share else ".1f"
    x: dict[str, Any] = {
        "type": "quantitative",
        "title": None,
        "axis": {"format": "%" if share else ",.0f", "tickCount": 6},
        "scale": {"domain": [0, 1]} if share else {"zero": True},
    }
    y = {"field": "figure", "type": "nominal", "title": None, "sort": None,
         "axis": {"labelLimit": 180}}  # fmt: skip
    offset = {"field": "arm", "type": "nominal", "sort": list(names)}
    colour = {
        "field": "arm",
        "type": "nominal",
        "sort": list(names),
        "scale": {"domain": list(names), "range": list(ARM_COLOURS)},
        "legend": {"orient": "bottom", "title": None},
    }
    return {
        **chart_base(title, max(110, 56 * len({r["figure"] for r in rows}))),
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {
                    "y": y,
                    "yOffset": offset,
                    "x": {**x, "field": "low"},
                    "x2": {"field": "high"},
                    "color": colour,
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 70},
                "encoding": {
                    "y": y,
                    "yOffset": offset,
                    "x": {**x, "field": "estimate"},
                    "color": colour,
                    "tooltip": _tooltip(number),
                },
            },
        ],
    }


def differences(rows: list[dict[str, Any]], names: tuple[str, str]) -> dict[str, Any]:
    """Second arm minus first with its 95% interval, against the dashed zero line."""
    x = {"type": "quantitative", "title": f"{names[1]} − {names[0]}",
         "axis": {"tickCount": 6}, "scale": {"zero": True}}  # fmt: skip
    y = {"field": "figure", "type": "nominal", "title": None, "sort": None,
         "axis": {"labelLimit": 180}}  # fmt: skip
    tooltip = [
        {"field": "figure", "type": "nominal"},
        {"field": "estimate", "type": "quantitative", "format": "+.1f"},
        {"field": "low", "type": "quantitative", "format": "+.1f", "title": "95% from"},
        {"field": "high", "type": "quantitative", "format": "+.1f", "title": "95% to"},
        {"field": "p", "type": "quantitative", "format": ".3g", "title": "p-value"},
    ]
    return {
        **chart_base("differences between the arms", max(100, 34 * len(rows))),
        "data": {"values": rows},
        "layer": [
            {
                "data": {"values": [{"zero": 0}]},
                "mark": {"type": "rule", "color": MUTED, "strokeDash": [4, 4]},
                "encoding": {"x": {"field": "zero", "type": "quantitative"}},
            },
            {
                "mark": {"type": "rule", "strokeWidth": 2, "color": ARM_COLOURS[1]},
                "encoding": {"y": y, "x": {**x, "field": "low"}, "x2": {"field": "high"}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 70, "color": ARM_COLOURS[1]},
                "encoding": {"y": y, "x": {**x, "field": "estimate"}, "tooltip": tooltip},
            },
        ],
    }
