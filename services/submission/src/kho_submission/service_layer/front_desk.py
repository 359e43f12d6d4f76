"""The agency's side: the queue of received dossiers, reuse before digitizing, accept / request a
supplement / reject (each an event), processing, issuing a signed result into the owner's vault, and
returning it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from kho_contracts.common import DocumentType, OwnerKind
from kho_contracts.events import DossierAccepted, DossierRejected, ResultIssued, ResultReturned, SupplementRequested

from kho_submission.adapters.pdf import count_pages, is_pdf, simple_pdf
from kho_submission.adapters.repository import DOSSIERS
from kho_submission.adapters.signature_client import SignRequest
from kho_submission.domain import components as comp
from kho_submission.domain.errors import Conflict, Invalid
from kho_submission.domain.lifecycle import Status, transition
from kho_submission.service_layer import dossiers as citizen
from kho_submission.service_layer.context import Caller, Context

OFFICER_EDITABLE = {Status.RECEIVED, Status.ACCEPTED, Status.PROCESSING}


async def load_for_officer(ctx: Context, caller: Caller, dossier_id: str, role: str) -> dict[str, Any]:
    dossier = await ctx.dossiers.get(dossier_id)
    if dossier is None or dossier["status"] == Status.DRAFT.value or not citizen.can_see(caller, dossier):
        raise citizen._not_found()
    caller.require_officer(dossier["agency_code"], role)
    return dossier


async def queue(ctx: Context, caller: Caller, status: str | None, limit: int, skip: int) -> dict[str, Any]:
    p = caller.principal
    if not p.is_officer or not p.agency_code:
        caller.require_officer("", "front_desk")
    filter_: dict[str, Any] = {"agency_code": p.agency_code, "status": {"$ne": Status.DRAFT.value}}
    if status:
        filter_["status"] = Status(status).value
    items = await ctx.dossiers.find(filter_, limit=limit, skip=skip, sort="submitted_at")
    total = await ctx.dossiers.count(filter_)
    return {"total": total, "items": items}


async def officer_view(ctx: Context, caller: Caller, dossier_id: str) -> dict[str, Any]:
    """The dossier with, per component, what the owner's vault holds now (reuse before digitizing)."""
    dossier = await ctx.dossiers.get(dossier_id)
    if dossier is None or dossier["status"] == Status.DRAFT.value or not citizen.can_see(caller, dossier):
        raise citizen._not_found()
    if not caller.principal.is_officer:
        raise citizen._not_found()
    procedure = await ctx.catalogue.procedure(dossier["procedure_code"])
    specs = list(procedure.components) if procedure else []
    found = await citizen.fresh_candidates(ctx, caller, dossier["owner_id"], specs) if specs else {}
    disputed = await ctx.disputed.among(
        [c.document_id for cands in found.values() for c in cands] + list(dossier.get("document_ids", []))
    )
    on = ctx.settings.local_today(ctx.clock())
    parts = []
    for component in dossier["components"]:
        usable = [c for c in found.get(component["code"], []) if c.usable(on, disputed)]
        state = comp.review(component, on, disputed)
        parts.append(
            {
                **component,
                "state": state.value,
                "vault_candidates": [c.model_dump(mode="json") for c in usable],
                "reuse_before_digitizing": not component.get("document") and bool(usable),
            }
        )
    return {**dossier, "components": parts}


async def reuse(ctx: Context, caller: Caller, dossier_id: str, code: str, document_id: str) -> dict[str, Any]:
    dossier = await load_for_officer(ctx, caller, dossier_id, "front_desk")
    return await citizen.pick_document(ctx, caller, dossier, code, document_id, editable=OFFICER_EDITABLE)


async def digitize(
    ctx: Context, caller: Caller, dossier_id: str, code: str, filename: str, content: bytes, content_type: str
) -> dict[str, Any]:
    dossier = await load_for_officer(ctx, caller, dossier_id, "front_desk")
    if not is_pdf(content):
        raise Invalid("the scan must be a PDF", "Bản quét phải là tệp PDF", code="not_pdf")
    return await citizen.upload_component(
        ctx,
        caller,
        dossier,
        code,
        filename=filename,
        content=content,
        content_type=content_type,
        document_type=DocumentType.DIGITIZED_COMPONENT,
        editable=OFFICER_EDITABLE,
    )


def _base(dossier: dict[str, Any]) -> dict[str, Any]:
    return {
        "dossier_id": dossier["_id"],
        "dossier_code": dossier["code"],
        "procedure_code": dossier["procedure_code"],
        "agency_code": dossier["agency_code"],
        "owner_id": dossier["owner_id"],
        "applicant_id": dossier["applicant_id"],
    }


