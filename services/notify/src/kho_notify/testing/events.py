"""Made-up events of every kind the notify service consumes (generated identity numbers, no real data)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from kho_contracts import Event, KafkaRecord, encode, new_envelope
from kho_contracts.common import DisputeReason, DocumentType, ObjectRef, OwnerKind, StoreKind
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

FILE = ObjectRef(bucket="kho-vault", key="documents/x.pdf", sha256="a" * 64, size=1024)
NOW = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)  # 09:30 in Vietnam


def _id() -> str:
    return uuid.uuid4().hex[:12]


def dossier(owner: str, applicant: str | None = None, agency: str = "H08.15") -> dict[str, str]:
    return {
        "dossier_id": f"dos-{_id()}",
        "dossier_code": f"{agency}-260302-{uuid.uuid4().int % 10000:04d}",
        "procedure_code": "1.001193",
        "agency_code": agency,
        "owner_id": owner,
        "applicant_id": applicant or owner,
    }


def dossier_submitted(owner: str, applicant: str | None = None, procedure_name: str | None = None) -> DossierSubmitted:
    return DossierSubmitted(
        **dossier(owner, applicant),
        procedure_name=procedure_name or "Đăng ký khai sinh",
        owner_kind=OwnerKind.CITIZEN,
        submitted_at=NOW,
        components=[],
        result_delivery="online",
    )


def dossier_accepted(owner: str) -> DossierAccepted:
    return DossierAccepted(**dossier(owner), officer_id="officer-1", accepted_at=NOW, due_date=date(2026, 3, 5))


def supplement_requested(owner: str) -> SupplementRequested:
    return SupplementRequested(
        **dossier(owner),
        officer_id="officer-1",
        reason="Thiếu bản sao giấy chứng nhận kết hôn của cha mẹ",
        items=["Giấy chứng nhận kết hôn"],
        requested_at=NOW,
    )


def dossier_rejected(owner: str) -> DossierRejected:
    return DossierRejected(
        **dossier(owner), officer_id="officer-1", reason="Hồ sơ không thuộc thẩm quyền", rejected_at=NOW
    )


def result_returned(owner: str) -> ResultReturned:
    return ResultReturned(**dossier(owner), result_ids=[f"res-{_id()}"], returned_at=NOW)


def _issued(owner: str) -> dict[str, object]:
    return {
        "result_id": f"res-{_id()}",
        "owner_id": owner,
        "owner_kind": OwnerKind.CITIZEN,
        "owner_name": "Nguyễn Thị Thu",
        "agency_code": "H08.15",
        "agency_name": "UBND xã Phước Lộc",
        "name": "Giấy khai sinh",
        "document_number": "123/2026",
        "issue_date": date(2026, 3, 2),
        "file": FILE,
        "pages": 1,
    }


def result_issued(owner: str, *, hidden: bool = True, supersedes: str | None = None) -> ResultIssued:
    return ResultIssued(
        **_issued(owner),  # type: ignore[arg-type]
        result_code="KQ.G15.000031",
        hidden_until_returned=hidden,
        supersedes_document_id=supersedes,
    )


def certified_copy_issued(owner: str) -> CertifiedCopyIssued:
    return CertifiedCopyIssued(
        **_issued(owner),  # type: ignore[arg-type]
        certification_number=42,
        book_code="SCTĐT/BS",
        book_year=2026,
        fee_vnd=4000,
    )


def document_stored(owner: str, store_kind: StoreKind = StoreKind.OWNER) -> DocumentStored:
    return DocumentStored(
        document_id=f"doc-{_id()}",
        version=1,
        owner_id=owner,
        document_code=f"{owner}.KQ.G15.000031.01",
        document_type=DocumentType.OWN_UPLOAD,
        store_kind=store_kind,
        name="Bằng tốt nghiệp trung học phổ thông",
        file=FILE,
    )


def document_rejected(owner: str) -> DocumentRejected:
    return DocumentRejected(
        document_id=f"doc-{_id()}",
        version=1,
        owner_id=owner,
        name="Giấy phép lái xe",
        indication="TOTAL_FAILED",
        reason_vi="chữ ký số không do Ban Cơ yếu Chính phủ cấp",
        reason_en="signature not issued by the Government Cipher Committee",
    )


def result_disputed(owner: str, agency: str) -> ResultDisputed:
    return ResultDisputed(
        dispute_id=f"dsp-{_id()}",
        document_id=f"doc-{_id()}",
        owner_id=owner,
        agency_code=agency,
        reason=DisputeReason.WRONG_CITIZEN_INFO,
        opened_at=NOW,
        deadline=date(2026, 3, 9),
    )


def dispute_resolved(owner: str, agency: str) -> DisputeResolved:
    return DisputeResolved(
        dispute_id=f"dsp-{_id()}",
        document_id=f"doc-{_id()}",
        owner_id=owner,
        agency_code=agency,
        outcome="corrected",
        explanation="Đã cấp lại kết quả với họ tên đúng.",
        resolved_by="officer-2",
        resolved_at=NOW,
    )


def dispute_overdue(owner: str, agency: str) -> DisputeOverdue:
    return DisputeOverdue(
        dispute_id=f"dsp-{_id()}",
        document_id=f"doc-{_id()}",
        owner_id=owner,
        agency_code=agency,
        deadline=date(2026, 3, 9),
        escalated_to_role="supervisor",
    )


def record(event: Event, topic_prefix: str, *, event_id: str | None = None) -> KafkaRecord:
    return encode(event, new_envelope(event, source="/kho/test", event_id=event_id), topic_prefix=topic_prefix)
