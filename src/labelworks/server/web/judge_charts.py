"""Vega-Lite charts of a judge's calibration page: the people's and the judge's leaderboards
side by side (a rating campaign: their mean scores of each model), the people's consensus
against the judge's verdict, and agreement per category. Each is drawn beside a table of
its numbers (``project_nav.chart``)."""

from __future__ import annotations

from typing import Any

from labelworks.server.web.charts import chart_base
from labelworks.server.web.evaluation_charts import AMBER, BLUE, row_share_heatmap, slice_estimates

PEOPLE = "people"
JUDGE = "judge"
# Rows and columns of the confusion matrix, in the order people read a comparison.
OUTCOMES = ("left wins", "right wins", "tie")
OUTCOME_OF = {"a": OUTCOMES[0], "b": OUTCOMES[1], "tie": OUTCOMES[2]}


def boards(people: list[dict[str, Any]], judge: list[dict[str, Any]]) -> dict[str, Any]:
    """Each model's rating with its 95% interval by the people's votes and by the judge's
    verdicts, one line above the other, in the people's order (best first): where the
    judge's point leaves the people's interval, it ranks that model differently."""
    order = [m["model"] for m in people]
    order += [m["model"] for m in judge if m["model"] not in order]
    rows = [
        {"model": m["model"], "by": who, "rating": m["rating"], "low": m["low"],
         "high": m["high"], "rank": m["rank"], "battles": m["battles"]}
        for who, board in ((PEOPLE, people), (JUDGE, judge))
        for m in board
    ]  # fmt: skip
    x = {"type": "quantitative", "title": "rating (Elo scale)", "scale": {"zero": False},
         "axis": {"format": ",.0f", "tickCount": 6}}  # fmt: skip
    tooltip = [
        {"field": "model", "type": "nominal"},
        {"field": "by", "type": "nominal", "title": "rated by"},
        {"field": "rating", "type": "quantitative", "format": ",.0f"},
        {"field": "low", "type": "quantitative", "format": ",.0f", "title": "95% from"},
        {"field": "high", "type": "quantitative", "format": ",.0f", "title": "95% to"},
        {"field": "rank", "type": "quantitative"},
        {"field": "battles", "type": "quantitative", "format": ",d"},
    ]
    title = "the people's and the judge's ratings"
    return _side_by_side(title, rows, order, "rating", x, tooltip)


def model_means(models: list[dict[str, Any]], low: int, high: int) -> dict[str, Any]:
    """A rating campaign's counterpart of :func:`boards`: each model's mean score on the
    scale ``low..high`` by the people and by the judge with its 95% interval, in the
    people's order (best first). A judge whose point sits right of the people's interval
    is more lenient with that model."""
    order = [m["model"] for m in models]
    rows = [
        {"model": m["model"], "by": who, "mean": e["value"], "low": e["low"],
         "high": e["high"], "outputs": e["n"]}
        for m in models
        for who, e in ((PEOPLE, m["human"]), (JUDGE, m["judge"]))
        if e is not None
    ]  # fmt: skip
    x = {"type": "quantitative", "title": f"mean score ({low} to {high})",
         "scale": {"domain": [low, high]},
         "axis": {"format": "~f", "tickCount": min(high - low + 1, 11)}}  # fmt: skip
    tooltip = [
        {"field": "model", "type": "nominal"},
        {"field": "by", "type": "nominal", "title": "scored by"},
        {"field": "mean", "type": "quantitative", "format": ".2f"},
        {"field": "low", "type": "quantitative", "format": ".2f", "title": "95% from"},
        {"field": "high", "type": "quantitative", "format": ".2f", "title": "95% to"},
        {"field": "outputs", "type": "quantitative", "format": ",d"},
    ]
    return _side_by_side("the people's and the judge's mean scores", rows, order, "mean", x,
                         tooltip)  # fmt: skip


def _side_by_side(
    title: str,
    rows: list[dict[str, Any]],
    order: list[str],
    value: str,
    x: dict[str, Any],
    tooltip: list[dict[str, Any]],
) -> dict[str, Any]:
    """One line per model and side (``by``: people, then the judge): a rule from ``low``
    to ``high`` and a point at ``value``, people blue circles, the judge amber diamonds."""
    y = {"field": "model", "type": "nominal", "sort": order, "title": None,
         "axis": {"labelLimit": 160}}  # fmt: skip
    offset = {"field": "by", "type": "nominal", "sort": [PEOPLE, JUDGE]}
    colour = {
        "field": "by",
        "type": "nominal",
        "title": None,
        "scale": {"domain": [PEOPLE, JUDGE], "range": [BLUE, AMBER]},
        "legend": {"orient": "top"},
    }
    return {
        **chart_base(title, max(140, 48 * len(order))),
        "data": {"values": rows},
        "encoding": {"y": y, "yOffset": offset, "color": colour},
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {"x": {**x, "field": "low"}, "x2": {"field": "high"}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 70},
                "encoding": {
                    "x": {**x, "field": value},
                    # The colour's legend: one legend, people a blue circle, the judge an
                    # amber diamond (a legend of None here conflicts with the colour's).
                    "shape": {
                        "field": "by",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": [PEOPLE, JUDGE], "range": ["circle", "diamond"]},
                        "legend": {"orient": "top"},
                    },
                    "tooltip": tooltip,
                },
            },
        ],
    }


def confusion(counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The people's consensus (rows) against the judge's verdict (columns), each cell's
    share of its row colouring it: the diagonal is where they agree."""
    cells = [
        (outcome, said, counts.get(human, {}).get(verdict, 0))
        for human, outcome in OUTCOME_OF.items()
        for verdict, said in OUTCOME_OF.items()
    ]
    return row_share_heatmap(
        "people's consensus against the judge's verdict",
        150,
        cells,
        list(OUTCOMES),
        row=("people", "people say"),
        column=("judge", "the judge says"),
        count_title="items",
        share_format=".0%",
        font_size=12,
    )


def per_category(by_category: dict[str, Any], share: str, title: str) -> dict[str, Any] | None:
    """Each category's agreement (its ``share``: ``percent`` pairwise, ``exact`` on a
    rating campaign) with its 95% interval; None when no category has one."""
    rows = [
        {
            "value": value,
            "items": found["items"],
            "estimate": found[share]["value"],
            "low": found[share]["low"],
            "high": found[share]["high"],
            "flagged": False,
        }
        for value, found in by_category.items()
        if found[share] is not None
    ]
    return slice_estimates(rows, title, signed=False) if rows else None
