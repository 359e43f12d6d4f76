"""Electronic certification of copies from originals (chứng thực bản sao điện tử từ bản chính).

A request carries the scan (uploaded by the owner, or by the officer from the original at the desk). The
certifying officer compares it with the original and decides. A certified copy takes the next number of
the agency's electronic certification book (a sequence per year, never repeated; the numbers are slots kept
permanently), its fee (2,000 VND a page for pages 1-2, 1,000 from page 3, at most 200,000 a copy), and the
certification statement in the signature stamp; the signature service signs it with the agency's key, it is
stored, and CertifiedCopyIssued puts it into the owner's vault."""

from __future__ import annotations

import uuid
from typing import Any

from kho_contracts.common import OwnerKind, identity_kind
from kho_contracts.events import CertifiedCopyIssued

from kho_submission.adapters.pdf import count_pages, is_pdf
from kho_submission.adapters.repository import CERTIFICATIONS
from kho_submission.adapters.signature_client import SignRequest
from kho_submission.domain.errors import Conflict, Forbidden, Invalid, NotFound
from kho_submission.domain.fees import certification_fee
from kho_submission.service_layer.context import Caller, Context

REQUESTED, CERTIFIED, REFUSED = "requested", "certified", "refused"


def _not_found() -> NotFound:
    return NotFound("certification request not found", "Không tìm thấy yêu cầu chứng thực")


async def request(
    ctx: Context,
    caller: Caller,
    *,
    agency_code: str,
    owner_id: str | None,
    document_name: str,
    source_document_code: str | None,
    copies: int,
    scan: bytes,
) -> dict[str, Any]:
    p = caller.principal
    if p.is_officer:
        caller.require_officer(agency_code, "certifying")
        if not owner_id:
            raise Invalid("owner_id is required", "Cần nhập số định danh của người yêu cầu", code="owner_required")
        owner = owner_id
    elif p.actor in ("citizen", "organization") and p.identity_number:
        owner = owner_id or p.identity_number
        if owner not in p.owner_ids():
            raise Forbidden(
                "not authorized for this owner",
                "Bạn không được ủy quyền cho chủ giấy tờ này",
                code="not_authorized_for_owner",
            )
    else:
        raise Forbidden("citizens or certifying officers only", "Bạn không có quyền yêu cầu chứng thực")
    if identity_kind(owner) is None:
        raise Invalid("owner_id is not an identity number", "Số định danh không hợp lệ", code="bad_owner")
    agency = await ctx.catalogue.agency(agency_code)
    if agency is None or not agency.certifies_copies or not agency.active:
        raise Invalid(
            f"agency {agency_code} does not certify copies",
            "Cơ quan này không thực hiện chứng thực",
            code="not_certifying",
        )
    if not is_pdf(scan):
        raise Invalid("the scan must be a PDF", "Bản quét phải là tệp PDF", code="not_pdf")
    if not 1 <= copies <= 50:
        raise Invalid("copies must be between 1 and 50", "Số bản sao phải từ 1 đến 50", code="bad_copies")
    certification_id = str(uuid.uuid4())
    ref = await ctx.files.put(f"scans/{certification_id}.pdf", scan)
    pages = count_pages(scan)
    now = ctx.clock()
    doc = {
        "_id": certification_id,
        "status": REQUESTED,
        "agency_code": agency.code,
        "agency_name": agency.name,
        "owner_id": owner,
        "owner_kind": (identity_kind(owner) or OwnerKind.CITIZEN).value,
        "owner_name": p.name if owner == p.identity_number else None,
        "requested_by": caller.who,
        "document_name": document_name,
        "source_document_code": source_document_code,
        "copies": copies,
        "pages": pages,
        "fee_vnd": certification_fee(pages, copies),
        "scan": ref.model_dump(),
        "requested_at": now,
        "history": [{"at": now, "by": caller.who, "action": "requested"}],
    }
    await ctx.certifications.insert(doc)
    return doc


async def load(ctx: Context, caller: Caller, certification_id: str) -> dict[str, Any]:
    doc = await ctx.certifications.get(certification_id)
    p = caller.principal
    if doc is None:
        raise _not_found()
    if (p.is_officer and p.agency_code == doc["agency_code"]) or doc["owner_id"] in p.owner_ids():
        return doc
    raise _not_found()


