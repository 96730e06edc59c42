"""The stakeholder report's charts: Vega-Lite specifications built from the report's data
(``services.stakeholder_report``'s JSON shape), drawn to SVG on the server with
vl-convert, so the report is one file that needs no script and no network to show them.

vl-convert escapes the data's text (vendor names, labels) as XML, and its SVG carries no
``<style>`` element, so the pictures can sit inline in a page under a strict CSP.
"""

from __future__ import annotations

from datetime import date
from typing import Any

VEGA_LITE = "6.4"
ACCENT = "#2457c5"
MUTED = "#8a96a3"
WARN = "#b4532a"
WIDTH = 560


def _base(title: str, height: int = 180) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": title,
        "width": WIDTH,
        "height": height,
        "background": "white",
        "config": {
            "axis": {"labelFontSize": 11, "titleFontSize": 11},
            "legend": {"labelFontSize": 11},
            "view": {"stroke": None},
        },
    }


def forecast_cone(report: dict[str, Any]) -> dict[str, Any] | None:
    """Annotations done over the last four weeks, then the forecast: the band between the
    P10 and P90 completion dates, the P50 path, the total, and the deadline."""
    f = report.get("forecast")
    if not f or f.get("p50") is None:  # the P50 has a date whenever P10 has
        return None
    history = f["history"]
    done, remaining = float(f["done"]), float(f["remaining"])
    total = done + remaining
    cumulative, running = [], done - sum(d["annotations"] for d in history)
    for d in history:
        running += d["annotations"]
        cumulative.append({"day": d["day"], "done": running, "series": "done"})
    today = history[-1]["day"] if history else report["generated_at"][:10]
    start = date.fromisoformat(today)

    def span(day: str) -> float:
        return max((date.fromisoformat(day) - start).days, 1)

    # A quantile past what the simulation reached (no pace in some resampled futures) has
    # no date: the band then ends at the quantiles that have one.
    ends = [d for d in (f["p10"], f["p50"], f["p90"]) if d is not None]
    fast, slow = span(ends[0]), span(ends[-1])
    cone = [
        {"day": today, "low": done, "high": done},
        {"day": ends[0], "low": done + remaining * fast / slow, "high": total},
        {"day": ends[-1], "low": total, "high": total},
    ]
    median = [
        {"day": today, "done": done, "series": "P50 forecast"},
        {"day": f["p50"], "done": total, "series": "P50 forecast"},
    ]
    x = {"field": "day", "type": "temporal", "title": None, "axis": {"format": "%b %d"}}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": cone},
            "mark": {"type": "area", "color": ACCENT, "opacity": 0.15},
            "encoding": {
                "x": x,
                "y": {"field": "low", "type": "quantitative", "title": "annotations"},
                "y2": {"field": "high"},
            },
        },
        {
            "data": {"values": cumulative},
            "mark": {"type": "line", "color": ACCENT, "strokeWidth": 2},
            "encoding": {"x": x, "y": {"field": "done", "type": "quantitative"}},
        },
        {
            "data": {"values": median},
            "mark": {"type": "line", "color": ACCENT, "strokeDash": [6, 4]},
            "encoding": {"x": x, "y": {"field": "done", "type": "quantitative"}},
        },
        {
            "data": {"values": [{"total": total}]},
            "mark": {"type": "rule", "color": MUTED, "strokeDash": [2, 3]},
            "encoding": {"y": {"field": "total", "type": "quantitative"}},
        },
    ]
    deadline = f.get("deadline")
    if deadline:
        layers.append(
            {
                "data": {"values": [{"day": deadline["day"]}]},
                "mark": {"type": "rule", "color": WARN, "strokeWidth": 2},
                "encoding": {"x": {"field": "day", "type": "temporal"}},
            }
        )
    return {**_base("progress and forecast", 200), "layer": layers}


def week_by_vendor(report: dict[str, Any]) -> dict[str, Any] | None:
    """The week's annotations per day, and who did them (a bar per vendor)."""
    by_vendor = report["progress"]["by_vendor"]
    if not by_vendor:
        return None
    return {
        **_base("annotations this week by vendor", 24 * max(len(by_vendor), 2)),
        "data": {"values": by_vendor},
        "mark": {"type": "bar", "color": ACCENT},
        "encoding": {
            "y": {"field": "vendor", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "annotations", "type": "quantitative", "title": "annotations"},
        },
    }


def gold_trend(report: dict[str, Any]) -> dict[str, Any] | None:
    """Gold accuracy per ISO week with its 95% Wilson interval as a band."""
    weeks = report["quality"]["gold_weeks"]
    if not weeks:
        return None
    x = {"field": "week", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}}
    y = {"type": "quantitative", "scale": {"domain": [0, 1]}, "axis": {"format": "%"}}
    return {
        **_base("gold accuracy per week", 160),
        "data": {"values": weeks},
        "layer": [
            {
                "mark": {"type": "area", "color": ACCENT, "opacity": 0.18},
                "encoding": {
                    "x": x,
                    "y": {**y, "field": "low", "title": "gold accuracy"},
                    "y2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "line", "color": ACCENT, "point": True},
                "encoding": {"x": x, "y": {**y, "field": "value"}},
            },
        ],
    }


CHARTS = {
    "forecast": (forecast_cone, "Progress and forecast: done (line), P10–P90 band, P50 (dashed)"),
    "vendors": (week_by_vendor, "Annotations this week, by vendor"),
    "gold": (gold_trend, "Gold accuracy per week (band: 95% interval)"),
}


def chart_specs(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The report's charts that have data, by name."""
    found = {name: make(report) for name, (make, _) in CHARTS.items()}
    return {name: spec for name, spec in found.items() if spec is not None}


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as an SVG document (vl-convert renders Vega-Lite without a browser)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE)
    return svg
