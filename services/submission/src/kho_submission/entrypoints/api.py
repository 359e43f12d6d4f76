"""HTTP API of the submission service: the catalogue, the citizen's dossiers, the agency's desk,
certification of copies and the reuse KPI. Handlers only translate requests into use cases."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, UploadFile
from fastapi.responses import Response
from kho_contracts.common import DocumentType
from pydantic import BaseModel, Field

from kho_submission.domain.catalogue import Agency, Area, Procedure
from kho_submission.domain.errors import Forbidden, Invalid, NotFound
from kho_submission.domain.lifecycle import Status
from kho_submission.entrypoints.deps import Ctx, Who
from kho_submission.service_layer import catalogue as catalogue_uc
from kho_submission.service_layer import certification as cert_uc
from kho_submission.service_layer import dossiers as dossier_uc
from kho_submission.service_layer import front_desk as desk_uc
from kho_submission.service_layer import indicators as kpi_uc

MAX_FILE = 30 * 1024 * 1024
HIDDEN = {"applied_events", "outbox", "outbox_pending", "outbox_lease_until", "outbox_lease_owner"}


def view(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in HIDDEN and k != "_id"}
    out["id"] = doc["_id"]
    return out


async def read_file(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise Invalid("the file is larger than 30 MB", "Tệp tin vượt quá 30 MB", code="file_too_large")
    return data


def operator_only(who: Who) -> None:
    if not who.principal.is_operator:
        raise Forbidden("operators only", "Chỉ quản trị viên được thực hiện thao tác này", code="operators_only")


# --- catalogue -------------------------------------------------------------------------------------------

catalogue = APIRouter(prefix="/v1", tags=["catalogue"])


@catalogue.get("/procedures")
async def list_procedures(ctx: Ctx, q: str | None = None, agency_code: str | None = None) -> list[dict[str, Any]]:
    procedures = await ctx.catalogue.procedures(q)
    if agency_code:
        agency = await ctx.catalogue.agency(agency_code)
        procedures = [p for p in procedures if agency and p.received_by(agency)]
    return [p.model_dump(mode="json") for p in procedures]


@catalogue.get("/procedures/{code}")
async def get_procedure(code: str, ctx: Ctx) -> dict[str, Any]:
    procedure = await ctx.catalogue.procedure(code)
    if procedure is None:
        raise NotFound(f"unknown procedure {code}", "Thủ tục hành chính không tồn tại", code="unknown_procedure")
    agencies = [a.model_dump(mode="json") for a in await ctx.catalogue.agencies() if procedure.received_by(a)]
    return {**procedure.model_dump(mode="json"), "receiving_agencies": agencies}


@catalogue.put("/procedures/{code}")
async def put_procedure(code: str, body: Procedure, ctx: Ctx, who: Who) -> dict[str, Any]:
    operator_only(who)
    if body.code != code:
        raise Invalid("the code in the path and the body differ", "Mã thủ tục không khớp", code="code_mismatch")
    await ctx.catalogue.save_procedure(body)
    return body.model_dump(mode="json")


@catalogue.post("/catalogue/import")
async def import_catalogue(body: dict[str, Any], ctx: Ctx, who: Who) -> dict[str, int]:
    """Imports procedures, agencies and areas in the national catalogue's format (MaTTHC, TenTTHC, ...)."""
    operator_only(who)
    return await catalogue_uc.load(ctx.catalogue, catalogue_uc.parse(body))


@catalogue.get("/agencies")
async def list_agencies(ctx: Ctx) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json") for a in await ctx.catalogue.agencies()]


@catalogue.put("/agencies/{code}")
async def put_agency(code: str, body: Agency, ctx: Ctx, who: Who) -> dict[str, Any]:
    operator_only(who)
    if body.code != code:
        raise Invalid("the code in the path and the body differ", "Mã cơ quan không khớp", code="code_mismatch")
    if await ctx.catalogue.area(body.area_code) is None:
        raise Invalid(f"unknown area {body.area_code}", "Đơn vị hành chính không tồn tại", code="unknown_area")
    await ctx.catalogue.save_agency(body)
    return body.model_dump(mode="json")


