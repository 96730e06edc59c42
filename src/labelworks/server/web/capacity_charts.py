"""Vega-Lite specifications of the capacity pages' charts, each with the rows of its table:
the burn-up with the forecast cone (P10–P90 band, P50 line, the scope and the deadline),
the annotations per day the forecast resamples, and each project's pace needed, now and
as planned."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from labelworks.server.web.charts import ACCENT, MUTED, chart_base
from labelworks.services.allocation import AllocationPlan
from labelworks.services.capacity import CapacityForecast

WARN = "#b3261e"
Chart = tuple[dict[str, Any], list[str], list[list[Any]]]
# The cone is drawn with at most this many points, however far its end.
CONE_POINTS = 120
_DAY = {
    "field": "day",
    "type": "temporal",
    "title": None,
    "scale": {"type": "utc"},
    "axis": {"format": "%b %d", "formatType": "utc"},
}
_WHEN = {"field": "day", "type": "temporal", "format": "%Y-%m-%d %H:%M", "formatType": "utc"}


def _at(day: date, days: float = 0.0) -> str:
    """The moment ``days`` after the start of ``day``, UTC, as Vega reads it."""
    moment = datetime.combine(day, time()) + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def burn_up(found: CapacityForecast) -> Chart:
    """Annotations done by the end of each day, then the cone from today's total to the
    scope (done + left): the band reaches it at the P10 and P90 moments, the dashed line
    at the P50 one. Future day ``k`` is the ``k``-th day after today, so a forecast of
    ``T`` days ends ``1 + T`` days after today began."""
    history: list[dict[str, Any]] = []
    if found.days:
        history.append({"day": _at(date.fromisoformat(found.days[0][0])), "annotations": 0})
    running = 0
    for day, n in found.days:
        running += n
        history.append({"day": _at(date.fromisoformat(day), 1), "annotations": running})
    scope = found.done + found.remaining
    f = found.forecast
    cone: list[dict[str, Any]] = []
    far = 0.0
    if f is not None and found.remaining > 0:
        # A P90 without bound is drawn to three times the median.
        far = f.p90 if math.isfinite(f.p90) else 3 * f.p50 if math.isfinite(f.p50) else 0.0
    if f is not None and far > 0:
        steps = max(1, min(CONE_POINTS, int(far) + 2))
        for k in range(steps + 1):
            t = (far + 1) * k / steps
            cone.append(
                {
                    "day": _at(found.today, t),
                    "fast": _towards(found.done, scope, t, 1 + f.p10),
                    "likely": _towards(found.done, scope, t, 1 + f.p50),
                    "slow": _towards(found.done, scope, t, 1 + f.p90),
                }
            )
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": history},
            "mark": {
                "type": "area",
                # The area's tooltip names it; its outline is drawing only.
                "line": {"color": ACCENT, "aria": False},
                "color": ACCENT,
                "opacity": 0.2,
            },
            "encoding": {
                "x": _DAY,
                "y": {"field": "annotations", "type": "quantitative", "title": "annotations"},
                "tooltip": [
                    {"field": "day", "type": "temporal", "format": "%Y-%m-%d"},
                    {
                        "field": "annotations",
                        "type": "quantitative",
                        "title": "done",
                        "format": ",",
                    },
                ],
            },
        },
        _rule_y(scope, "done + left"),
    ]
    if cone:
        band = {"field": "day", "type": "temporal", "scale": {"type": "utc"}}
        layers += [
            {
                "data": {"values": cone},
                "mark": {"type": "area", "color": ACCENT, "opacity": 0.15},
                "encoding": {
                    "x": band,
                    "y": {"field": "slow", "type": "quantitative"},
                    "y2": {"field": "fast"},
                    "tooltip": [
                        _WHEN,
                        _tip("fast", "P10 pace", ",.0f"),
                        _tip("likely", "P50 pace", ",.0f"),
                        _tip("slow", "P90 pace", ",.0f"),
                    ],
                },
            },
            {
                "data": {"values": cone},
                "mark": {"type": "line", "color": ACCENT, "strokeDash": [6, 3]},
                # A tooltip also names each mark for screen readers (axe: svg-img-alt).
                "encoding": {
                    "x": band,
                    "y": {"field": "likely", "type": "quantitative"},
                    "tooltip": [_tip("likely", "P50 pace", ",.0f")],
                },
            },
        ]  # fmt: skip
    if found.deadline is not None:
        layers.append(_rule_x(found.deadline.day, "deadline (the end of that day)"))
    spec = {**chart_base("burn-up and forecast", 240), "layer": [_named(x) for x in layers]}
    rows = [[_shown(r["day"]), r["annotations"], "", "", ""] for r in history]
    rows += [
        [_shown(c["day"]), "", round(c["fast"]), round(c["likely"]), round(c["slow"])] for c in cone
    ]
    return spec, ["UTC", "done", "P10 pace", "P50 pace", "P90 pace"], rows


def _named(layer: dict[str, Any]) -> dict[str, Any]:
    """An empty layer's marks out of the accessibility tree: an empty mark group would be
    an image without a name (axe: svg-img-alt). The chart's box is named by its caption."""
    if layer.get("data", {}).get("values") != []:
        return layer
    mark = layer["mark"] if isinstance(layer["mark"], dict) else {"type": layer["mark"]}
    return {**layer, "mark": {**mark, "aria": False}}


