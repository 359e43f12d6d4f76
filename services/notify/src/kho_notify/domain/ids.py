"""Deterministic ids: the same event always gives the same notification and delivery ids, so that a
redelivered event finds what its first delivery did. They carry no personal data (uuid5 of the ids)."""

from __future__ import annotations

import uuid

from kho_contracts.ids import name_uuid

_NAMESPACE = uuid.UUID("2f6c8e0a-6d1b-5c3e-9a47-6b0d3c1e8f25")


def notification_id(event_id: str, recipient_id: str) -> str:
    return name_uuid(_NAMESPACE, f"notification|{event_id}|{recipient_id}")


def delivery_id(notification_id: str, channel: str) -> str:
    """Also the idempotency key given to the provider (ZNS tracking_id, SMS RequestId, e-mail Message-ID)."""
    return name_uuid(_NAMESPACE, f"delivery|{notification_id}|{channel}")
