"""A rating campaign's judge on its calibration page (``judges.calibration_page``): the
service's ``rating`` key (``services.judge_calibration.wire``) as the page reads it: the
judge's leniency in words, each model's mean scores beside the chart of them, agreement
per category, the disagreement list and its CSV (``?format=csv``). The judge's score of an
output is compared with the people's scores of the same output on the judged field."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from fastapi.responses import Response

from labelworks.domain.fields import RatingField
from labelworks.formats import escape_formula
from labelworks.server.web import judge_charts
from labelworks.server.web.quality import percent

CSV_COLUMNS = (
    "item_id", "external_id", "category", "model", "people", "people_n", "people_mean",
    "judge", "gap",
)  # fmt: skip
SCALE = (1, 5)  # RatingField's default, should the judged field have left the spec
LENIENT, STRICTER = "more lenient than the people", "stricter than the people"


def interval(estimate: dict[str, Any] | None, *, share: bool, sign: str = "") -> str:
    """``{value, low, high}`` as ``value (low–high)``: a share in percent, else with two
    decimals (``sign="+"``: signed, a difference)."""
    if estimate is None:
        return "–"
    if share:
        low, high = percent(estimate["low"], 1), percent(estimate["high"], 1)
        return f"{percent(estimate['value'], 1)} ({low}–{high})"
    value, low, high = (f"{estimate[k]:{sign}.2f}" for k in ("value", "low", "high"))
    return f"{value} ({low} to {high})"


def leniency(difference: dict[str, Any] | None) -> str:
    """How the judge's scores sit against the people's, by the interval of its mean
    difference: above zero more lenient, below stricter, else no clear lean either way."""
    if difference is None:
        return ""
    if difference["low"] > 0:
        return LENIENT
    if difference["high"] < 0:
        return STRICTER
    return "neither clearly more lenient nor stricter than the people"


def scale_of(fields: Iterable[object], name: str | None) -> tuple[int, int]:
    """The judged field's scale, ``(min, max)``."""
    for f in fields:
        if isinstance(f, RatingField) and f.name == name:
            return f.min, f.max
    return SCALE


def view(rating: dict[str, Any], scale: tuple[int, int], by: str | None) -> dict[str, Any]:
    """What the page's rating part draws from ``rating``: charts, their tables' rows and
    the disagreements with the people's scores spelled out."""
    models = rating["models"]
    drawn = [m for m in models if m["human"] is not None or m["judge"] is not None]
    words = leniency(rating["overall"]["mean_difference"])
    return {
        "rating": rating,
        "scale": scale,
        "leniency": words,
        "leans": words in (LENIENT, STRICTER),  # the figure is flagged as position bias is
        "means": judge_charts.model_means(drawn, *scale) if drawn else None,
        "mean_rows": [
            (
                m["model"],
                interval(m["human"], share=False),
                f"{m['human']['n']:,}" if m["human"] else "–",
                interval(m["judge"], share=False),
                f"{m['judge']['n']:,}" if m["judge"] else "–",
            )
            for m in models
        ],
        "category_chart": judge_charts.per_category(
            rating["by_category"], "exact", f"exact agreement per {by}"
        )
        if by
        else None,
        "category_rows": [
            (
                value,
                f"{found['items']:,}",
                interval(found["exact"], share=True),
                interval(found["within_one"], share=True),
                interval(found["mean_difference"], share=False, sign="+"),
                interval(found["kappa"], share=False),
            )
            for value, found in rating["by_category"].items()
        ],
        "disagreements": disagreement_rows(rating["disagreements"]),
    }


def disagreement_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each disagreement with the people's scores as text and their mean."""
    return [
        {
            **d,
            "people": ", ".join(str(s) for s in d["human"]),
            "mean": sum(d["human"]) / len(d["human"]) if d["human"] else None,
        }
        for d in found
    ]


def disagreements_csv(project: str, judge: str, rating: dict[str, Any]) -> Response:
    """The disagreement list for a spreadsheet: the people's scores, their count and mean,
    the judge's score and the gap between the two."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in disagreement_rows(rating["disagreements"]):
        # Item ids, categories and model names are untrusted: no cell may run as a formula.
        texts = (d["external_id"], d["category"] or "", d["model"])
        mean = "" if d["mean"] is None else f"{d['mean']:.3f}"
        writer.writerow([d["item"], *(escape_formula(str(t)) for t in texts), d["people"],
                         len(d["human"]), mean, d["judge"], f"{d['gap']:.3f}"])  # fmt: skip
    name = f"{project}-{judge}-disagreements.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
