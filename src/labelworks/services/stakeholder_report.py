"""The weekly stakeholder report of a project: progress and forecast, quality with
intervals, the vendors' scorecards, and the risks worth a stakeholder's attention (SLA
breaches, quality drops, a forecast past the deadline, a budget overrun).

The report is data (``to_dict``, the API's JSON); ``formats.stakeholder_report`` writes
it as Markdown or as one self-contained HTML file with its charts as inline SVG.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.gold import wilson_bounds
from labelworks.domain.period import Period, iso_week, week_of
from labelworks.domain.vendor_terms import period_of
from labelworks.formats import report_charts, stakeholder_report
from labelworks.services import activity, agreement, capacity, vendor_usage
from labelworks.services.access import project_for
from labelworks.services.status import project_status
from labelworks.stats.vendor_billing import Proportion
from labelworks.storage import activity as activity_store
from labelworks.storage.engine import Database, utcnow

# The report is read in minutes and forwarded: it keeps the few items a stakeholder acts
# on, not every breach of every vendor.
MAX_RISKS = 12


def share_dict(share: Proportion) -> dict[str, Any]:
    """A share as the report's JSON: ``hits``, ``n``, ``value`` and the 95% Wilson
    interval (``None`` figures when ``n`` is 0)."""
    low, high = wilson_bounds(share.hits, share.n) if share.n else (None, None)
    return {"hits": share.hits, "n": share.n, "value": share.value, "low": low, "high": high}


@dataclass(frozen=True, slots=True)
class Risk:
    kind: str  # forecast, deadline, budget, quality, sla
    text: str


@dataclass(slots=True)
class StakeholderReport:
    project: str
    description: str
    period: Period
    generated_at: datetime
    progress: dict[str, Any]
    forecast: dict[str, Any] | None
    quality: dict[str, Any]
    vendors: list[dict[str, Any]]
    risks: list[Risk] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "description": self.description,
            "period": {
                "week": self.period.label,
                "start": _day(self.period.since),
                "end": _day(self.period.until - timedelta(days=1) if self.period.until else None),
            },
            "generated_at": self.generated_at.isoformat(timespec="seconds") + "Z",
            "progress": self.progress,
            "forecast": self.forecast,
            "quality": self.quality,
            "vendors": self.vendors,
            "risks": [{"kind": r.kind, "text": r.text} for r in self.risks],
        }


def _day(at: datetime | None) -> str | None:
    return None if at is None else at.date().isoformat()


def weekly_report(
    db: Database,
    project_name: str,
    *,
    week: str | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> StakeholderReport:
    """The report of the ISO ``week`` (``2026-W48``; default: the current week, to date)
    for those with the review right; behind a vendor wall, that vendor's share only."""
    at = now or utcnow()
    period = iso_week(week or week_of(at.date()))
    assert period.since is not None and period.until is not None
    if period.since > at:
        raise InvalidInput(f"{period.label} has not started yet", location=Location(field="period"))
    previous = iso_week(week_of((period.since - timedelta(days=1)).date()))
    walled = wall(actor)
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        # One read of each: the two weeks' work, and gold over the 12 weeks the trend
        # shows (this week and last are two of them).
        both = activity_store.per_day_and_vendor(
            conn, project.id, previous.since or period.since, walled, until=period.until
        )
        gold_days = activity_store.gold_per_day(
            conn, project.id, period.since - timedelta(weeks=11), walled, until=period.until
        )
    first = period.since.date().isoformat()
    days = [row for row in both if row[0] >= first]
    before = [row for row in both if row[0] < first]
    gold_weeks = activity.gold_weeks(gold_days)
    gold = {w.week: Proportion(w.correct, w.answered) for w in gold_weeks}
    status = project_status(db, project_name, actor=actor, max_age=2.0)
    progress = _progress(status.items, status.complete, status.annotations, days, before)
    forecast = _forecast(db, project_name, actor, at.date())
    quality = {
        "gold": share_dict(gold.get(period.label, Proportion(0, 0))),
        "gold_previous": share_dict(gold.get(previous.label, Proportion(0, 0))),
        "gold_weeks": [{"week": w, **share_dict(share)} for w, share in gold.items()],
        "alpha": _alpha(db, project_name, period, actor),
    }
    vendors = _vendors(db, period, actor, {v for _, v, _ in days}, at)
    report = StakeholderReport(
        project=project.name,
        description=project.description,
        period=period,
        generated_at=at.replace(microsecond=0),
        progress=progress,
        forecast=forecast,
        quality=quality,
        vendors=vendors,
    )
    report.risks = _risks(report)
    return report


