"""Request and response bodies of the webhook routes of ``/api/v1``: a project's webhooks
and their delivery log."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

# The events of ``domain.webhooks.EVENTS``, stated again so the wire models shared with the
# SDK stay plain (a test checks the two agree).
EventName = Literal[
    "item.finalised",
    "lot.accepted",
    "lot.rejected",
    "sla.breached",
    "annotator.paused",
    "forecast.slipped",
]
DeliveryStatus = Literal["pending", "delivered", "failed"]
MAX_URL = 2000
# No NUL: PostgreSQL's text cannot hold one.
NO_NUL = r"^[^\x00]*$"


class WebhookIn(BaseModel):
    """A new webhook: the http(s) URL deliveries are POSTed to (no credentials in it) and
    the events it is sent (at least one)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL, pattern=NO_NUL)
    events: list[EventName] = Field(min_length=1, max_length=12)


class WebhookChangeIn(BaseModel):
    """What to change: ``active`` false pauses it (nothing is queued for it, what is queued
    waits), true resumes it; ``rotate_secret`` gives it a new secret. At least one."""

    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    rotate_secret: bool = False


class WebhookOut(BaseModel):
    """A webhook, never with its secret: its deliveries ``pending`` and ``failed`` now,
    and of the last delivery tried, ``last_status``, ``last_response`` (its last answer's
    HTTP status) and ``last_at`` (when it was delivered, else made)."""

    id: int
    url: str
    events: list[str]
    active: bool
    created_at: UtcDatetime
    created_by: str | None
    pending: int
    failed: int
    last_status: DeliveryStatus | None
    last_response: int | None
    last_at: UtcDatetime | None


class WebhookSecretOut(WebhookOut):
    """A webhook as made or changed: ``secret`` is its signing secret when it was just
    made or rotated (shown this once; keep it with the receiver), else ``null``."""

    secret: str | None


class DeliveryOut(BaseModel):
    """One event sent to one webhook: ``status`` pending (``next_attempt_at`` says when),
    delivered or failed; ``attempts`` made; the last attempt's ``response_status`` and
    ``error``; ``data`` is the event's data as POSTed (the body's ``data``)."""

    id: int
    webhook_id: int
    url: str
    event: str
    data: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: UtcDatetime | None
    response_status: int | None
    error: str | None
    created_at: UtcDatetime
    delivered_at: UtcDatetime | None


class DeliveryPageOut(BaseModel):
    """A page of deliveries, newest first; ``next_before`` asks for the next page."""

    deliveries: list[DeliveryOut]
    next_before: int | None
