"""Opening and resolving disputes. Every refusal is a clear problem (English for operators, Vietnamese for
citizens) and changes nothing; every change is one write of the dispute document with its history entry and
its event."""

from __future__ import annotations

import uuid
from typing import Any

from kho_contracts.common import ObjectRef
from kho_contracts.events import DisputeResolved, ResultDisputed
from kho_platform.auth import Principal
from kho_platform.context import current_correlation
from kho_platform.errors import ApiError, not_found
from kho_platform.logging import get_logger
from kho_platform.mongo import Document

from kho_feedback.adapters.disputes import DisputeAlreadyOpen, TransitionTaken
from kho_feedback.deps import Feedback
from kho_feedback.domain.disputes import (
    REASON_TEXT_VI,
    Action,
    DisputeStatus,
    Outcome,
    Refusal,
    closed_key,
    history_entry,
    open_key,
    parse_reason,
    refusal_to_dispute,
)
from kho_feedback.domain.files import looks_like_signed_pdf

log = get_logger(__name__)

ALLOWED_REASONS = ", ".join(r.value for r in REASON_TEXT_VI)
DEFAULT_CORRECTION_TEXT = "Cơ quan đã cấp lại kết quả điện tử đã được đính chính"


def _already_open(dispute_id: str | None = None) -> ApiError:
    extra = {"dispute_id": dispute_id} if dispute_id else {}
    return ApiError(
        409,
        "dispute_already_open",
        "this document already has an open dispute",
        "Giấy tờ này đang có phản ánh chưa được giải quyết",
        **extra,
    )


async def open_dispute(
    fb: Feedback, principal: Principal, *, document_id: str, reason: str, note: str | None
) -> Document:
    owners = principal.owner_ids()
    if not owners:
        raise ApiError(
            403, "owners_only", "only a document's owner can dispute it", "Chỉ chủ sở hữu giấy tờ mới có thể phản ánh"
        )
    parsed_reason = parse_reason(reason)
    if parsed_reason is None:
        raise ApiError(
            422,
            "unknown_reason",
            f"unknown dispute reason {reason!r}; expected one of: {ALLOWED_REASONS}",
            "Nội dung phản ánh không hợp lệ. Vui lòng chọn một trong ba nội dung phản ánh được liệt kê.",
            allowed=[r.value for r in REASON_TEXT_VI],
        )
    document = await fb.documents.get(document_id)
    refusal = refusal_to_dispute(document, owners)
    if refusal == Refusal.NOT_FOUND or document is None:
        raise not_found("document")
    if refusal == Refusal.OWN_UPLOAD:
        raise ApiError(
            422,
            "not_agency_issued",
            "only results issued by an agency can be disputed; the owner's own uploads can be replaced in the vault",
            "Chỉ phản ánh được kết quả do cơ quan nhà nước cấp. Giấy tờ do bạn tự tải lên có thể được cập nhật "
            "trực tiếp trong kho dữ liệu.",
        )
    if refusal == Refusal.NO_ISSUING_AGENCY or not document.issuing_agency_code:
        raise ApiError(
            422,
            "issuing_agency_unknown",
            "the issuing agency of this document is not known, so the dispute cannot be routed",
            "Không xác định được cơ quan cấp kết quả này nên chưa thể gửi phản ánh",
        )
    existing = await fb.disputes.open_for(document.owner_id, document_id)
    if existing is not None:
        raise _already_open(existing["_id"])

    now = fb.clock()
    deadline = fb.calendar.deadline(now, fb.settings.dispute_response_working_days)
    affected = await fb.dossiers.open_dossiers_using(document_id)
    dispute_id = str(uuid.uuid4())
    event = ResultDisputed(
        dispute_id=dispute_id,
        document_id=document_id,
        owner_id=document.owner_id,
        agency_code=document.issuing_agency_code,
        document_version=document.version,
        document_name=document.name,
        document_code=document.document_code,
        reason=parsed_reason,
        note=note,
        opened_at=now,
        deadline=deadline,
        affected_dossier_ids=[d["dossier_id"] for d in affected],
    )
    dispute: dict[str, Any] = {
        "_id": dispute_id,
        "version": 1,
        "status": DisputeStatus.OPEN.value,
        "open_key": open_key(document.owner_id, document_id),
        "document_id": document_id,
        "document_version": document.version,
        "document_name": document.name,
        "document_code": document.document_code,
        "owner_id": document.owner_id,
        "agency_code": document.issuing_agency_code,
        "agency_name": document.issuing_agency_name,
        "reason": parsed_reason.value,
        "note": note,
        "opened_at": now,
        "opened_by": principal.subject,
        "deadline": deadline.isoformat(),
        "overdue_at": fb.calendar.overdue_at(deadline),
        "escalated": False,
        "correlation_id": current_correlation().correlation_id,
        "history": [
            history_entry(
                Action.OPENED,
                at=now,
                by=principal.subject,
                actor=principal.actor,
                name=principal.name,
                reason=parsed_reason.value,
                note=note,
            )
        ],
    }
    try:
        await fb.disputes.add(dispute, [fb.record(event)])
    except DisputeAlreadyOpen as exc:  # a concurrent request for the same document won
        raise _already_open() from exc
    fb.events_written(dispute["_id"])
    log.info("dispute opened", dispute_id=dispute_id, document_id=document_id, agency=document.issuing_agency_code)
    return dispute


