"""HTTP API of the notify service: the in-app inbox, recipients' contact details and channel preferences,
and the delivery status of notifications."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from kho_platform.auth import CurrentPrincipal, Principal
from kho_platform.errors import ApiError, not_found
from kho_platform.logging import get_logger
from pydantic import BaseModel, Field, field_validator

from kho_notify.adapters.store import public_outcome
from kho_notify.domain.ids import delivery_id
from kho_notify.domain.recipients import (
    AGENCY_PREFIX,
    EXTERNAL_CHANNELS,
    Channel,
    RecipientProfile,
    agency_recipient,
    normalize_email,
    normalize_phone,
    valid_recipient_id,
)

if TYPE_CHECKING:
    from kho_notify.app import Notify

log = get_logger(__name__)
AGENCY_ADMIN_ROLE = "agency_admin"


async def notify_deps(request: Request) -> Notify:
    found: Notify = request.app.state.deps
    return found


Deps = Annotated["Notify", Depends(notify_deps)]


def own_recipient(principal: Principal) -> str:
    """The recipient whose inbox and profile a caller sees as "me": an officer sees their agency's."""
    if principal.is_officer and principal.agency_code:
        return agency_recipient(principal.agency_code)
    if principal.actor in ("citizen", "organization") and principal.identity_number:
        return principal.identity_number
    raise ApiError(403, "no_inbox", "this account has no inbox", "Tài khoản không có hộp thư")


def may_read(principal: Principal, recipient_id: str) -> bool:
    if principal.is_operator:
        return True
    if recipient_id.startswith(AGENCY_PREFIX):
        return principal.is_officer and agency_recipient(principal.agency_code or "") == recipient_id
    return recipient_id in principal.owner_ids()


def may_change(principal: Principal, recipient_id: str) -> bool:
    if recipient_id.startswith(AGENCY_PREFIX) and not principal.is_operator:
        return may_read(principal, recipient_id) and principal.has_role(AGENCY_ADMIN_ROLE)
    return may_read(principal, recipient_id)


# --- inbox ---------------------------------------------------------------------------------------

inbox_router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


class InboxMessage(BaseModel):
    id: str
    kind: str | None = None
    title: str
    body: str
    read: bool
    created_at: datetime
    data: dict[str, str]


@inbox_router.get("", response_model=list[InboxMessage])
async def list_messages(
    principal: CurrentPrincipal,
    deps: Deps,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> list[InboxMessage]:
    docs = await deps.inbox.list(own_recipient(principal), unread_only=unread, limit=limit, skip=offset)
    return [
        InboxMessage(
            id=d["_id"], kind=d.get("kind"), **{k: d[k] for k in ("title", "body", "read", "created_at", "data")}
        )
        for d in docs
    ]


@inbox_router.post("/{message_id}/read", status_code=204)
async def mark_read(message_id: str, principal: CurrentPrincipal, deps: Deps) -> None:
    if not await deps.inbox.mark_read(own_recipient(principal), message_id):
        raise not_found("message")


# --- recipients ----------------------------------------------------------------------------------

recipients_router = APIRouter(prefix="/v1/recipients", tags=["recipients"])


class ContactPreferences(BaseModel):
    """Contact details and the order in which the external channels are tried (the in-app inbox always
    gets the message too). An empty list means in-app only."""

    phone: str | None = Field(default=None, description="Vietnamese mobile number, 0xxxxxxxxx or 84xxxxxxxxx")
    email: str | None = Field(default=None, max_length=254)
    channels: list[Channel] = Field(default_factory=lambda: list(EXTERNAL_CHANNELS), max_length=3)
    has_zalo: bool = True

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[Channel]) -> list[Channel]:
        if Channel.INAPP in value:
            raise ValueError("hộp thư trên cổng luôn nhận thông báo; chỉ chọn zalo, sms, email")
        if len(set(value)) != len(value):
            raise ValueError("mỗi kênh chỉ được chọn một lần")
        return value


class RecipientView(ContactPreferences):
    recipient_id: str
    updated_at: datetime | None = None


def _view(recipient_id: str, doc: dict[str, Any] | None, default_channels: list[Channel]) -> RecipientView:
    if doc is None:
        return RecipientView(recipient_id=recipient_id, channels=default_channels)
    return RecipientView.model_construct(
        recipient_id=recipient_id,
        phone=doc.get("phone"),
        email=doc.get("email"),
        channels=[Channel(c) for c in doc.get("channels") or ()],
        has_zalo=bool(doc.get("has_zalo", True)),
        updated_at=doc.get("updated_at"),
    )


def _checked_recipient(recipient_id: str) -> str:
    if not valid_recipient_id(recipient_id):
        raise ApiError(
            422,
            "invalid_recipient",
            "a recipient is an identity number (CCCD, CMND, tax code) or agency:<agency code>",
            "Người nhận phải là số định danh (CCCD, CMND, mã số thuế) hoặc mã cơ quan",
        )
    return recipient_id


