"""Vega-Lite charts of the coaching page: the person's weekly gold accuracy (with its 95%
band) and median seconds per item, each against the team's weekly median, and the rows of
the tables that carry the same numbers."""

from __future__ import annotations

from typing import Any

from labelworks.domain.coaching import TrendWeek
from labelworks.server.web.charts import ACCENT, MUTED, chart_base

TEAM = "team median"
ACCURACY_COLUMNS = ["week", "gold right", "accuracy", "95% interval", "team median", "people"]
SECONDS_COLUMNS = ["week", "annotations", "median s per item", "team median", "people"]


def _series(who: str) -> dict[str, Any]:
    """The person in the accent colour, solid; the team's median muted and dashed."""
    return {
        "color": {
            "field": "series",
            "type": "nominal",
            "title": None,
            "scale": {"domain": [who, TEAM], "range": [ACCENT, MUTED]},
            "legend": {"orient": "bottom"},
        },
        "strokeDash": {
            "field": "series",
            "type": "nominal",
            "scale": {"domain": [who, TEAM], "range": [[1, 0], [5, 4]]},
            "legend": None,
        },
    }


def _x(weeks: list[str]) -> dict[str, Any]:
    return {
        "field": "week",
        "type": "ordinal",
        "sort": weeks,
        "title": None,
        "scale": {"domain": weeks},
        "axis": {"labelAngle": 0},
    }


def accuracy_trend(trend: list[TrendWeek], who: str) -> dict[str, Any]:
    """``who``'s gold accuracy per ISO week (points, with the 95% Wilson interval as a
    bar) and the team's median accuracy (dashed); weeks without gold leave a gap."""
    weeks = [w.week for w in trend]
    mine = [
        {
            "week": w.week,
            "series": who,
            "value": w.accuracy,
            "low": w.low,
            "high": w.high,
            "answered": w.gold_answered,
        }
        for w in trend
        if w.accuracy is not None
    ]
    team = [
        {"week": w.week, "series": TEAM, "value": w.team_accuracy, "people": w.team_gold_people}
        for w in trend
        if w.team_accuracy is not None
    ]
    y = {
        "field": "value",
        "type": "quantitative",
        "title": "gold accuracy",
        "scale": {"domain": [0, 1]},
        "axis": {"format": "%", "tickCount": 5},
    }
    band = {
        "data": {"values": mine},
        "mark": {"type": "rule", "color": ACCENT, "strokeWidth": 3, "opacity": 0.35},
        "encoding": {
            "x": _x(weeks),
            "y": {**y, "field": "low"},
            "y2": {"field": "high"},
        },
    }
    lines = {
        "data": {"values": mine + team},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": _x(weeks),
            "y": y,
            **_series(who),
            "tooltip": [
                {"field": "week", "type": "ordinal"},
                {"field": "series", "type": "nominal", "title": "whose"},
                {"field": "value", "type": "quantitative", "format": ".0%", "title": "accuracy"},
                {"field": "low", "type": "quantitative", "format": ".0%", "title": "95% from"},
                {"field": "high", "type": "quantitative", "format": ".0%", "title": "95% to"},
            ],
        },
    }
    return {**chart_base("gold accuracy per week against the team", 200), "layer": [band, lines]}


def seconds_trend(trend: list[TrendWeek], who: str) -> dict[str, Any]:
    """``who``'s median seconds per item per ISO week against the team's median."""
    weeks = [w.week for w in trend]
    rows = [
        {"week": w.week, "series": who, "seconds": w.median_seconds, "n": w.annotations}
        for w in trend
        if w.median_seconds is not None
    ] + [
        {"week": w.week, "series": TEAM, "seconds": w.team_median_seconds}
        for w in trend
        if w.team_median_seconds is not None
    ]
    return {
        **chart_base("median seconds per item per week against the team", 200),
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": _x(weeks),
            "y": {
                "field": "seconds",
                "type": "quantitative",
                "title": "median seconds per item",
                "scale": {"zero": True},
            },
            **_series(who),
            "tooltip": [
                {"field": "week", "type": "ordinal"},
                {"field": "series", "type": "nominal", "title": "whose"},
                {"field": "seconds", "type": "quantitative", "format": ".1f", "title": "seconds"},
            ],
        },
    }


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def accuracy_rows(trend: list[TrendWeek]) -> list[tuple[Any, ...]]:
    """The accuracy chart's numbers: week, right of answered, accuracy, interval, team
    median and how many people it rests on."""
    return [
        (
            w.week,
            f"{w.gold_correct} of {w.gold_answered}" if w.gold_answered else "–",
            _pct(w.accuracy),
            "–" if w.low is None or w.high is None else f"{w.low:.0%}–{w.high:.0%}",
            _pct(w.team_accuracy),
            w.team_gold_people,
        )
        for w in trend
    ]


def seconds_rows(trend: list[TrendWeek]) -> list[tuple[Any, ...]]:
    """The seconds chart's numbers: week, annotations, median, team median, people."""
    return [
        (
            w.week,
            w.annotations,
            "–" if w.median_seconds is None else f"{w.median_seconds:.1f}",
            "–" if w.team_median_seconds is None else f"{w.team_median_seconds:.1f}",
            w.team_seconds_people,
        )
        for w in trend
    ]
