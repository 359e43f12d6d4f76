"""HTTP API of the feedback service."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from kho_platform.auth import CurrentPrincipal, Principal
from kho_platform.errors import ApiError, not_found
from kho_platform.mongo import Document
from pydantic import BaseModel, Field

from kho_feedback.deps import Feedback
from kho_feedback.domain.disputes import DisputeStatus, Refusal, refusal_to_dispute
from kho_feedback.domain.report import dispute_report
from kho_feedback.entrypoints.views import (
    AgencyStats,
    DisputePage,
    DisputeReport,
    DisputeView,
    DocumentDisputes,
)
from kho_feedback.service_layer.disputes import open_dispute, resolve_dispute

router = APIRouter(tags=["disputes"])


async def feedback(request: Request) -> Feedback:
    found: Feedback = request.app.state.deps
    return found


Deps = Annotated[Feedback, Depends(feedback)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


class OpenDispute(BaseModel):
    document_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(
        min_length=1, max_length=100, description="wrong_citizen_info, not_owners_result or not_government_signed"
    )
    note: str | None = Field(default=None, max_length=2000)


def _forbidden(detail: str) -> ApiError:
    return ApiError(403, "forbidden", detail, "Bạn không có quyền thực hiện thao tác này")


@router.post("/v1/disputes", status_code=201, response_model=DisputeView)
async def create_dispute(body: OpenDispute, principal: CurrentPrincipal, fb: Deps) -> DisputeView:
    note = (body.note or "").strip() or None
    dispute = await open_dispute(fb, principal, document_id=body.document_id, reason=body.reason, note=note)
    return DisputeView.of(dispute, fb.clock())


@router.get("/v1/disputes", response_model=DisputePage)
async def my_disputes(
    principal: CurrentPrincipal,
    fb: Deps,
    mine: bool = True,
    document_id: str | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> DisputePage:
    """The caller's own disputes (and those of the organizations they represent), newest first, each with its
    history. Agencies use /v1/agencies/{agency_code}/disputes."""
    owners = principal.owner_ids()
    if not mine or not owners:
        raise _forbidden("this list shows the caller's own disputes; agencies use /v1/agencies/{code}/disputes")
    total, docs = await fb.disputes.list_for_owners(owners, document_id=document_id, limit=limit, skip=offset)
    now = fb.clock()
    return DisputePage(total=total, items=[DisputeView.of(d, now) for d in docs])


def _may_read(principal: Principal, dispute: Document, affected: list[Document]) -> bool:
    if dispute["owner_id"] in principal.owner_ids() or principal.is_operator:
        return True
    if principal.is_officer and principal.agency_code:
        return principal.agency_code == dispute["agency_code"] or any(
            a["agency_code"] == principal.agency_code for a in affected
        )
    return False


@router.get("/v1/disputes/{dispute_id}", response_model=DisputeView)
async def get_dispute(dispute_id: str, principal: CurrentPrincipal, fb: Deps) -> DisputeView:
    """One dispute with its history and, while it is open, the open dossiers that used the document (for
    their front desks). Visible to the owner, the issuing agency, the front desks of those dossiers and
    operators."""
    dispute = await fb.disputes.get(dispute_id)
    if dispute is None:
        raise not_found("dispute")
    affected = (
        await fb.dossiers.open_dossiers_using(dispute["document_id"])
        if dispute["status"] == DisputeStatus.OPEN.value
        else []
    )
    if not _may_read(principal, dispute, affected):
        raise not_found("dispute")
    return DisputeView.of(dispute, fb.clock(), affected)


@router.post("/v1/disputes/{dispute_id}/resolution", response_model=DisputeView)
async def resolve(
    dispute_id: str,
    principal: CurrentPrincipal,
    fb: Deps,
    outcome: Annotated[str, Form(description="corrected or rejected")],
    explanation: Annotated[str | None, Form(max_length=4000)] = None,
    file: Annotated[UploadFile | None, File(description="the corrected, signed PDF (outcome corrected)")] = None,
) -> DisputeView:
    data: bytes | None = None
    if file is not None:
        data = await file.read(fb.settings.corrected_file_max_bytes + 1)
        data = data or None
    dispute = await resolve_dispute(
        fb, principal, dispute_id, outcome=outcome, explanation=explanation, corrected_pdf=data
    )
    return DisputeView.of(dispute, fb.clock(), [])


@router.get("/v1/agencies/{agency_code}/disputes", response_model=DisputePage)
async def agency_queue(
    agency_code: str,
    principal: CurrentPrincipal,
    fb: Deps,
    status: DisputeStatus | None = DisputeStatus.OPEN,
    escalated: bool | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> DisputePage:
    """The disputes of an issuing agency, the nearest deadline first (open ones by default; `escalated=true`
    is the supervisors' view). For the agency's officers and operators."""
    if not (principal.is_operator or (principal.is_officer and principal.agency_code == agency_code)):
        raise _forbidden("only officers of this agency can see its disputes")
    total, docs = await fb.disputes.list_for_agency(
        agency_code, status=status, escalated=escalated, limit=limit, skip=offset
    )
    now = fb.clock()
    return DisputePage(total=total, items=[DisputeView.of(d, now) for d in docs])


@router.get("/v1/documents/{document_id}/disputes", response_model=DocumentDisputes)
async def document_disputes(document_id: str, principal: CurrentPrincipal, fb: Deps) -> DocumentDisputes:
    """For the vault view and the "Lấy từ kho" dialog: may the owner dispute this document, and its disputes."""
    owners = principal.owner_ids()
    document = await fb.documents.get(document_id)
    refusal = refusal_to_dispute(document, owners)
    if refusal == Refusal.NOT_FOUND or document is None:
        raise not_found("document")
    _, docs = await fb.disputes.list_for_owners({document.owner_id}, document_id=document_id, limit=100)
    now = fb.clock()
    views = [DisputeView.of(d, now) for d in docs]
    open_id = next((v.dispute_id for v in views if v.status == DisputeStatus.OPEN.value), None)
    return DocumentDisputes(
        document_id=document_id,
        disputable=refusal is None and open_id is None,
        refusal=refusal.value if refusal else ("dispute_already_open" if open_id else None),
        open_dispute_id=open_id,
        disputes=views,
    )


@router.get("/v1/reports/disputes", response_model=DisputeReport)
async def report(
    principal: CurrentPrincipal,
    fb: Deps,
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
) -> DisputeReport:
    """Per issuing agency: disputes opened in the period (still open, escalated), resolved in the period (by
    outcome, within the deadline) and resolution times in hours. Dates are local days, both included."""
    if not principal.is_operator:
        raise _forbidden("reports are for operators")
    if period_to < period_from:
        raise ApiError(422, "bad_period", "`to` is before `from`", "Khoảng thời gian không hợp lệ")
    if (period_to - period_from).days > 3 * 366:
        raise ApiError(422, "period_too_long", "the period is longer than three years", "Khoảng thời gian quá dài")
    tz = fb.calendar.tz
    start = datetime.combine(period_from, time.min, tz)
    end = datetime.combine(period_to + timedelta(days=1), time.min, tz)
    stats = dispute_report(await fb.disputes.for_report(start, end), start, end)
    return DisputeReport(
        period_from=period_from,
        period_to=period_to,
        agencies=[AgencyStats.model_validate(s.as_dict()) for s in stats],
    )