@catalogue.get("/areas")
async def list_areas(ctx: Ctx) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json") for a in await ctx.catalogue.areas()]


@catalogue.put("/areas/{code}")
async def put_area(code: str, body: Area, ctx: Ctx, who: Who) -> dict[str, Any]:
    operator_only(who)
    if body.code != code:
        raise Invalid("the code in the path and the body differ", "Mã đơn vị không khớp", code="code_mismatch")
    await ctx.catalogue.save_area(body)
    return body.model_dump(mode="json")


# --- the citizen's dossiers ------------------------------------------------------------------------------

dossiers = APIRouter(prefix="/v1/dossiers", tags=["dossiers"])


class NewDossier(BaseModel):
    procedure_code: str = Field(max_length=20)
    agency_code: str = Field(max_length=40)
    case_code: str | None = Field(default=None, max_length=40)
    owner_id: str | None = Field(default=None, max_length=14, description="defaults to the caller")
    result_delivery: str = "online"
    delivery_address: str | None = Field(default=None, max_length=500)


class Pick(BaseModel):
    document_id: str = Field(min_length=1, max_length=100)


class Delivery(BaseModel):
    result_delivery: str
    delivery_address: str | None = Field(default=None, max_length=500)


class Reason(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


@dossiers.post("", status_code=201)
async def create_dossier(body: NewDossier, ctx: Ctx, who: Who) -> dict[str, Any]:
    """A draft with its components filled from the owner's vault (attached, suggestions, or to upload)."""
    doc = await dossier_uc.create_draft(ctx, who, **body.model_dump())
    return {**view(doc), "review": await dossier_uc.review(ctx, doc)}


@dossiers.get("")
async def my_dossiers(
    ctx: Ctx, who: Who, limit: int = Query(20, ge=1, le=100), skip: int = Query(0, ge=0)
) -> dict[str, Any]:
    p = who.principal
    ids = sorted(p.owner_ids())
    filter_ = {"$or": [{"owner_id": {"$in": ids}}, {"applicant_id": p.identity_number or "-"}]}
    items = await ctx.dossiers.find(filter_, limit=limit, skip=skip)
    drafts = await ctx.dossiers.drafts(filter_) if skip == 0 else []
    return {
        "total": await ctx.dossiers.count(filter_),
        "items": [view(d) for d in items],
        "drafts": [view(d) for d in drafts],
    }


@dossiers.get("/{dossier_id}")
async def get_dossier(dossier_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await dossier_uc.load(ctx, who, dossier_id))


@dossiers.get("/{dossier_id}/review")
async def review_dossier(dossier_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return await dossier_uc.review(ctx, await dossier_uc.load(ctx, who, dossier_id))


@dossiers.put("/{dossier_id}/components/{code}")
async def pick_component(dossier_id: str, code: str, body: Pick, ctx: Ctx, who: Who) -> dict[str, Any]:
    """Lấy từ kho: attach one of the owner's fitting documents."""
    dossier = await dossier_uc.load(ctx, who, dossier_id)
    dossier_uc.require_owner_side(who, dossier)
    editable = {Status.DRAFT, Status.SUPPLEMENT_REQUESTED}
    doc = await dossier_uc.pick_document(ctx, who, dossier, code, body.document_id, editable=editable)
    return await dossier_uc.review(ctx, doc)


@dossiers.post("/{dossier_id}/components/{code}/upload")
async def upload_component(
    dossier_id: str, code: str, ctx: Ctx, who: Who, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """A new file for a component: it goes into the owner's vault."""
    dossier = await dossier_uc.load(ctx, who, dossier_id)
    dossier_uc.require_owner_side(who, dossier)
    doc = await dossier_uc.upload_component(
        ctx,
        who,
        dossier,
        code,
        filename=file.filename or "upload.pdf",
        content=await read_file(file),
        content_type=file.content_type or "application/pdf",
        document_type=DocumentType.OWN_UPLOAD,
        editable={Status.DRAFT, Status.SUPPLEMENT_REQUESTED},
    )
    return await dossier_uc.review(ctx, doc)


@dossiers.patch("/{dossier_id}")
async def change_delivery(dossier_id: str, body: Delivery, ctx: Ctx, who: Who) -> dict[str, Any]:
    dossier = await dossier_uc.load(ctx, who, dossier_id)
    await dossier_uc.update_delivery(ctx, who, dossier, body.result_delivery, body.delivery_address)
    return view(await dossier_uc.load(ctx, who, dossier_id))


@dossiers.post("/{dossier_id}/submit")
async def submit_dossier(
    dossier_id: str,
    ctx: Ctx,
    who: Who,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> dict[str, Any]:
    if not idempotency_key:
        raise Invalid(
            "the Idempotency-Key header is required",
            "Thiếu khóa chống nộp trùng (Idempotency-Key)",
            code="no_idempotency_key",
        )
    doc = await dossier_uc.submit(ctx, who, dossier_id, idempotency_key)
    return {"id": doc["_id"], "code": doc["code"], "status": doc["status"], "submitted_at": doc.get("submitted_at")}


@dossiers.post("/{dossier_id}/withdraw")
async def withdraw_dossier(dossier_id: str, body: Reason, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await dossier_uc.withdraw(ctx, who, dossier_id, body.reason))


@dossiers.post("/{dossier_id}/supplement")
async def send_supplement(dossier_id: str, ctx: Ctx, who: Who, body: dict[str, Any] | None = None) -> dict[str, Any]:
    note = str((body or {}).get("note") or "")[:2000] or None
    return view(await desk_uc.supplement(ctx, who, dossier_id, note))


# --- the agency's desk -----------------------------------------------------------------------------------

desk = APIRouter(prefix="/v1/agency", tags=["front desk"])


class SupplementBody(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)
    items: list[str] = Field(default_factory=list, max_length=50)


@desk.get("/dossiers")
async def agency_queue(
    ctx: Ctx, who: Who, status: Status | None = None, limit: int = Query(20, ge=1, le=100), skip: int = Query(0, ge=0)
) -> dict[str, Any]:
    page = await desk_uc.queue(ctx, who, status.value if status else None, limit, skip)
    return {"total": page["total"], "items": [view(d) for d in page["items"]]}


@desk.get("/dossiers/{dossier_id}")
async def agency_dossier(dossier_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await desk_uc.officer_view(ctx, who, dossier_id))


@desk.put("/dossiers/{dossier_id}/components/{code}")
async def agency_reuse(dossier_id: str, code: str, body: Pick, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await desk_uc.reuse(ctx, who, dossier_id, code, body.document_id))


@desk.post("/dossiers/{dossier_id}/components/{code}/digitize")
async def agency_digitize(
    dossier_id: str, code: str, ctx: Ctx, who: Who, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    content = await read_file(file)
    doc = await desk_uc.digitize(
        ctx, who, dossier_id, code, file.filename or "scan.pdf", content, file.content_type or "application/pdf"
    )
    return view(doc)


@desk.post("/dossiers/{dossier_id}/accept")
async def agency_accept(dossier_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await desk_uc.accept(ctx, who, dossier_id))


@desk.post("/dossiers/{dossier_id}/request-supplement")
async def agency_request_supplement(dossier_id: str, body: SupplementBody, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await desk_uc.request_supplement(ctx, who, dossier_id, body.reason, body.items))


@desk.post("/dossiers/{dossier_id}/reject")
async def agency_reject(dossier_id: str, body: Reason, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await desk_uc.reject(ctx, who, dossier_id, body.reason))


@desk.post("/dossiers/{dossier_id}/start-processing")
async def agency_start(dossier_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await desk_uc.start_processing(ctx, who, dossier_id))


@desk.post("/dossiers/{dossier_id}/result")
async def agency_issue_result(
    dossier_id: str,
    ctx: Ctx,
    who: Who,
    result_code: Annotated[str | None, Form()] = None,
    summary: Annotated[str | None, Form(max_length=1000)] = None,
    valid_months: Annotated[int | None, Form(ge=1, le=1200)] = None,
    file: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    """Issues the signed electronic result (the officer's PDF, or a generated one) into the owner's vault."""
    upload = await read_file(file) if file is not None else None
    doc = await desk_uc.issue_result(
        ctx, who, dossier_id, result_code=result_code, summary=summary, valid_months=valid_months, upload=upload
    )
    return view(doc)


@desk.post("/dossiers/{dossier_id}/return")
async def agency_return(dossier_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await desk_uc.return_result(ctx, who, dossier_id))


# --- certification of copies -----------------------------------------------------------------------------

certifications = APIRouter(prefix="/v1", tags=["certification"])


class Decision(BaseModel):
    approve: bool
    reason: str | None = Field(default=None, max_length=2000)
    pages: int | None = Field(default=None, ge=1, le=2000, description="pages counted by the officer")


@certifications.post("/certifications", status_code=201)
async def request_certification(
    ctx: Ctx,
    who: Who,
    agency_code: Annotated[str, Form(max_length=40)],
    document_name: Annotated[str, Form(min_length=1, max_length=300)],
    file: Annotated[UploadFile, File()],
    owner_id: Annotated[str | None, Form(max_length=14)] = None,
    source_document_code: Annotated[str | None, Form(max_length=200)] = None,
    copies: Annotated[int, Form(ge=1, le=50)] = 1,
) -> dict[str, Any]:
    doc = await cert_uc.request(
        ctx,
        who,
        agency_code=agency_code,
        owner_id=owner_id,
        document_name=document_name,
        source_document_code=source_document_code,
        copies=copies,
        scan=await read_file(file),
    )
    return view(doc)


@certifications.get("/certifications/{certification_id}")
async def get_certification(certification_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    return view(await cert_uc.load(ctx, who, certification_id))


@certifications.get("/agency/certifications")
async def agency_certifications(ctx: Ctx, who: Who, status: str | None = None) -> list[dict[str, Any]]:
    p = who.principal
    who.require_officer(p.agency_code or "", "certifying")
    filter_: dict[str, Any] = {"agency_code": p.agency_code}
    if status:
        filter_["status"] = status
    return [view(d) for d in await ctx.certifications.find(filter_)]


@certifications.post("/agency/certifications/{certification_id}/decision")
async def decide_certification(certification_id: str, body: Decision, ctx: Ctx, who: Who) -> dict[str, Any]:
    doc = await cert_uc.decide(ctx, who, certification_id, approve=body.approve, reason=body.reason, pages=body.pages)
    return view(doc)


@certifications.get("/agency/certification-book/{year}")
async def certification_book(year: int, ctx: Ctx, who: Who) -> list[dict[str, Any]]:
    return await cert_uc.book(ctx, who, who.principal.agency_code or "", year)


# --- reuse KPI -------------------------------------------------------------------------------------------

indicators = APIRouter(prefix="/v1/kpi", tags=["kpi"])


async def _report(
    ctx: Ctx, who: Who, start: date, end: date, agency_code: str | None, area_code: str | None, group_by: str
) -> dict[str, Any]:
    return await kpi_uc.indicators(
        ctx, who, agency_code=agency_code, area_code=area_code, start=start, end=end, group_by=group_by
    )


@indicators.get("/reuse")
async def reuse_kpi(
    ctx: Ctx,
    who: Who,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    agency_code: str | None = None,
    area_code: str | None = None,
    group_by: str = "agency",
) -> dict[str, Any]:
    report = await _report(ctx, who, start, end, agency_code, area_code, group_by)
    report.pop("_rows")
    return report


@indicators.get("/reuse.csv")
async def reuse_kpi_csv(
    ctx: Ctx,
    who: Who,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    agency_code: str | None = None,
    area_code: str | None = None,
) -> Response:
    report = await _report(ctx, who, start, end, agency_code, area_code, "agency")
    return Response(
        kpi_uc.as_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reuse-kpi-{start}-{end}.csv"'},
    )


ROUTERS = (catalogue, dossiers, desk, certifications, indicators)
