"""The citizen's online dossier: choose the procedure, agency and case, the applicant and owner; the
components are filled from the owner's vault (one fitting document attached, several suggested, none to
upload); review; submit with an idempotency key for a gap-free dossier code."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from kho_contracts.common import DocumentType, OwnerKind, identity_kind
from kho_contracts.events import DossierSubmitted

from kho_submission.adapters.vault_client import ComponentQuery, Upload
from kho_submission.domain import components as comp
from kho_submission.domain.catalogue import Agency, ComponentSpec, Procedure
from kho_submission.domain.errors import Conflict, Forbidden, Invalid, NotFound
from kho_submission.domain.lifecycle import OPEN_STATUSES, Status, dossier_code, transition
from kho_submission.service_layer.context import Caller, Context

DELIVERIES = ("online", "post", "front_desk")


def _not_found() -> NotFound:
    return NotFound("dossier not found", "Không tìm thấy hồ sơ")


def can_see(caller: Caller, dossier: dict[str, Any]) -> bool:
    p = caller.principal
    if p.is_officer:
        return bool(p.agency_code == dossier["agency_code"])
    if p.is_operator:
        return True
    return bool(dossier["owner_id"] in p.owner_ids() or dossier["applicant_id"] == p.identity_number)


def require_owner_side(caller: Caller, dossier: dict[str, Any]) -> None:
    p = caller.principal
    if p.actor not in ("citizen", "organization") or not (
        dossier["owner_id"] in p.owner_ids() or dossier["applicant_id"] == p.identity_number
    ):
        raise _not_found()


async def load(ctx: Context, caller: Caller, dossier_id: str) -> dict[str, Any]:
    dossier = await ctx.dossiers.get(dossier_id)
    if dossier is None or not can_see(caller, dossier):
        raise _not_found()
    return dossier


async def procedure_and_agency(ctx: Context, procedure_code: str, agency_code: str) -> tuple[Procedure, Agency]:
    procedure = await ctx.catalogue.procedure(procedure_code)
    if procedure is None or not procedure.active:
        raise NotFound(
            f"unknown procedure {procedure_code}", "Thủ tục hành chính không tồn tại", code="unknown_procedure"
        )
    agency = await ctx.catalogue.agency(agency_code)
    if agency is None or not procedure.received_by(agency):
        raise Invalid(
            f"agency {agency_code} does not receive procedure {procedure_code}",
            "Cơ quan được chọn không giải quyết thủ tục này",
            code="agency_not_competent",
        )
    return procedure, agency


def _queries(specs: list[ComponentSpec]) -> list[ComponentQuery]:
    return [ComponentQuery(s.code, s.category_codes, s.result_codes) for s in specs]


async def fresh_candidates(
    ctx: Context, caller: Caller, owner_id: str, specs: list[ComponentSpec]
) -> dict[str, list[comp.Candidate]]:
    return await ctx.vault.candidates(caller.token, owner_id, ctx.settings.local_today(ctx.clock()), _queries(specs))


def _document_ids(components: list[dict[str, Any]]) -> list[str]:
    return sorted({c["document"]["document_id"] for c in components if c.get("document")})


async def create_draft(
    ctx: Context,
    caller: Caller,
    *,
    procedure_code: str,
    agency_code: str,
    case_code: str | None,
    owner_id: str | None,
    result_delivery: str,
    delivery_address: str | None = None,
) -> dict[str, Any]:
    p = caller.principal
    if p.actor not in ("citizen", "organization") or not p.identity_number:
        raise Forbidden(
            "only citizens and organizations submit online dossiers",
            "Chỉ công dân, tổ chức mới nộp hồ sơ trực tuyến",
            code="owners_only",
        )
    owner = owner_id or p.identity_number
    if owner not in p.owner_ids():
        raise Forbidden(
            f"the caller is not authorized to submit for owner {owner}",
            "Bạn không được ủy quyền nộp hồ sơ cho chủ hồ sơ này",
            code="not_authorized_for_owner",
        )
    if result_delivery not in DELIVERIES:
        raise Invalid(
            f"result_delivery must be one of {DELIVERIES}", "Hình thức nhận kết quả không hợp lệ", code="bad_delivery"
        )
    procedure, agency = await procedure_and_agency(ctx, procedure_code, agency_code)
    case = procedure.case(case_code) if case_code else procedure.cases[0]
    if case is None:
        raise Invalid(
            f"procedure {procedure.code} has no case {case_code}", "Trường hợp giải quyết không hợp lệ", code="bad_case"
        )
    specs = list(procedure.components)
    found = await fresh_candidates(ctx, caller, owner, specs)
    on = ctx.settings.local_today(ctx.clock())
    all_ids = [c.document_id for cands in found.values() for c in cands]
    disputed = await ctx.disputed.among(all_ids)
    parts = [comp.resolve(spec, found.get(spec.code, []), on, disputed) for spec in specs]
    now = ctx.clock()
    dossier_id = str(uuid.uuid4())
    owner_kind = identity_kind(owner) or OwnerKind.CITIZEN
    doc: dict[str, Any] = {
        "_id": dossier_id,
        "code": None,
        "status": Status.DRAFT.value,
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "returns_document": procedure.returns_document,
        "case_code": case.code,
        "case_name": case.name,
        "processing_days": case.processing_days,
        "fee_vnd": case.fee_vnd,
        "agency_code": agency.code,
        "agency_name": agency.name,
        "area_code": agency.area_code,
        "owner_id": owner,
        "owner_kind": owner_kind.value,
        "owner_name": p.name if owner == p.identity_number else None,
        "applicant_id": p.identity_number,
        "applicant_name": p.name,
        "result_delivery": result_delivery,
        "delivery_address": delivery_address,
        "components": parts,
        "document_ids": _document_ids(parts),
        "results": [],
        "dispute_flags": [],
        "created_at": now,
        "updated_at": now,
        "created_by": caller.who,
        "history": [{"at": now, "by": caller.who, "action": "draft_created"}],
    }
    await ctx.dossiers.insert_draft(doc)
    return doc


def _component(dossier: dict[str, Any], code: str) -> tuple[int, dict[str, Any]]:
    for index, component in enumerate(dossier["components"]):
        if component["code"] == code:
            return index, component
    raise Invalid(
        f"component {code} is not part of procedure {dossier['procedure_code']}",
        "Thành phần hồ sơ không thuộc thủ tục này",
        code="unknown_component",
    )


async def _spec(ctx: Context, dossier: dict[str, Any], code: str) -> ComponentSpec:
    procedure = await ctx.catalogue.procedure(dossier["procedure_code"])
    spec = procedure.component(code) if procedure else None
    if spec is None:
        raise Invalid(
            f"component {code} is not part of procedure {dossier['procedure_code']}",
            "Thành phần hồ sơ không thuộc thủ tục này",
            code="unknown_component",
        )
    return spec


async def pick_document(
    ctx: Context, caller: Caller, dossier: dict[str, Any], code: str, document_id: str, *, editable: set[Status]
) -> dict[str, Any]:
    """Attaches a document of the owner's vault ("Lấy từ kho"). It must be one of the vault's fitting
    documents for this owner and component (asked again now), neither expired nor disputed."""
    _component(dossier, code)
    spec = await _spec(ctx, dossier, code)
    found = (await fresh_candidates(ctx, caller, dossier["owner_id"], [spec])).get(code, [])
    chosen = next((c for c in found if c.document_id == document_id), None)
    if chosen is None:
        raise Invalid(
            f"document {document_id} is not a fitting document of owner {dossier['owner_id']} for component {code}",
            "Giấy tờ được chọn không thuộc kho dữ liệu của chủ hồ sơ hoặc không phù hợp với thành phần hồ sơ",
            code="document_not_fitting",
        )
    on = ctx.settings.local_today(ctx.clock())
    if document_id in await ctx.disputed.among([document_id]):
        raise Invalid(
            f"document {document_id} has an open dispute", "Giấy tờ đang bị phản ánh, chưa thể sử dụng", code="disputed"
        )
    if chosen.valid_until is not None and chosen.valid_until < on:
        raise Invalid(
            f"document {document_id} expired on {chosen.valid_until}", "Giấy tờ đã hết hiệu lực", code="expired"
        )
    source = comp.Source.PICKED
    return await _set_component(
        ctx, caller, dossier, code, source, comp.attached(chosen), editable=editable, candidates=found
    )


async def _set_component(
    ctx: Context,
    caller: Caller,
    dossier: dict[str, Any],
    code: str,
    source: comp.Source,
    document: dict[str, Any],
    *,
    editable: set[Status],
    candidates: list[comp.Candidate] | None = None,
) -> dict[str, Any]:
    async with ctx.locks.hold(dossier["_id"]):
        current = await ctx.dossiers.get(dossier["_id"])
        if current is None:
            raise _not_found()
        if Status(current["status"]) not in editable:
            raise Conflict(
                f"components cannot change while the dossier is {current['status']}",
                "Không thể thay đổi thành phần hồ sơ ở trạng thái hiện tại",
                code="not_editable",
            )
        index, component = _component(current, code)
        component = {**component, "source": source.value, "document": document}
        if candidates is not None:
            component["candidates"] = [c.model_dump(mode="json") for c in candidates]
        if current["status"] != Status.DRAFT.value:
            component["flags"] = comp.flags(component)
            component["missed_reuse"] = comp.missed_reuse(component)
        parts = list(current["components"])
        parts[index] = component
        now = ctx.clock()
        updated = await ctx.dossiers.update(
            current["_id"],
            {"status": current["status"]},
            {
                "$set": {"components": parts, "document_ids": _document_ids(parts), "updated_at": now},
                "$push": {
                    "history": {"at": now, "by": caller.who, "action": f"component_{source.value}", "component": code}
                },
            },
        )
        if not updated:
            raise Conflict("the dossier changed meanwhile", "Hồ sơ vừa được cập nhật, vui lòng thử lại")
        return {**current, "components": parts}


async def upload_component(
    ctx: Context,
    caller: Caller,
    dossier: dict[str, Any],
    code: str,
    *,
    filename: str,
    content: bytes,
    content_type: str,
    document_type: DocumentType,
    editable: set[Status],
) -> dict[str, Any]:
    """A new file for a component: it goes into the owner's vault (the caller's token is forwarded) and the
    component refers to the new document."""
    _component(dossier, code)
    spec = await _spec(ctx, dossier, code)
    if Status(dossier["status"]) not in editable:
        raise Conflict(
            f"components cannot change while the dossier is {dossier['status']}",
            "Không thể thay đổi thành phần hồ sơ ở trạng thái hiện tại",
            code="not_editable",
        )
    if not content:
        raise Invalid("the file is empty", "Tệp tin rỗng", code="empty_file")
    uploaded = await ctx.vault.upload(
        caller.token,
        Upload(
            owner_id=dossier["owner_id"],
            document_type=document_type.value,
            name=spec.name[:300],
            filename=filename,
            content=content,
            content_type=content_type,
            category_code=spec.category_codes[0] if spec.category_codes else None,
            procedure_code=dossier["procedure_code"],
            dossier_id=dossier["_id"] if dossier["status"] != Status.DRAFT.value else None,
            component_code=code,
        ),
    )
    source = comp.Source.DIGITIZED if document_type == DocumentType.DIGITIZED_COMPONENT else comp.Source.UPLOADED
    document = {
        "document_id": uploaded.document_id,
        "document_code": uploaded.document_code,
        "name": spec.name,
        "document_type": document_type.value,
        "store_kind": "owner",
        "category_code": spec.category_codes[0] if spec.category_codes else None,
        "result_code": None,
        "valid_until": None,
        "vault_status": uploaded.status,
    }
    return await _set_component(ctx, caller, dossier, code, source, document, editable=editable)


async def update_delivery(
    ctx: Context, caller: Caller, dossier: dict[str, Any], result_delivery: str, address: str | None
) -> None:
    require_owner_side(caller, dossier)
    if result_delivery not in DELIVERIES:
        raise Invalid(
            f"result_delivery must be one of {DELIVERIES}", "Hình thức nhận kết quả không hợp lệ", code="bad_delivery"
        )
    ok = await ctx.dossiers.update(
        dossier["_id"],
        {"status": Status.DRAFT.value},
        {"$set": {"result_delivery": result_delivery, "delivery_address": address, "updated_at": ctx.clock()}},
    )
    if not ok:
        raise Conflict("only drafts can change", "Chỉ hồ sơ nháp mới được thay đổi", code="not_editable")


async def review(ctx: Context, dossier: dict[str, Any]) -> dict[str, Any]:
    on = ctx.settings.local_today(ctx.clock())
    disputed = await ctx.disputed.among(dossier.get("document_ids", []))
    parts = []
    for component in dossier["components"]:
        state = comp.review(component, on, disputed)
        parts.append(
            {
                "code": component["code"],
                "name": component["name"],
                "mandatory": component["mandatory"],
                "state": state.value,
                "state_vi": comp.REVIEW_VI[state],
                "source": component["source"],
                "document": component.get("document"),
                "suggestions": component.get("candidates", []) if state == comp.Review.CHOOSE else [],
            }
        )
    problems = comp.blocking_problems(dossier["components"], on, disputed)
    return {
        "dossier_id": dossier["_id"],
        "status": dossier["status"],
        "components": parts,
        "problems": problems,
        "can_submit": not problems and dossier["status"] == Status.DRAFT.value,
    }


def submit_key(agency_code: str, day: date) -> str:
    return f"{agency_code}-{day:%y%m%d}"


async def submit(ctx: Context, caller: Caller, dossier_id: str, idempotency_key: str) -> dict[str, Any]:
    """Submits a draft. The same idempotency key returns the same answer; another key on a submitted
    dossier is a double submit. The number is reserved by a slot naming the dossier (and the idempotency
    key) before the dossier is written with its code and its DossierSubmitted event in one update: a crash
    in between is finished by the sweeper (or by the retry) with the same number, so codes stay gap-free."""
    async with ctx.locks.hold(dossier_id):
        dossier = await ctx.dossiers.draft_first(dossier_id)
        if dossier is None or not can_see(caller, dossier):
            raise _not_found()
        require_owner_side(caller, dossier)
        if dossier["status"] != Status.DRAFT.value:
            if dossier.get("idempotency_key") == idempotency_key:
                return dossier
            raise Conflict(
                f"dossier already submitted as {dossier['code']}",
                f"Hồ sơ đã được nộp với mã {dossier['code']}",
                code="already_submitted",
            )
        transition(dossier["status"], "submit", "owner")
        on = ctx.settings.local_today(ctx.clock())
        disputed = await ctx.disputed.among(dossier.get("document_ids", []))
        problems = comp.blocking_problems(dossier["components"], on, disputed)
        if problems:
            raise Invalid(
                "the dossier is not complete or uses documents that cannot be used",
                "Hồ sơ chưa đầy đủ hoặc có giấy tờ không hợp lệ",
                code="dossier_incomplete",
                problems=problems,
            )
        attempt = {"kind": SLOT_KIND, "day": on.isoformat(), "idempotency_key": idempotency_key, "by": caller.who}
        # a retry after a crash gets the slot it already holds (possibly of an earlier day)
        slot = await ctx.numbers.take(submit_key(dossier["agency_code"], on), dossier_id, **attempt)
        if slot.get("idempotency_key") != idempotency_key:
            done = await ctx.dossiers.get(dossier_id)
            if done is not None and done["status"] != Status.DRAFT.value:
                raise Conflict(
                    f"dossier already submitted as {done['code']}",
                    f"Hồ sơ đã được nộp với mã {done['code']}",
                    code="already_submitted",
                )
            raise Conflict(
                "another submission of this dossier is in progress",
                "Hồ sơ đang được nộp, vui lòng chờ",
                code="submit_in_progress",
            )
        return await finish_submit(ctx, dossier, slot)


SLOT_KIND = "dossier"
SLOT_FIELDS = ("kind", "day", "idempotency_key", "by")


async def finish_submit(ctx: Context, dossier: dict[str, Any], slot: dict[str, Any]) -> dict[str, Any]:
    number = int(slot["n"])
    code = dossier_code(dossier["agency_code"], date.fromisoformat(slot["day"]), number)
    now = ctx.clock()
    parts = []
    for component in dossier["components"]:
        part = {**component, "candidates_at_submit": [c["document_id"] for c in component.get("candidates", [])]}
        part["flags"] = comp.flags(part)
        part["missed_reuse"] = comp.missed_reuse(part)
        parts.append(part)
    event = DossierSubmitted(
        dossier_id=dossier["_id"],
        dossier_code=code,
        procedure_code=dossier["procedure_code"],
        agency_code=dossier["agency_code"],
        owner_id=dossier["owner_id"],
        applicant_id=dossier["applicant_id"],
        procedure_name=dossier["procedure_name"],
        owner_kind=OwnerKind(dossier["owner_kind"]),
        submitted_at=now,
        components=[comp.submitted_component(c, c["flags"]) for c in parts],
        result_delivery=dossier["result_delivery"],
    )
    due = _add_working_days(ctx.settings.local_today(now), dossier.get("processing_days") or 0)
    submitted = {
        **dossier,
        "status": Status.RECEIVED.value,
        "code": code,
        "number": number,
        "idempotency_key": slot["idempotency_key"],
        "submitted_at": now,
        "due_date": due.isoformat(),
        "components": parts,
        "updated_at": now,
        "history": [*dossier.get("history", []), {"at": now, "by": slot.get("by"), "action": "submit", "code": code}],
    }
    if not await ctx.dossiers.insert_submitted(submitted, [ctx.record(event)]):
        current = await ctx.dossiers.get(dossier["_id"])
        assert current is not None
        return current
    return submitted


def _add_working_days(start: date, days: float) -> date:
    day, left = start, int(days + 0.999)
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


async def finish_interrupted(ctx: Context) -> int:
    """Finishes submits interrupted between the number reservation and the final write."""
    now = ctx.clock()
    slots = await ctx.numbers.recent(
        SLOT_KIND, since=now - timedelta(days=2), until=now - timedelta(seconds=ctx.settings.submit_recovery_seconds)
    )
    if not slots:
        return 0
    by_holder = {s["holder"]: s for s in slots}
    done = 0
    unfinished = set(by_holder) - await ctx.dossiers.submitted(list(by_holder))
    for dossier_id in sorted(unfinished):
        async with ctx.locks.hold(dossier_id):
            current = await ctx.dossiers.get(dossier_id)
            if current and current["status"] == Status.DRAFT.value:
                await finish_submit(ctx, current, by_holder[dossier_id])
                done += 1
    return done


async def withdraw(ctx: Context, caller: Caller, dossier_id: str, reason: str) -> dict[str, Any]:
    dossier = await load(ctx, caller, dossier_id)
    require_owner_side(caller, dossier)
    target = transition(dossier["status"], "withdraw", "owner")
    now = ctx.clock()
    ok = await ctx.dossiers.update(
        dossier_id,
        {"status": dossier["status"]},
        {
            "$set": {"status": target.value, "updated_at": now},
            "$push": {"history": {"at": now, "by": caller.who, "action": "withdraw", "reason": reason}},
        },
    )
    if not ok:
        raise Conflict("the dossier changed meanwhile", "Hồ sơ vừa được cập nhật, vui lòng thử lại")
    return {**dossier, "status": target.value}


def is_open(dossier: dict[str, Any]) -> bool:
    return Status(dossier["status"]) in OPEN_STATUSES


def as_of(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None