async def _get(recipient_id: str, principal: Principal, deps: Notify) -> RecipientView:
    if not may_read(principal, recipient_id):
        raise not_found("recipient")
    return _view(recipient_id, await deps.recipients.document(recipient_id), deps.settings.default_channels)


async def _put(recipient_id: str, body: ContactPreferences, principal: Principal, deps: Notify) -> RecipientView:
    if not may_change(principal, recipient_id):
        raise ApiError(
            403,
            "forbidden",
            "you may not change this recipient's contacts",
            "Bạn không có quyền thay đổi thông tin này",
        )
    before = await deps.recipients.document(recipient_id) or {}
    changed = [
        name
        for name, value in (("phone", body.phone), ("email", body.email), ("has_zalo", body.has_zalo))
        if before.get(name) != value
    ]
    if [c.value for c in body.channels] != (before.get("channels") or []):
        changed.append("channels")
    profile = RecipientProfile(recipient_id, body.phone, body.email, tuple(body.channels), body.has_zalo)
    await deps.recipients.save(profile, changed_by=principal.subject, changed=changed)
    log.info("recipient contacts changed", recipient_id=recipient_id, by=principal.subject, fields=changed)
    return _view(recipient_id, await deps.recipients.document(recipient_id), deps.settings.default_channels)


@recipients_router.get("/me", response_model=RecipientView)
async def get_mine(principal: CurrentPrincipal, deps: Deps) -> RecipientView:
    return await _get(own_recipient(principal), principal, deps)


@recipients_router.put("/me", response_model=RecipientView)
async def put_mine(body: ContactPreferences, principal: CurrentPrincipal, deps: Deps) -> RecipientView:
    return await _put(own_recipient(principal), body, principal, deps)


@recipients_router.get("/{recipient_id}", response_model=RecipientView)
async def get_recipient(recipient_id: str, principal: CurrentPrincipal, deps: Deps) -> RecipientView:
    return await _get(_checked_recipient(recipient_id), principal, deps)


@recipients_router.put("/{recipient_id}", response_model=RecipientView)
async def put_recipient(
    recipient_id: str, body: ContactPreferences, principal: CurrentPrincipal, deps: Deps
) -> RecipientView:
    return await _put(_checked_recipient(recipient_id), body, principal, deps)


# --- delivery status -------------------------------------------------------------------------------

status_router = APIRouter(prefix="/v1", tags=["deliveries"])


class DeliveryView(BaseModel):
    delivery_id: str
    channel: str
    status: str = Field(description="pending, sending, delivered, failed or unknown")
    attempts: int | None = None
    provider_message_id: str | None = None
    reason: str | None = None
    recorded_at: datetime | None = None


class NotificationView(BaseModel):
    notification_id: str
    event_id: str
    event_type: str
    kind: str
    recipient_id: str
    created_at: datetime
    deliveries: list[DeliveryView]


async def _notification_view(deps: Notify, doc: dict[str, Any]) -> NotificationView:
    deliveries = []
    for position, channel in enumerate(doc["channels"]):
        did = delivery_id(doc["_id"], channel)
        outcome = await deps.store.outcome(did)
        if outcome is not None:
            view = public_outcome(outcome)
            view["recorded_at"] = outcome.get("at")
            deliveries.append(DeliveryView(**view))
            continue
        # the notification's insert delivered it in the app and claimed the first external channel's first try
        claimed = position <= 1 or await deps.store.latest_claim(did) is not None
        deliveries.append(DeliveryView(delivery_id=did, channel=channel, status="sending" if claimed else "pending"))
    return NotificationView(
        notification_id=doc["_id"],
        event_id=doc["event_id"],
        event_type=doc["event_type"],
        kind=doc["kind"],
        recipient_id=doc["recipient"],
        created_at=doc["created_at"],
        deliveries=deliveries,
    )


@status_router.get("/notifications/{notification_id}", response_model=NotificationView)
async def get_notification(notification_id: str, principal: CurrentPrincipal, deps: Deps) -> NotificationView:
    doc = await deps.inbox.notification(notification_id)
    if doc is None or "channels" not in doc or not may_read(principal, doc["recipient"]):
        raise not_found("notification")
    return await _notification_view(deps, doc)


@status_router.get("/events/{event_id}/notifications", response_model=list[NotificationView])
async def notifications_of_event(event_id: str, principal: CurrentPrincipal, deps: Deps) -> list[NotificationView]:
    if not principal.is_operator:
        raise ApiError(403, "operators_only", "only operators may read this", "Chỉ quản trị hệ thống được xem")
    handled = await deps.store.handled_event(event_id)
    if handled is None:
        raise not_found("event")
    views = []
    for nid in handled["notifications"]:
        doc = await deps.inbox.notification(nid)
        if doc is not None and "channels" in doc:
            views.append(await _notification_view(deps, doc))
    return views


routers = (inbox_router, recipients_router, status_router)
