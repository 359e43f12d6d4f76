"""HTTP API of the feedback service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from kho_contracts.common import DisputeReason
from kho_contracts.events import ResultDisputed
from kho_platform.auth import CurrentPrincipal
from kho_platform.errors import ApiError, not_found
from pydantic import BaseModel, Field

from kho_feedback.repository import DisputeAlreadyOpen, DisputeRepository, deadline_from

router = APIRouter(prefix="/v1/disputes", tags=["disputes"])

RESPONSE_WORKING_DAYS = 5


def repository(request: Request) -> DisputeRepository:
    repo: DisputeRepository = request.app.state.deps
    return repo


Repo = Annotated[DisputeRepository, Depends(repository)]


class OpenDispute(BaseModel):
    document_id: str = Field(min_length=1, max_length=100)
    agency_code: str = Field(min_length=1, max_length=50)
    reason: DisputeReason
    note: str | None = Field(default=None, max_length=2000)


class DisputeView(BaseModel):
    dispute_id: str
    document_id: str
    owner_id: str
    agency_code: str
    reason: str
    status: str
    opened_at: datetime


@router.post("", status_code=201, response_model=DisputeView)
async def open_dispute(body: OpenDispute, principal: CurrentPrincipal, repo: Repo) -> DisputeView:
    if principal.actor not in ("citizen", "organization") or not principal.identity_number:
        raise ApiError(
            403, "owners_only", "only a document's owner can dispute it", "Chỉ chủ sở hữu giấy tờ mới có thể phản ánh"
        )
    now = datetime.now(UTC)
    event = ResultDisputed(
        dispute_id=str(uuid.uuid4()),
        document_id=body.document_id,
        owner_id=principal.identity_number,
        agency_code=body.agency_code,
        reason=body.reason,
        note=body.note,
        opened_at=now,
        deadline=deadline_from(now, RESPONSE_WORKING_DAYS),
    )
    try:
        await repo.open(event, opened_by=principal.subject)
    except DisputeAlreadyOpen as exc:
        raise ApiError(
            409,
            "dispute_open",
            "this document already has an open dispute",
            "Giấy tờ này đang có phản ánh chưa được giải quyết",
        ) from exc
    return DisputeView(**event.model_dump(include=set(DisputeView.model_fields)), status="open")


@router.get("/{dispute_id}", response_model=DisputeView)
async def get_dispute(dispute_id: str, principal: CurrentPrincipal, repo: Repo) -> DisputeView:
    doc = await repo.get(dispute_id)
    allowed = doc is not None and (
        doc["owner_id"] in principal.owner_ids()
        or (principal.is_officer and principal.agency_code == doc["agency_code"])
    )
    if doc is None or not allowed:
        raise not_found("dispute")
    return DisputeView(dispute_id=doc["_id"], **{k: doc[k] for k in DisputeView.model_fields if k in doc})