def _may_act_for_agency(principal: Principal, agency_code: str) -> bool:
    return principal.is_officer and principal.agency_code == agency_code


async def resolve_dispute(
    fb: Feedback,
    principal: Principal,
    dispute_id: str,
    *,
    outcome: str,
    explanation: str | None,
    corrected_pdf: bytes | None,
) -> Document:
    if not principal.is_officer:
        raise ApiError(
            403,
            "officers_only",
            "only an officer of the issuing agency can resolve a dispute",
            "Chỉ cán bộ của cơ quan cấp kết quả mới được giải quyết phản ánh",
        )
    dispute = await fb.disputes.get(dispute_id)
    if dispute is None:
        raise not_found("dispute")
    if not _may_act_for_agency(principal, dispute["agency_code"]):
        raise ApiError(
            403,
            "other_agency",
            "this dispute is in another agency's queue",
            "Phản ánh này thuộc thẩm quyền giải quyết của cơ quan khác",
        )
    try:
        parsed = Outcome(outcome)
    except ValueError:
        raise ApiError(
            422,
            "unknown_outcome",
            f"unknown outcome {outcome!r}; expected corrected or rejected",
            "Kết quả xử lý không hợp lệ (chọn: đã đính chính hoặc từ chối)",
        ) from None
    if dispute["status"] != DisputeStatus.OPEN.value:
        raise _already_resolved()
    text = (explanation or "").strip()
    if parsed == Outcome.REJECTED:
        if corrected_pdf is not None:
            raise ApiError(
                422,
                "file_not_expected",
                "a rejected dispute carries no corrected file",
                "Phản ánh bị từ chối thì không kèm tệp kết quả đính chính",
            )
        if len(text) < 10:
            raise ApiError(
                422,
                "explanation_required",
                "rejecting a dispute needs an explanation for the owner (at least 10 characters)",
                "Cần nêu rõ lý do từ chối phản ánh (ít nhất 10 ký tự)",
            )
    else:
        _check_corrected_file(fb, corrected_pdf)
        text = text or DEFAULT_CORRECTION_TEXT

    now = fb.clock()
    corrected: ObjectRef | None = None
    if corrected_pdf is not None:
        try:
            corrected = await fb.files.put(dispute_id, corrected_pdf)
        except Exception as exc:  # the object store is down or refuses: nothing was changed, try again later
            log.error("corrected file not stored", dispute_id=dispute_id, error=f"{type(exc).__name__}: {exc}"[:500])
            raise ApiError(
                503,
                "storage_unavailable",
                "the corrected file could not be stored; nothing was changed, please try again",
                "Chưa lưu được tệp kết quả đính chính; chưa có thay đổi nào, vui lòng thử lại sau",
            ) from exc
    event = DisputeResolved(
        dispute_id=dispute_id,
        document_id=dispute["document_id"],
        owner_id=dispute["owner_id"],
        agency_code=dispute["agency_code"],
        document_version=dispute.get("document_version"),
        document_name=dispute.get("document_name"),
        document_code=dispute.get("document_code"),
        outcome=parsed.value,
        explanation=text,
        corrected_file=corrected,
        resolved_by=principal.subject,
        resolved_at=now,
    )
    resolution: dict[str, Any] = {
        "outcome": parsed.value,
        "explanation": text,
        "corrected_file": corrected.model_dump() if corrected else None,
        "resolved_by": principal.subject,
        "resolved_at": now,
        "resolution_seconds": max(0.0, (now - dispute["opened_at"]).total_seconds()),
    }
    entry = history_entry(
        Action.RESOLVED,
        at=now,
        by=principal.subject,
        actor=principal.actor,
        name=principal.name,
        outcome=parsed.value,
        explanation=text,
        corrected_sha256=corrected.sha256 if corrected else None,
    )
    try:
        transition = await fb.disputes.claim(
            dispute_id,
            "resolution",
            at=now,
            fields={
                "status": DisputeStatus.RESOLVED.value,
                "open_key": closed_key(dispute_id),
                "resolution": resolution,
            },
            entry=entry,
            events=[fb.record(event)],
        )
    except TransitionTaken:  # a concurrent resolution (here or on another replica) won
        await _forget_unused_file(fb, dispute_id, corrected)
        raise _already_resolved() from None
    if not await fb.disputes.apply(transition):
        raise _already_resolved()
    fb.events_written(dispute_id)
    log.info("dispute resolved", dispute_id=dispute_id, outcome=parsed.value, agency=dispute["agency_code"])
    resolved = await fb.disputes.get(dispute_id)
    assert resolved is not None
    return resolved


