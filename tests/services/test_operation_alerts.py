"""Webhook events no request raises, on every database: a vendor's SLA breach of this week
and a forecast past the plan's deadline are queued once each for the projects whose
webhooks ask for them, and nothing is queued for projects that ask for neither."""

from __future__ import annotations

from datetime import timedelta

from tests.services.builders import load_texts, make_project

from labelworks.services import vendors, webhooks
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.operation_alerts import announce_due_alerts
from labelworks.services.users import add_user
from labelworks.storage.engine import Database, utcnow


def test_breaches_and_a_slipping_forecast_are_announced_once(db: Database) -> None:
    """Acme's annotator takes an hour per task against a 6-minute SLA, and 40 items remain
    with a deadline tomorrow: one breach and one slip are queued on the subscribed
    project's webhook, none on the other project's, and a second check adds nothing."""
    today = utcnow()
    project = make_project(
        db, overlap=1, plan={"deadline": (today + timedelta(days=1)).date().isoformat()}
    )
    quiet = make_project(db, name="quiet", overlap=1)
    load_texts(db, project, [f"t{i}" for i in range(42)])
    hand = add_user(db, "hand@acme.example", role="annotator", vendor="acme", projects=[project])
    vendors.set_terms(db, "acme", {"currency": "USD", "sla": {"lease_to_submit_hours": 0.1}})
    start = today - timedelta(hours=3)
    for k in range(2):
        task = next_task_for(db, project, hand.user.id, now=start + timedelta(hours=k))
        assert task is not None
        submit_annotation(
            db,
            task.assignment_id,
            hand.user.id,
            value={"sentiment": "positive"},
            seconds=30.0,
            idempotency_key=f"k{k}",
            now=start + timedelta(hours=k + 1),
        )
    events = ["sla.breached", "forecast.slipped"]
    webhooks.create_webhook(db, project, url="http://127.0.0.1:9/hook", events=events)
    webhooks.create_webhook(db, quiet, url="http://127.0.0.1:9/hook", events=["lot.accepted"])
    first = announce_due_alerts(db, print)
    second = announce_due_alerts(db, print)
    logged = webhooks.delivery_log(db, project)
    assert (first, second, sorted(d.event for d in logged)) == (
        2,
        0,
        ["forecast.slipped", "sla.breached"],
    )
    assert webhooks.delivery_log(db, quiet) == []
