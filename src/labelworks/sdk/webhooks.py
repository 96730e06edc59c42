"""The webhooks part of the client: a project's webhooks (make one and keep its secret,
list, pause or resume, rotate the secret, remove, ping) and their delivery log
(read it, send a delivery again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx
from pydantic import TypeAdapter

from labelworks.schemas.webhooks import DeliveryOut, DeliveryPageOut, WebhookOut, WebhookSecretOut
from labelworks.sdk.paths import segment

_WEBHOOKS = TypeAdapter(list[WebhookOut])


class WebhooksApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def _webhooks(self, project: str) -> str:
        return f"/projects/{segment(project)}/webhooks"

    def webhooks(self, project: str) -> list[dict[str, Any]]:
        """The project's webhooks, oldest first: ``id``, ``url``, ``events``, ``active``,
        ``created_at``, ``created_by``, ``pending`` and ``failed`` deliveries, and the last
        attempt's ``last_status``, ``last_response`` and ``last_at``. Never the secret."""
        response = self._request("GET", self._webhooks(project))
        return [w.model_dump() for w in _WEBHOOKS.validate_python(response.json())]

    def create_webhook(self, project: str, url: str, events: Sequence[str]) -> dict[str, Any]:
        """Make a webhook POSTing ``events`` (e.g. ``["item.finalised", "lot.rejected"]``)
        to ``url``. The answer's ``secret`` signs its deliveries and is given this once:
        keep it with the receiver. Bad input raises ``InvalidInput``."""
        body = {"url": url, "events": list(events)}
        response = self._request("POST", self._webhooks(project), json_body=body)
        return WebhookSecretOut.model_validate(response.json()).model_dump()

    def update_webhook(
        self,
        project: str,
        webhook_id: int,
        *,
        active: bool | None = None,
        rotate_secret: bool = False,
    ) -> dict[str, Any]:
        """Pause (``active=False``) or resume a webhook and/or rotate its secret; the
        webhook, with ``secret`` the new one when rotated (this once), else ``None``."""
        body: dict[str, Any] = {"rotate_secret": rotate_secret}
        if active is not None:
            body["active"] = active
        url = f"{self._webhooks(project)}/{webhook_id}"
        response = self._request("PATCH", url, json_body=body)
        return WebhookSecretOut.model_validate(response.json()).model_dump()

    def remove_webhook(self, project: str, webhook_id: int) -> None:
        """Remove a webhook and its delivery log."""
        self._request("DELETE", f"{self._webhooks(project)}/{webhook_id}")

    def ping_webhook(self, project: str, webhook_id: int) -> dict[str, Any]:
        """Queue a ``ping`` to the webhook; the delivery, as ``webhook_deliveries`` lists
        it (pending: the server sends it within seconds)."""
        response = self._request("POST", f"{self._webhooks(project)}/{webhook_id}/ping")
        return DeliveryOut.model_validate(response.json()).model_dump()

    def webhook_deliveries(
        self,
        project: str,
        *,
        webhook_id: int | None = None,
        status: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """A page of the delivery log, newest first: ``deliveries`` (``id``, ``webhook_id``,
        ``url``, ``event``, ``data``, ``status``, ``attempts``, ``next_attempt_at``,
        ``response_status``, ``error``, ``created_at``, ``delivered_at``) and
        ``next_before`` (pass it as ``before`` for the next page; ``None`` at the end)."""
        params = {"webhook_id": webhook_id, "status": status, "before": before, "limit": limit}
        response = self._request("GET", f"{self._webhooks(project)}/deliveries", params=params)
        return DeliveryPageOut.model_validate(response.json()).model_dump()

    def redeliver_webhook_delivery(self, project: str, delivery_id: int) -> dict[str, Any]:
        """Send a failed or delivered delivery again (same id and body); a pending one
        raises ``Conflict``."""
        url = f"{self._webhooks(project)}/deliveries/{delivery_id}/redeliver"
        return DeliveryOut.model_validate(self._request("POST", url).json()).model_dump()