def _already_resolved() -> ApiError:
    return ApiError(
        409,
        "dispute_already_resolved",
        "this dispute has already been resolved; nothing was changed",
        "Phản ánh này đã được giải quyết trước đó; không có thay đổi nào được thực hiện",
    )


def _check_corrected_file(fb: Feedback, data: bytes | None) -> None:
    if not data:
        raise ApiError(
            422,
            "corrected_file_required",
            "a corrected dispute needs the corrected, signed PDF",
            "Cần đính kèm tệp PDF kết quả đã đính chính và ký số",
        )
    if len(data) > fb.settings.corrected_file_max_bytes:
        raise ApiError(
            413,
            "file_too_large",
            f"the corrected file exceeds {fb.settings.corrected_file_max_bytes} bytes",
            "Tệp tin vượt quá dung lượng cho phép",
        )
    if not looks_like_signed_pdf(data):
        raise ApiError(
            422,
            "not_a_signed_pdf",
            "the corrected file must be a digitally signed PDF",
            "Tệp kết quả đính chính phải là tệp PDF đã được ký số",
        )


async def _forget_unused_file(fb: Feedback, dispute_id: str, uploaded: ObjectRef | None) -> None:
    """A concurrent resolution won: remove the file uploaded for the losing one, unless it is the same object."""
    if uploaded is None:
        return
    winner = await fb.disputes.transition(dispute_id, "resolution")
    used = (((winner or {}).get("fields") or {}).get("resolution") or {}).get("corrected_file") or {}
    if used.get("key") != uploaded.key:
        try:
            await fb.files.remove(uploaded)
        except Exception as exc:  # an orphan object costs storage only
            log.warning("could not remove an unused corrected file", key=uploaded.key, error=str(exc))
