"""The stakeholder report's renderers on a hand-made report: the forecast cone's points,
Markdown's sections, HTML that escapes every user text (also inside the SVG charts) and
carries no script, and a quality drop raised as a risk only when the intervals part."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from labelworks.domain.period import iso_week
from labelworks.formats.report_charts import chart_specs, forecast_cone, to_svg
from labelworks.formats.stakeholder_report import to_html, to_markdown
from labelworks.services.stakeholder_report import StakeholderReport, _risks, share_dict
from labelworks.stats.vendor_billing import Proportion

HOSTILE = "<img src=x onerror=alert(1)>"


def _report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "project": "reviews",
        "description": f"reviews {HOSTILE}",
        "period": {"week": "2026-W11", "start": "2026-03-09", "end": "2026-03-15"},
        "generated_at": "2026-03-11T12:00:00Z",
        "progress": {
            "items": 100,
            "complete": 40,
            "completion": 0.4,
            "annotations": 90,
            "period_annotations": 30,
            "previous_annotations": 20,
            "per_day": [{"day": "2026-03-10", "annotations": 30}],
            "by_vendor": [{"vendor": HOSTILE, "annotations": 30}],
        },
        "forecast": {
            "remaining": 110.0,
            "p10": "2026-03-13",
            "p50": "2026-03-16",
            "p90": "2026-03-21",
            "history": [
                {"day": "2026-03-10", "annotations": 30},
                {"day": "2026-03-11", "annotations": 0},
            ],
            "done": 90,
            "deadline": None,
            "cost": None,
            "notes": [],
        },
        "quality": {
            "gold": share_dict(Proportion(8, 10)),
            "gold_previous": share_dict(Proportion(9, 10)),
            "gold_weeks": [{"week": "2026-W11", **share_dict(Proportion(8, 10))}],
            "alpha": {"field": "sentiment", "items": 12, "value": 0.71, "low": 0.6, "high": 0.8},
        },
        "vendors": [],
        "risks": [{"kind": "sla", "text": HOSTILE}],
    }
    report.update(changes)
    return report


def test_the_cone_runs_from_today_to_the_p10_and_p90_dates() -> None:
    """From 90 done on the 11th the band's low edge reaches 90 + 110 x 2/10 on the P10 day
    (the slow path's share of the way) and both edges meet the total of 200 on the P90 day."""
    spec = forecast_cone(_report())
    assert spec is not None
    cone, done, median = (layer["data"]["values"] for layer in spec["layer"][:3])
    assert (cone, done, median) == (
        [
            {"day": "2026-03-11", "low": 90.0, "high": 90.0},
            {"day": "2026-03-13", "low": 90.0 + 110.0 * 2 / 10, "high": 200.0},
            {"day": "2026-03-21", "low": 200.0, "high": 200.0},
        ],
        [
            {"day": "2026-03-10", "done": 90, "series": "done"},
            {"day": "2026-03-11", "done": 90, "series": "done"},
        ],
        [
            {"day": "2026-03-11", "done": 90.0, "series": "P50 forecast"},
            {"day": "2026-03-16", "done": 200.0, "series": "P50 forecast"},
        ],
    )


def test_markdown_and_html_escape_user_text_and_carry_no_script() -> None:
    """The headline and quality lines read as figures with intervals; the hostile vendor
    name and description never appear unescaped, in the text or in the charts."""
    report = _report()
    markdown = to_markdown(report)
    html = to_html(report, {n: to_svg(s) for n, s in chart_specs(report).items()})
    assert (
        [line for line in markdown.splitlines() if line.startswith("- **")][:2],
        "- Gold accuracy this week: 80.0% (95% CI 49.0%–94.3%, n = 10)" in markdown,
        "Krippendorff's alpha this week: 0.71 (95% CI 0.60–0.80) on sentiment" in markdown,
        HOSTILE in html,
        "&lt;img src=x onerror=alert(1)&gt;" in html,
        "<script" in html,
        html.count("<svg"),
    ) == (
        ["- **40.0%** complete: 40 of 100 items", "- **30** annotations this week (20 last week)"],
        True,
        True,
        False,
        True,
        False,
        3,
    )


def test_a_quality_drop_is_a_risk_only_when_the_intervals_part() -> None:
    """95 of 100 last week against 60 of 100 this week is a drop; 9 of 10 against 8 of 10
    is noise."""

    def risks(now: Proportion, before: Proportion) -> list[str]:
        quality = {"gold": share_dict(now), "gold_previous": share_dict(before)}
        found = StakeholderReport(
            "reviews", "", iso_week("2026-W11"), datetime(2026, 3, 11), {}, None, quality, []
        )
        return [r.text for r in _risks(found)]

    assert (
        risks(Proportion(60, 100), Proportion(95, 100)),
        risks(Proportion(8, 10), Proportion(9, 10)),
    ) == (
        [
            "Gold accuracy fell from 95% (89%–98%) last week to 60% (50%–69%) this week; the "
            "intervals do not overlap."
        ],
        [],
    )