def _shown(moment: str) -> str:
    return moment[:16].replace("T", " ")


def _tip(field: str, title: str, fmt: str) -> dict[str, Any]:
    return {"field": field, "type": "quantitative", "title": title, "format": fmt}


def _towards(start: float, end: float, t: float, days: float) -> float:
    """The total on day ``t`` of a straight line from ``start`` today to ``end`` on day
    ``days`` (at ``end`` from then on)."""
    if days <= 0 or t >= days:
        return end
    if days == float("inf"):
        return start
    return start + (end - start) * t / days


def _rule_y(value: float, title: str) -> dict[str, Any]:
    return {
        "data": {"values": [{"value": value}]},
        "mark": {"type": "rule", "color": MUTED, "strokeDash": [4, 4]},
        "encoding": {
            "y": {"field": "value", "type": "quantitative"},
            "tooltip": [_tip("value", title, ",.0f")],
        },
    }  # fmt: skip


def _rule_x(day: date, title: str) -> dict[str, Any]:
    return {
        "data": {"values": [{"day": _at(day, 1), "date": day.isoformat()}]},
        "mark": {"type": "rule", "color": WARN, "strokeDash": [5, 4], "strokeWidth": 2},
        "encoding": {
            "x": {"field": "day", "type": "temporal", "scale": {"type": "utc"}},
            "tooltip": [{"field": "date", "type": "nominal", "title": title}],
        },
    }  # fmt: skip


def throughput(found: CapacityForecast) -> Chart:
    """Annotations per day of the history (the days the forecast draws from), with their
    mean as a rule."""
    rows = [{"day": d, "annotations": n} for d, n in found.days]
    mean = sum(n for _, n in found.days) / len(found.days) if found.days else 0.0
    spec = {
        **chart_base("annotations per day", 160),
        "layer": [
            {
                "data": {"values": rows},
                "mark": {"type": "bar", "color": ACCENT, "width": {"band": 0.8}},
                "encoding": {
                    "x": {**_DAY, "timeUnit": "utcyearmonthdate"},
                    "y": {"field": "annotations", "type": "quantitative", "title": "per day"},
                    "tooltip": [
                        {**_WHEN, "format": "%Y-%m-%d", "timeUnit": "utcyearmonthdate"},
                        {"field": "annotations", "type": "quantitative", "format": ","},
                    ],
                },
            },
            _rule_y(mean, "mean per day"),
        ],
    }
    return spec, ["day", "annotations"], [[r["day"], r["annotations"]] for r in rows]


def paces(plan: AllocationPlan) -> Chart:
    """Per project, annotations a day: needed for its deadline, now, and as planned."""
    rows = []
    for p in plan.projects:
        for what, value in (("needed", p.need), ("now", p.current), ("planned", p.planned)):
            if value is not None:
                rows.append({"project": p.project, "pace": what, "per day": round(value, 2)})
    spec = {
        **chart_base("annotations a day by project", 60 + 28 * len(plan.projects)),
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "project", "type": "nominal", "title": None},
            "yOffset": {"field": "pace", "sort": ["needed", "now", "planned"]},
            "x": {"field": "per day", "type": "quantitative", "title": "annotations a day"},
            "color": {
                "field": "pace",
                "type": "nominal",
                "title": None,
                "sort": ["needed", "now", "planned"],
                "scale": {"range": [WARN, MUTED, ACCENT]},
                "legend": {"orient": "bottom"},
            },
            "tooltip": [
                {"field": "project", "type": "nominal"},
                {"field": "pace", "type": "nominal"},
                {"field": "per day", "type": "quantitative", "format": ",.2f"},
            ],
        },
    }
    return (
        spec,
        ["project", "pace", "per day"],
        [[r["project"], r["pace"], r["per day"]] for r in rows],
    )
