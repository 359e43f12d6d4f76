"""HTTP API of the notify service: the in-app inbox of the portal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from kho_platform.auth import CurrentPrincipal, Principal
from kho_platform.errors import ApiError, not_found
from pydantic import BaseModel

from kho_notify.inbox import Inbox, agency_recipient

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


def inbox(request: Request) -> Inbox:
    found: Inbox = request.app.state.deps
    return found


InboxDep = Annotated[Inbox, Depends(inbox)]


class InboxMessage(BaseModel):
    id: str
    title: str
    body: str
    read: bool
    created_at: datetime
    data: dict[str, str]


def recipient_of(principal: Principal) -> str:
    if principal.is_officer and principal.agency_code:
        return agency_recipient(principal.agency_code)
    if principal.identity_number:
        return principal.identity_number
    raise ApiError(403, "no_inbox", "this account has no inbox", "Tài khoản không có hộp thư")


@router.get("", response_model=list[InboxMessage])
async def list_messages(principal: CurrentPrincipal, box: InboxDep) -> list[InboxMessage]:
    docs = await box.list(recipient_of(principal))
    return [
        InboxMessage(id=d["_id"], **{k: d[k] for k in ("title", "body", "read", "created_at", "data")}) for d in docs
    ]


@router.post("/{message_id}/read", status_code=204)
async def mark_read(message_id: str, principal: CurrentPrincipal, box: InboxDep) -> None:
    if not await box.mark_read(recipient_of(principal), message_id):
        raise not_found("message")