async def _move(
    ctx: Context,
    caller: Caller,
    dossier: dict[str, Any],
    action: str,
    role: str,
    *,
    set_: dict[str, Any] | None = None,
    events: list[Any] | None = None,
    note: dict[str, Any] | None = None,
) -> dict[str, Any]:
    target = transition(dossier["status"], action, role)
    now = ctx.clock()
    async with ctx.locks.hold(dossier["_id"]):
        ok = await ctx.dossiers.update(
            dossier["_id"],
            {"status": dossier["status"]},
            {
                "$set": {"status": target.value, "updated_at": now, **(set_ or {})},
                "$push": {
                    "history": {
                        "at": now,
                        "by": caller.who,
                        "action": action,
                        "from": dossier["status"],
                        **(note or {}),
                    }
                },
            },
            [ctx.record(e) for e in events or []],
        )
    if not ok:
        raise Conflict("the dossier changed meanwhile", "Hồ sơ vừa được cập nhật, vui lòng thử lại")
    ctx.wake(DOSSIERS, dossier["_id"])
    return await ctx.dossiers.get(dossier["_id"]) or dossier


def _role_for(caller: Caller, allowed: tuple[str, ...]) -> str:
    return next((r for r in allowed if caller.principal.has_role(r)), allowed[0])


async def accept(ctx: Context, caller: Caller, dossier_id: str) -> dict[str, Any]:
    dossier = await load_for_officer(ctx, caller, dossier_id, "front_desk")
    now = ctx.clock()
    due = date.fromisoformat(dossier["due_date"]) if dossier.get("due_date") else None
    event = DossierAccepted(**_base(dossier), officer_id=caller.who, accepted_at=now, due_date=due)
    return await _move(ctx, caller, dossier, "accept", "front_desk", events=[event])


async def request_supplement(
    ctx: Context, caller: Caller, dossier_id: str, reason: str, items: list[str]
) -> dict[str, Any]:
    dossier = await ctx.dossiers.get(dossier_id)
    if dossier is None or not citizen.can_see(caller, dossier) or dossier["status"] == Status.DRAFT.value:
        raise citizen._not_found()
    role = _role_for(caller, ("front_desk", "processing"))
    caller.require_officer(dossier["agency_code"], role)
    unknown = [i for i in items if i not in {c["code"] for c in dossier["components"]}]
    if unknown:
        raise Invalid(
            f"unknown components {unknown}", "Thành phần hồ sơ không thuộc thủ tục này", code="unknown_component"
        )
    event = SupplementRequested(
        **_base(dossier), officer_id=caller.who, reason=reason, items=items, requested_at=ctx.clock()
    )
    return await _move(
        ctx,
        caller,
        dossier,
        "request_supplement",
        role,
        events=[event],
        note={"reason": reason, "items": items},
        set_={"supplement": {"reason": reason, "items": items}},
    )


async def reject(ctx: Context, caller: Caller, dossier_id: str, reason: str) -> dict[str, Any]:
    dossier = await ctx.dossiers.get(dossier_id)
    if dossier is None or not citizen.can_see(caller, dossier) or dossier["status"] == Status.DRAFT.value:
        raise citizen._not_found()
    role = _role_for(caller, ("front_desk", "processing"))
    caller.require_officer(dossier["agency_code"], role)
    event = DossierRejected(**_base(dossier), officer_id=caller.who, reason=reason, rejected_at=ctx.clock())
    return await _move(ctx, caller, dossier, "reject", role, events=[event], note={"reason": reason})


async def start_processing(ctx: Context, caller: Caller, dossier_id: str) -> dict[str, Any]:
    dossier = await load_for_officer(ctx, caller, dossier_id, "processing")
    return await _move(ctx, caller, dossier, "start_processing", "processing")


async def supplement(ctx: Context, caller: Caller, dossier_id: str, note: str | None) -> dict[str, Any]:
    """The citizen sends the supplemented dossier back (after replacing the components asked for)."""
    dossier = await citizen.load(ctx, caller, dossier_id)
    citizen.require_owner_side(caller, dossier)
    on = ctx.settings.local_today(ctx.clock())
    problems = comp.blocking_problems(
        dossier["components"], on, await ctx.disputed.among(dossier.get("document_ids", []))
    )
    if problems:
        raise Invalid(
            "the dossier is still incomplete", "Hồ sơ chưa đầy đủ", code="dossier_incomplete", problems=problems
        )
    return await _move(ctx, caller, dossier, "supplement", "owner", note={"note": note})


