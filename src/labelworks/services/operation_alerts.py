"""The events no request raises: a vendor's SLA breach and a forecast that slips past its
deadline. Checked once a minute beside the job sweep (``jobs.queue``), for the projects
whose webhooks ask for them, and announced once each (``webhooks.announce_*``)."""

from __future__ import annotations

from collections.abc import Callable

from labelworks.domain.errors import LabelworksError
from labelworks.domain.period import iso_week, week_of
from labelworks.domain.vendor_terms import period_of
from labelworks.services import capacity, vendor_usage, webhooks
from labelworks.storage import activity as activity_store
from labelworks.storage import webhooks as webhook_store
from labelworks.storage.engine import Database, utcnow

SLA = "sla.breached"
SLIPPED = "forecast.slipped"


def announce_due_alerts(db: Database, log: Callable[..., None]) -> int:
    """Queue the SLA breaches of this ISO week and the forecasts past their deadline that
    were not announced yet; returns how many were announced. A project whose figures
    cannot be computed is logged and skipped, never stopping the others."""
    with db.read() as conn:
        subscribed = webhook_store.projects_subscribed(conn, [SLA, SLIPPED])
    if not subscribed:
        return 0
    now = utcnow()
    week = week_of(now.date())
    cards = {
        c.vendor: c for c in vendor_usage.scorecards(db, period=period_of(week), now=now).cards
    }
    announced = 0
    for project_id, name in subscribed:
        try:
            announced += _project(db, project_id, name, cards, week)
        except LabelworksError as exc:
            log("alerts of %s skipped: %s", name, exc)
    return announced


def _project(
    db: Database,
    project_id: int,
    name: str,
    cards: dict[str, vendor_usage.Scorecard],
    week: str,
) -> int:
    found = capacity.project_forecast(db, name)
    deadline = found.deadline
    start = iso_week(week).since
    assert start is not None
    announced = 0
    with db.write() as conn:
        # A vendor's breach is announced to the projects its people worked on that week.
        days = activity_store.per_day_and_vendor(conn, project_id, start, None)
        worked = {vendor for _, vendor, _ in days}
        for vendor in sorted(v for v in worked if v is not None and v in cards):
            for b in cards[vendor].breaches:
                if b.certain:
                    announced += webhooks.announce_sla_breach(
                        conn,
                        project_id,
                        vendor=vendor,
                        period=b.week,
                        measure=str(b.target),
                        target=b.limit,
                        actual=b.observed,
                        detail=b.text,
                    )
        if (
            deadline is not None
            and not deadline.on_track
            and deadline.done_by is not None
            and found.p50_date is not None
        ):
            announced += webhooks.announce_forecast_slip(
                conn,
                project_id,
                deadline=deadline.day,
                forecast=deadline.done_by,
                confidence=deadline.confidence,
                p50=found.p50_date,
                remaining=int(found.remaining),
            )
    return announced
