"""The Huey queue that carries job ids to consumers, and the consumers themselves.

SQLite storage in the data directory by default (the server processes consume it, so the
one-command demo needs nothing else); Redis when ``redis_url`` is set, for any number of
``labelworks worker`` processes on any machine. Huey only carries ids: the jobs table holds
the truth, and its claim runs each job once however many consumers see the id.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from labelworks.config import Settings
from labelworks.jobs.assist_tasks import start_due_trainings
from labelworks.jobs.runner import run_job, sweep
from labelworks.jobs.webhook_dispatch import WebhookDispatcher
from labelworks.services.campaigns import refresh_due_campaigns
from labelworks.services.operation_alerts import announce_due_alerts
from labelworks.storage.engine import Database

log = logging.getLogger("labelworks.jobs")

QUEUE_NAME = "labelworks"


class _Consumer(Consumer):  # type: ignore[misc]
    """A consumer with the webhook dispatcher beside it, stopped with it."""

    dispatcher: WebhookDispatcher | None = None

    def start(self) -> None:
        super().start()
        if self.dispatcher is not None:
            self.dispatcher.start(self.stop_flag)


class _QuietConsumer(_Consumer):
    """A consumer inside a server process: the server owns the process's signals."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    """Enqueue job ids and build consumers for one database and settings."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.huey = self._huey(settings)
        self._task = self.huey.task(name="run_job")(self._execute)
        self.huey.periodic_task(crontab(minute="*"), name="sweep_jobs")(self._sweep)

    @staticmethod
    def _huey(settings: Settings) -> Huey:
        if settings.redis_url:
            return RedisHuey(QUEUE_NAME, url=settings.redis_url)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(settings.data_dir / "jobs-queue.db"))

    @property
    def embedded(self) -> bool:
        """Whether the queue lives in the data directory (no Redis)."""
        return not self.settings.redis_url

    def enqueue(self, job_id: int) -> None:
        self._task(job_id)

    def _execute(self, job_id: int) -> None:
        run_job(self.db, self.settings, job_id, again=self.enqueue)

    def _sweep(self) -> None:
        stale = timedelta(seconds=self.settings.job_stale_seconds)
        for job_id in sweep(self.db, self.settings.data_dir, stale, self.enqueue):
            log.warning("job %s: its consumer stopped reporting; queued again", job_id)
        # Baseline models due a retraining (spec assist: every N new final labels).
        start_due_trainings(self.db, self.enqueue)
        # Adaptive campaigns: the waiting pairs reordered by the votes so far.
        refresh_due_campaigns(self.db, log.info)
        # Webhook events no request raises: SLA breaches, forecasts past their deadline.
        announce_due_alerts(self.db, log.warning)

    def consumer(self, workers: int, *, in_server: bool = False) -> Any:
        """A thread consumer, with the webhook dispatcher; ``in_server`` leaves the
        process's signals to the server. Idle workers look for work at least once a second."""
        kind = _QuietConsumer if in_server else _Consumer
        consumer = kind(self.huey, workers=workers, worker_type="thread", max_delay=1.0)
        consumer.dispatcher = WebhookDispatcher(self.db, self.settings)
        return consumer
