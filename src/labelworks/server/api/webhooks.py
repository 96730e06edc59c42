"""Webhooks per project: make, list, pause or resume, rotate the secret of and remove
them; ping one; read the delivery log and send a delivery again. Managers and admins
outside any vendor (events carry every vendor's work)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from labelworks.schemas.webhooks import (
    DeliveryOut,
    DeliveryPageOut,
    DeliveryStatus,
    WebhookChangeIn,
    WebhookIn,
    WebhookOut,
    WebhookSecretOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import MAX_ROW_ID, ProjectName, RowId
from labelworks.services import webhooks
from labelworks.services.webhooks import DeliveryRow, WebhookRow

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=ERRORS)


def webhook_out(row: WebhookRow) -> WebhookOut:
    return WebhookOut.model_validate(row, from_attributes=True)


def with_secret(row: WebhookRow, secret: str | None) -> WebhookSecretOut:
    return WebhookSecretOut(**webhook_out(row).model_dump(), secret=secret)


def delivery_out(row: DeliveryRow) -> DeliveryOut:
    return DeliveryOut.model_validate(row, from_attributes=True)


@router.get(
    "/projects/{project}/webhooks", operation_id="list_webhooks", response_model=list[WebhookOut]
)
def list_webhooks(project: ProjectName, db: DB, actor: CurrentActor) -> list[WebhookOut]:
    """The project's webhooks, oldest first, with how their deliveries stand; never their
    secrets."""
    return [webhook_out(r) for r in webhooks.project_webhooks(db, project, actor=actor)]


@router.post(
    "/projects/{project}/webhooks",
    operation_id="create_webhook",
    response_model=WebhookSecretOut,
    status_code=201,
    openapi_extra=json_body_doc(WebhookIn),
)
def create_webhook(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> WebhookSecretOut:
    """Make a webhook POSTing ``events`` to ``url``, signed with a new ``secret``, which
    this answer holds and no later one does. A bad URL or event is a 422 naming the
    field; a project's 21st webhook is a 409."""
    body = parse_body(WebhookIn, raw)
    made = webhooks.create_webhook(db, project, url=body.url, events=body.events, actor=actor)
    return with_secret(made.webhook, made.secret)


@router.get(
    "/projects/{project}/webhooks/deliveries",
    operation_id="webhook_deliveries",
    response_model=DeliveryPageOut,
)
def webhook_deliveries(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    webhook_id: int | None = Query(None, ge=1, le=MAX_ROW_ID, description="one webhook's"),
    status: DeliveryStatus | None = Query(None, description="pending, delivered or failed"),
    before: int | None = Query(
        None, ge=1, le=MAX_ROW_ID, description="the next_before of the previous page"
    ),
    limit: int = Query(50, ge=1, le=webhooks.MAX_PAGE),
) -> DeliveryPageOut:
    """The delivery log: a page of the project's deliveries, newest first; follow
    ``next_before``."""
    rows = webhooks.delivery_log(
        db,
        project,
        webhook_id=webhook_id,
        status=status,
        before=before,
        limit=limit,
        actor=actor,
    )
    return DeliveryPageOut(
        deliveries=[delivery_out(r) for r in rows],
        next_before=rows[-1].id if len(rows) == limit else None,
    )


@router.post(
    "/projects/{project}/webhooks/deliveries/{delivery_id}/redeliver",
    operation_id="redeliver_webhook_delivery",
    response_model=DeliveryOut,
    status_code=202,
)
def redeliver_webhook_delivery(
    project: ProjectName, delivery_id: RowId, db: DB, actor: CurrentActor
) -> DeliveryOut:
    """Send a failed or delivered delivery again (same id and body, the retry schedule
    from its start); it goes out within seconds. A pending one is a 409."""
    return delivery_out(webhooks.redeliver(db, project, delivery_id, actor=actor))


@router.patch(
    "/projects/{project}/webhooks/{webhook_id}",
    operation_id="update_webhook",
    response_model=WebhookSecretOut,
    openapi_extra=json_body_doc(WebhookChangeIn),
)
def update_webhook(
    project: ProjectName,
    webhook_id: RowId,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    raw: RawBody,
) -> WebhookSecretOut:
    """Pause (``active: false``) or resume a webhook, and/or rotate its secret
    (``rotate_secret: true``: the answer holds the new one, this once)."""
    body = parse_body(WebhookChangeIn, raw)
    row, secret = webhooks.update_webhook(
        db,
        project,
        webhook_id,
        active=body.active,
        rotate_secret=body.rotate_secret,
        actor=actor,
    )
    return with_secret(row, secret)


@router.delete(
    "/projects/{project}/webhooks/{webhook_id}",
    operation_id="remove_webhook",
    status_code=204,
    response_class=Response,
)
def remove_webhook(
    project: ProjectName, webhook_id: RowId, db: DB, actor: CurrentActor
) -> Response:
    """Remove a webhook and its delivery log; what it had queued is never sent."""
    webhooks.remove_webhook(db, project, webhook_id, actor=actor)
    return Response(status_code=204)


@router.post(
    "/projects/{project}/webhooks/{webhook_id}/ping",
    operation_id="ping_webhook",
    response_model=DeliveryOut,
    status_code=202,
)
def ping_webhook(
    project: ProjectName, webhook_id: RowId, db: DB, actor: CurrentActor
) -> DeliveryOut:
    """Queue a ``ping`` event to the webhook to check its receiver; its outcome is in the
    delivery log within seconds. A paused webhook is a 409."""
    return delivery_out(webhooks.ping_webhook(db, project, webhook_id, actor=actor))
