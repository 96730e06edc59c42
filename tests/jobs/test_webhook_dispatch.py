"""The webhook dispatcher runs beside every job consumer: started with it, a delivery
queued by a committed change reaches a real receiver within seconds, and it stops with
the consumer."""

from __future__ import annotations

from pathlib import Path

from tests.services.builders import make_project
from tests.webhook_receiver import Receiver

from labelworks.config import Settings
from labelworks.jobs.queue import JobQueue
from labelworks.services import webhooks as service
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database


def test_the_consumer_s_dispatcher_sends_what_a_change_queued(db: Database, tmp_path: Path) -> None:
    """With a consumer running (as in ``labelworks serve`` and ``labelworks worker``), an
    event emitted in a committed transaction is POSTed and logged delivered; once the
    consumer stops, its dispatcher thread ends."""
    project = make_project(db)
    settings = Settings(data_dir=tmp_path / "data", webhook_timeout=2.0)
    consumer = JobQueue(settings, db).consumer(1, in_server=True)
    with Receiver() as hook:
        made = service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        consumer.start()
        try:
            with db.write() as conn:
                found = project_store.by_name(conn, project)
                assert found is not None
                service.emit(conn, found.id, "lot.accepted", {"lot_id": 9})
            (got,) = hook.wait_for(1)
            for _ in range(200):  # the log is written once the answer is in
                (logged,) = service.delivery_log(db, project)
                if logged.status != "pending":
                    break
                consumer.stop_flag.wait(0.05)
        finally:
            consumer.stop()
        consumer.dispatcher.join(timeout=10)
    assert (got.json["data"], got.verified(made.secret), logged.status, logged.attempts) == (
        {"lot_id": 9},
        True,
        "delivered",
        1,
    )
    assert not consumer.dispatcher._thread.is_alive()