async def decide(
    ctx: Context, caller: Caller, certification_id: str, *, approve: bool, reason: str | None, pages: int | None
) -> dict[str, Any]:
    doc = await load(ctx, caller, certification_id)
    caller.require_officer(doc["agency_code"], "certifying")
    async with ctx.locks.hold(certification_id, CERTIFICATIONS):
        doc = await ctx.certifications.get(certification_id) or doc
        if doc["status"] != REQUESTED:
            raise Conflict(
                f"the request is already {doc['status']}", "Yêu cầu chứng thực đã được xử lý", code="already_decided"
            )
        now = ctx.clock()
        if not approve:
            if not reason:
                raise Invalid("a reason is required to refuse", "Cần nêu lý do từ chối", code="reason_required")
            await ctx.certifications.update(
                certification_id,
                {"status": REQUESTED},
                {
                    "$set": {"status": REFUSED, "reason": reason, "decided_at": now},
                    "$push": {"history": {"at": now, "by": caller.who, "action": "refused", "reason": reason}},
                },
            )
            return await ctx.certifications.get(certification_id) or doc
        agency = await ctx.catalogue.agency(doc["agency_code"])
        if agency is None:
            raise Invalid("agency no longer exists", "Cơ quan không còn tồn tại")
        pages = pages or doc["pages"]
        fee = certification_fee(pages, doc["copies"])
        today = ctx.settings.local_today(now)
        book = ctx.settings.certification_book_code
        number = int((await ctx.numbers.take(f"{agency.code}:{book}:{today.year}", certification_id))["n"])
        statement = (
            f"Chứng thực bản sao đúng với bản chính. Số chứng thực: {number}, quyển số {today.year}-{book}",
            f"Ngày {today:%d/%m/%Y}. Phí: {fee:,} đồng".replace(",", "."),
        )
        scan = await ctx.files.get(doc["scan"]["key"])
        signed = await ctx.signature.sign(
            caller.token,
            SignRequest(
                pdf=scan,
                profile=agency.signing_profile or ctx.settings.certified_copy_signing_profile,
                agency_code=agency.code,
                reason="Chứng thực bản sao từ bản chính",
                heading="BẢN SAO ĐIỆN TỬ ĐƯỢC CHỨNG THỰC TỪ BẢN CHÍNH",
                lines=statement,
                filename=f"{certification_id}.pdf",
                level=ctx.settings.signature_level or None,
            ),
        )
        ref = await ctx.files.put(f"certified/{certification_id}.pdf", signed)
        event = CertifiedCopyIssued(
            result_id=certification_id,
            owner_id=doc["owner_id"],
            owner_kind=OwnerKind(doc["owner_kind"]),
            owner_name=doc.get("owner_name") or doc["owner_id"],
            agency_code=agency.code,
            agency_name=agency.name,
            name=f"Bản sao được chứng thực từ bản chính: {doc['document_name']}",
            category_code="BSCT",
            document_number=f"{number}/{today.year}-{book}",
            issue_date=today,
            file=ref,
            pages=max(pages, count_pages(signed)),
            certification_number=number,
            book_code=book,
            book_year=today.year,
            source_document_code=doc.get("source_document_code"),
            fee_vnd=fee,
        )
        await ctx.certifications.update(
            certification_id,
            {"status": REQUESTED},
            {
                "$set": {
                    "status": CERTIFIED,
                    "certification_number": number,
                    "book_code": book,
                    "book_year": today.year,
                    "fee_vnd": fee,
                    "pages": pages,
                    "certified_copy": ref.model_dump(),
                    "decided_at": now,
                    "statement": list(statement),
                },
                "$push": {"history": {"at": now, "by": caller.who, "action": "certified", "number": number}},
            },
            [ctx.record(event)],
        )
    ctx.wake(CERTIFICATIONS, certification_id)
    return await ctx.certifications.get(certification_id) or doc


async def book(ctx: Context, caller: Caller, agency_code: str, year: int) -> list[dict[str, Any]]:
    """The agency's electronic certification book for a year: every number given, in order."""
    caller.require_officer(agency_code, "certifying")
    slots = await ctx.numbers.numbers(f"{agency_code}:{ctx.settings.certification_book_code}:{year}")
    return [{"number": s["n"], "certification_id": s["holder"], "taken_at": s["taken_at"]} for s in slots]