def _progress(
    items: int,
    complete: int,
    annotations: int,
    days: list[tuple[str, str | None, int]],
    before: list[tuple[str, str | None, int]],
) -> dict[str, Any]:
    per_day: dict[str, int] = {}
    per_vendor: dict[str, int] = {}
    for day, vendor, n in days:
        per_day[day] = per_day.get(day, 0) + n
        per_vendor[vendor or "internal"] = per_vendor.get(vendor or "internal", 0) + n
    return {
        "items": items,
        "complete": complete,
        "completion": complete / items if items else 0.0,
        "annotations": annotations,
        "period_annotations": sum(per_day.values()),
        "previous_annotations": sum(n for _, _, n in before),
        "per_day": [{"day": d, "annotations": n} for d, n in sorted(per_day.items())],
        "by_vendor": [
            {"vendor": v, "annotations": n}
            for v, n in sorted(per_vendor.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def _forecast(
    db: Database, project_name: str, actor: Actor | None, today: date
) -> dict[str, Any] | None:
    found = capacity.project_forecast(db, project_name, actor=actor, today=today)
    if found.forecast is None:
        return {"remaining": found.remaining, "notes": list(found.notes), "p50": None}
    deadline = found.deadline
    cost = found.cost
    return {
        "remaining": found.remaining,
        "p10": _iso(found.p10_date),
        "p50": _iso(found.p50_date),
        "p90": _iso(found.p90_date),
        "history": [{"day": d, "annotations": n} for d, n in found.days[-28:]],
        "done": found.done,
        "deadline": None
        if deadline is None
        else {
            "day": deadline.day.isoformat(),
            "confidence": deadline.confidence,
            "done_by": _iso(deadline.done_by),
            "on_track": deadline.on_track,
            "passed": deadline.passed,
            "headcount_needed": deadline.headcount_needed,
        },
        "cost": None
        if cost is None
        else {
            "currency": cost.currency,
            "spent": cost.spent,
            "projected": cost.projected,
            "budget": cost.budget,
            "budget_currency": cost.budget_currency,
            "over_budget": cost.over_budget,
        },
        "notes": list(found.notes),
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _alpha(
    db: Database, project_name: str, period: Period, actor: Actor | None
) -> dict[str, Any] | None:
    """Krippendorff's alpha of the first measured field over the week's annotations."""
    try:
        found = agreement.project_agreement(
            db, project_name, since=period.since, until=period.until, actor=actor
        )
    except InvalidInput:  # nothing measurable this week (too few items rated twice)
        return None
    for f in found.fields:
        alpha = f.coefficients.get("krippendorff_alpha")
        if alpha is not None and alpha.to_dict().get("value") is not None:
            return {"field": f.field, "items": f.items, **alpha.to_dict()}
    return None


def _vendors(
    db: Database, period: Period, actor: Actor | None, worked: set[str | None], at: datetime
) -> list[dict[str, Any]]:
    """The scorecards (across their projects) of the vendors who worked on this project in
    the week."""
    names = {v for v in worked if v is not None}
    if not names:
        return []
    cards = vendor_usage.scorecards(db, period=period_of(period.label), actor=actor, now=at).cards
    return [_card(c) for c in cards if c.vendor in names]


def _card(c: vendor_usage.Scorecard) -> dict[str, Any]:
    per = c.cost.per_accepted
    return {
        "vendor": c.vendor,
        "delivered": c.delivered,
        "billed": c.billed,
        "rejected": c.rejected,
        "accuracy": share_dict(c.accuracy),
        "review_acceptance": share_dict(c.review_acceptance),
        "lease_p50_hours": c.lease.p50,
        "cost": None if c.cost.amount is None else str(c.cost.amount.amount),
        "cost_per_accepted": None if per is None else str(per.amount),
        "currency": None if c.cost.amount is None else c.cost.amount.currency,
        "sla": c.sla,
        "breaches": [b.text for b in c.breaches],
    }


def _risks(report: StakeholderReport) -> list[Risk]:
    risks: list[Risk] = []
    f = report.forecast
    deadline = None if f is None else f.get("deadline")
    if deadline and deadline["passed"]:
        risks.append(Risk("deadline", f"The deadline ({deadline['day']}) has passed."))
    elif deadline and not deadline["on_track"]:
        done_by = deadline["done_by"] or "not within the forecast"
        needed = deadline["headcount_needed"]
        more = f"; about {needed} people would be needed to make it" if needed else ""
        risks.append(
            Risk(
                "forecast",
                f"At {deadline['confidence']:.0%} confidence the work is done by {done_by}, "
                f"after the deadline ({deadline['day']}){more}.",
            )
        )
    cost = None if f is None else f.get("cost")
    if cost and cost["over_budget"]:
        risks.append(
            Risk(
                "budget",
                f"Projected cost {cost['projected']:,.2f} {cost['currency'] or ''} exceeds "
                f"the budget of {cost['budget']:,.2f} {cost['budget_currency'] or ''}.".replace(
                    "  ", " "
                ),
            )
        )
    now, before = report.quality["gold"], report.quality["gold_previous"]
    if now["n"] and before["n"] and now["high"] < before["low"]:
        risks.append(
            Risk(
                "quality",
                f"Gold accuracy fell from {before['value']:.0%} "
                f"({before['low']:.0%}–{before['high']:.0%}) last week to {now['value']:.0%} "
                f"({now['low']:.0%}–{now['high']:.0%}) this week; the intervals do not overlap.",
            )
        )
    for card in report.vendors:
        risks.extend(Risk("sla", f"{card['vendor']}: {text}") for text in card["breaches"])
    return risks[:MAX_RISKS]


FORMATS = {"json": "application/json", "md": "text/markdown", "html": "text/html"}


def render(report: StakeholderReport, fmt: str) -> str:
    """The report as ``json``, ``md`` (Markdown) or ``html`` (one file, charts inline)."""
    data = report.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    if fmt == "md":
        return stakeholder_report.to_markdown(data)
    if fmt == "html":
        return stakeholder_report.to_html(data, charts_svg(data))
    raise InvalidInput(
        f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}",
        location=Location(field="format"),
    )


def charts_svg(data: dict[str, Any]) -> dict[str, str]:
    """The report's charts drawn as SVG, by name."""
    return {
        name: report_charts.to_svg(spec) for name, spec in report_charts.chart_specs(data).items()
    }
