"""Events of the notify service (topic kho.notify.deliveries, key: notification id)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kho_contracts.base import Event, register
from kho_contracts.topics import NOTIFY_DELIVERIES


class _DeliveryEvent(Event):
    TOPIC = NOTIFY_DELIVERIES
    KEY_FIELD = "notification_id"
    PRODUCER = "notify"
    CONSUMERS = ()

    notification_id: str
    source_event_id: str
    source_event_type: str
    recipient_id: str
    channel: str = Field(description="zalo, sms, email or inapp")
    attempts: int = Field(ge=1)


@register
class NotificationDelivered(_DeliveryEvent):
    """A notification reached its provider (or the in-app inbox) for one recipient on one channel."""

    TYPE = "vn.gov.kho.notify.notification.delivered.v1"

    provider_message_id: str | None = None
    delivered_at: datetime


@register
class NotificationFailed(_DeliveryEvent):
    """A notification could not be delivered on a channel after its retries; the reason is given."""

    TYPE = "vn.gov.kho.notify.notification.failed.v1"

    reason: str
    failed_at: datetime
