"""The webhook dispatcher: a thread beside each job consumer (the one in every
``labelworks serve`` process when the queue is embedded, each ``labelworks worker``
otherwise) that sends due webhook deliveries about once a second.

A thread rather than a Huey periodic task: Huey's periodic tasks run at most once a
minute, and events should reach their receivers within seconds. Several dispatchers may
run at once; ``services.webhook_delivery`` claims each delivery before sending it.
"""

from __future__ import annotations

import logging
import threading

import httpx

from labelworks.config import Settings
from labelworks.services.webhook_delivery import BATCH, deliver_due
from labelworks.storage.engine import Database, utcnow

log = logging.getLogger("labelworks.webhooks")

# Seconds between looks for due deliveries when the last look found less than a batch.
INTERVAL = 1.0


class WebhookDispatcher:
    """Sends due deliveries until ``stop`` is set (the consumer's stop flag)."""

    def __init__(self, db: Database, settings: Settings, *, interval: float = INTERVAL) -> None:
        self.db = db
        self.timeout = settings.webhook_timeout
        self.interval = interval
        self._thread: threading.Thread | None = None

    def start(self, stop: threading.Event) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(stop,), name="labelworks-webhooks", daemon=True
        )
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, stop: threading.Event) -> None:
        # Redirects are never followed: a receiver's 3xx is a failed attempt, so a webhook
        # cannot be bounced to an address its maker did not give.
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            while not stop.is_set():
                sent = self.once(client)
                if sent < BATCH and stop.wait(self.interval):
                    return

    def once(self, client: httpx.Client) -> int:
        """One look: send what is due now; how many attempts were made."""
        try:
            attempts = deliver_due(self.db, now=utcnow(), client=client)
        except Exception:  # the database away for a moment: look again next time
            log.exception("webhook deliveries could not be sent")
            return 0
        for a in attempts:
            if a.status != "delivered":
                log.info("webhook delivery %s (%s): %s", a.delivery_id, a.event, a.error)
        return len(attempts)