async def issue_result(
    ctx: Context,
    caller: Caller,
    dossier_id: str,
    *,
    result_code: str | None,
    summary: str | None,
    valid_months: int | None,
    upload: bytes | None,
) -> dict[str, Any]:
    """A signed electronic result: the officer's PDF or a generated one, signed with the agency's key by the
    signature service, stored in the object store, then ResultIssued (hidden until returned) for the vault."""
    dossier = await load_for_officer(ctx, caller, dossier_id, "issuing")
    transition(dossier["status"], "issue_result", "issuing")
    procedure = await ctx.catalogue.procedure(dossier["procedure_code"])
    agency = await ctx.catalogue.agency(dossier["agency_code"])
    if procedure is None or agency is None:
        raise Invalid("procedure or agency no longer exists", "Thủ tục hoặc cơ quan không còn tồn tại")
    result = (
        next((r for r in procedure.results if r.code == result_code), None)
        if result_code
        else (procedure.results[0] if procedure.results else None)
    )
    if result is None:
        raise Invalid(
            f"procedure {procedure.code} does not produce result {result_code}",
            "Thủ tục không có loại kết quả này",
            code="unknown_result",
        )
    if upload is not None and not is_pdf(upload):
        raise Invalid("the result must be a PDF", "Kết quả phải là tệp PDF", code="not_pdf")
    now = ctx.clock()
    today = ctx.settings.local_today(now)
    result_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kho:result:{dossier['_id']}:{result.code}"))
    number = int((await ctx.numbers.take(f"{agency.code}:KQ:{today.year}", result_id))["n"])
    document_number = f"{number:04d}/{today.year}"
    pdf = upload or simple_pdf(
        result.name.upper(),
        [
            f"Co quan cap: {agency.name}",
            f"So: {document_number}",
            f"Ngay cap: {today:%d/%m/%Y}",
            f"Chu ho so: {dossier.get('owner_name') or ''} - so dinh danh {dossier['owner_id']}",
            f"Thu tuc: {procedure.code} {procedure.name}",
            f"Ho so: {dossier['code']}",
            f"Ma loai ket qua: {result.code}",
            f"Trich yeu: {summary or result.name}",
        ],
    )
    signed = await ctx.signature.sign(
        caller.token,
        SignRequest(
            pdf=pdf,
            profile=agency.signing_profile or ctx.settings.result_signing_profile,
            agency_code=agency.code,
            reason=f"Kết quả giải quyết hồ sơ {dossier['code']}",
            heading=agency.name.upper(),
            lines=(f"Số: {document_number}", f"Ngày: {today:%d/%m/%Y}"),
            filename=f"{result_id}.pdf",
            level=ctx.settings.signature_level or None,
        ),
    )
    ref = await ctx.files.put(f"results/{dossier['_id']}/{result_id}.pdf", signed)
    months = valid_months or result.valid_months
    event = ResultIssued(
        result_id=result_id,
        owner_id=dossier["owner_id"],
        owner_kind=OwnerKind(dossier["owner_kind"]),
        owner_name=dossier.get("owner_name") or dossier["owner_id"],
        agency_code=agency.code,
        agency_name=agency.name,
        name=result.name,
        category_code=result.category_code,
        document_number=document_number,
        issue_date=today,
        valid_until=today + timedelta(days=30 * months) if months else None,
        file=ref,
        pages=count_pages(signed),
        dossier_id=dossier["_id"],
        dossier_code=dossier["code"],
        procedure_code=procedure.code,
        result_code=result.code,
        summary=summary,
        hidden_until_returned=True,
    )
    stored = {
        "result_id": result_id,
        "result_code": result.code,
        "name": result.name,
        "document_number": document_number,
        "file": ref.model_dump(),
        "issued_at": now,
        "issued_by": caller.who,
    }
    return await _move(
        ctx,
        caller,
        dossier,
        "issue_result",
        "issuing",
        events=[event],
        set_={"results": [*dossier.get("results", []), stored]},
        note={"result_id": result_id},
    )


async def return_result(ctx: Context, caller: Caller, dossier_id: str) -> dict[str, Any]:
    dossier = await load_for_officer(ctx, caller, dossier_id, "front_desk")
    event = ResultReturned(
        **_base(dossier), result_ids=[r["result_id"] for r in dossier.get("results", [])], returned_at=ctx.clock()
    )
    return await _move(
        ctx, caller, dossier, "return_result", "front_desk", events=[event], set_={"returned_at": ctx.clock()}
    )
