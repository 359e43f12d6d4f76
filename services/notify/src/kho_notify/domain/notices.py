"""What each consumed event means for whom: the notices (kind, recipient, fields) an event gives rise to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from kho_contracts import Event
from kho_contracts.common import StoreKind
from kho_contracts.events import (
    CertifiedCopyIssued,
    DisputeOverdue,
    DisputeResolved,
    DocumentRejected,
    DocumentStored,
    DossierAccepted,
    DossierRejected,
    DossierSubmitted,
    ResultDisputed,
    ResultIssued,
    ResultReturned,
    SupplementRequested,
)

from kho_notify.domain.recipients import agency_recipient

VIETNAM = timezone(timedelta(hours=7))

REASONS_VI = {
    "wrong_citizen_info": "tệp tin có thông tin công dân không chính xác",
    "not_owners_result": "tệp tin không phải kết quả của công dân",
    "not_government_signed": "tệp tin không được ký số bởi Ban Cơ yếu Chính phủ",
}
RESULT_DELIVERY_VI = {
    "online": "trực tuyến",
    "post": "qua dịch vụ bưu chính",
    "front_desk": "tại Bộ phận tiếp nhận và trả kết quả",
}
ROLES_VI = {"supervisor": "lãnh đạo cơ quan", "operator": "quản trị hệ thống"}


@dataclass(frozen=True)
class Notice:
    """One thing to tell one recipient; rendered per channel by the templates."""

    kind: str
    recipient: str
    fields: dict[str, str]
    data: dict[str, str]


def when(value: datetime) -> str:
    return value.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "chưa xác định"


def money(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _dossier_people(
    event: DossierSubmitted | DossierAccepted | SupplementRequested | DossierRejected | ResultReturned,
) -> list[str]:
    return list(dict.fromkeys([event.applicant_id, event.owner_id]))


def _dossier_data(
    event: DossierSubmitted | DossierAccepted | SupplementRequested | DossierRejected | ResultReturned,
) -> dict[str, str]:
    return {"dossier_id": event.dossier_id, "dossier_code": event.dossier_code}


def _submitted(e: DossierSubmitted) -> list[Notice]:
    fields = {
        "dossier_code": e.dossier_code,
        "procedure_name": e.procedure_name,
        "submitted_at": when(e.submitted_at),
        "agency_code": e.agency_code,
        "result_delivery": RESULT_DELIVERY_VI.get(e.result_delivery, e.result_delivery),
    }
    return [Notice("dossier_submitted", r, fields, _dossier_data(e)) for r in _dossier_people(e)]


def _accepted(e: DossierAccepted) -> list[Notice]:
    fields = {"dossier_code": e.dossier_code, "accepted_at": when(e.accepted_at), "due_date": day(e.due_date)}
    return [Notice("dossier_accepted", r, fields, _dossier_data(e)) for r in _dossier_people(e)]


def _supplement(e: SupplementRequested) -> list[Notice]:
    fields = {
        "dossier_code": e.dossier_code,
        "reason": e.reason.strip().rstrip("."),
        "items": "; ".join(e.items) if e.items else "theo hướng dẫn của cơ quan tiếp nhận",
    }
    return [Notice("supplement_requested", r, fields, _dossier_data(e)) for r in _dossier_people(e)]


def _rejected(e: DossierRejected) -> list[Notice]:
    fields = {
        "dossier_code": e.dossier_code,
        "rejected_at": when(e.rejected_at),
        "reason": e.reason.strip().rstrip("."),
    }
    return [Notice("dossier_rejected", r, fields, _dossier_data(e)) for r in _dossier_people(e)]


def _returned(e: ResultReturned) -> list[Notice]:
    fields = {
        "dossier_code": e.dossier_code,
        "returned_at": when(e.returned_at),
        "result_count": str(len(e.result_ids)),
    }
    return [Notice("result_returned", r, fields, _dossier_data(e)) for r in _dossier_people(e)]


def _issued(e: ResultIssued) -> list[Notice]:
    # A result stays hidden from its owner until it is returned: ResultReturned tells them then.
    if e.hidden_until_returned and not e.supersedes_document_id:
        return []
    fields = {
        "agency_name": e.agency_name,
        "name": e.name,
        "document_number": e.document_number,
        "issue_date": day(e.issue_date),
    }
    data = {"document_id": e.result_id}
    kind = "result_corrected" if e.supersedes_document_id else "result_issued"
    return [Notice(kind, e.owner_id, fields, data)]


def _certified(e: CertifiedCopyIssued) -> list[Notice]:
    fields = {
        "agency_name": e.agency_name,
        "name": e.name,
        "certification": f"{e.certification_number}/{e.book_year}/{e.book_code}",
        "fee": money(e.fee_vnd),
    }
    return [Notice("certified_copy_issued", e.owner_id, fields, {"document_id": e.result_id})]


def _stored(e: DocumentStored) -> list[Notice]:
    # Agency-issued documents are announced by ResultIssued / ResultReturned / CertifiedCopyIssued; hidden
    # documents are not announced at all.
    if e.hidden or e.store_kind is not StoreKind.OWNER:
        return []
    fields = {"name": e.name, "document_code": e.document_code}
    return [Notice("document_stored", e.owner_id, fields, {"document_id": e.document_id})]


def _doc_rejected(e: DocumentRejected) -> list[Notice]:
    fields = {"name": e.name, "reason": e.reason_vi.strip().rstrip(".")}
    return [Notice("document_rejected", e.owner_id, fields, {"document_id": e.document_id})]


def _disputed(e: ResultDisputed) -> list[Notice]:
    fields = {"document_id": e.document_id, "reason": REASONS_VI[e.reason.value], "deadline": day(e.deadline)}
    data = {"dispute_id": e.dispute_id, "document_id": e.document_id}
    return [Notice("result_disputed", agency_recipient(e.agency_code), fields, data)]


def _resolved(e: DisputeResolved) -> list[Notice]:
    outcome = "kết quả đã được cấp lại" if e.outcome == "corrected" else "phản ánh không được chấp nhận"
    fields = {"document_id": e.document_id, "outcome": outcome, "explanation": e.explanation.strip()}
    data = {"dispute_id": e.dispute_id, "document_id": e.document_id}
    return [Notice("dispute_resolved", e.owner_id, fields, data)]


def _overdue(e: DisputeOverdue) -> list[Notice]:
    fields = {
        "document_id": e.document_id,
        "deadline": day(e.deadline),
        "escalated_to": ROLES_VI.get(e.escalated_to_role, e.escalated_to_role),
    }
    data = {"dispute_id": e.dispute_id, "document_id": e.document_id}
    return [Notice("dispute_overdue", agency_recipient(e.agency_code), fields, data)]


COMPOSERS: dict[type[Event], Callable[..., list[Notice]]] = {
    DossierSubmitted: _submitted,
    DossierAccepted: _accepted,
    SupplementRequested: _supplement,
    DossierRejected: _rejected,
    ResultReturned: _returned,
    ResultIssued: _issued,
    CertifiedCopyIssued: _certified,
    DocumentStored: _stored,
    DocumentRejected: _doc_rejected,
    ResultDisputed: _disputed,
    DisputeResolved: _resolved,
    DisputeOverdue: _overdue,
}


def notices_for(event: Event) -> list[Notice]:
    return COMPOSERS[type(event)](event)
