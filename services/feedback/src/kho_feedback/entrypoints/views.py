"""What the HTTP API returns: the dispute as its owner, the agency and operators see it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from kho_contracts.common import DisputeReason, ObjectRef
from kho_platform.mongo import Document
from pydantic import BaseModel

from kho_feedback.domain.disputes import REASON_TEXT_VI


class HistoryEntry(BaseModel):
    at: datetime
    action: str
    by: str
    actor: str
    by_name: str | None = None
    detail: dict[str, Any] = {}


class Resolution(BaseModel):
    outcome: str
    explanation: str
    corrected_file: ObjectRef | None = None
    resolved_by: str
    resolved_at: datetime
    resolution_seconds: float


class AffectedDossier(BaseModel):
    dossier_id: str
    dossier_code: str
    agency_code: str
    component_codes: list[str] = []


class DisputeView(BaseModel):
    dispute_id: str
    document_id: str
    document_version: int | None = None
    document_name: str | None = None
    document_code: str | None = None
    owner_id: str
    agency_code: str
    agency_name: str | None = None
    reason: str
    reason_text_vi: str
    note: str | None = None
    status: str
    opened_at: datetime
    deadline: date
    overdue: bool
    escalated: bool
    escalated_to_role: str | None = None
    resolution: Resolution | None = None
    correction_applied: bool = False
    history: list[HistoryEntry]
    affected_dossiers: list[AffectedDossier] | None = None

    @classmethod
    def of(cls, doc: Document, now: datetime, affected: list[Document] | None = None) -> DisputeView:
        deadline = doc["deadline"]
        return cls(
            dispute_id=doc["_id"],
            document_id=doc["document_id"],
            document_version=doc.get("document_version"),
            document_name=doc.get("document_name"),
            document_code=doc.get("document_code"),
            owner_id=doc["owner_id"],
            agency_code=doc["agency_code"],
            agency_name=doc.get("agency_name"),
            reason=doc["reason"],
            reason_text_vi=REASON_TEXT_VI.get(DisputeReason(doc["reason"]), doc["reason"]),
            note=doc.get("note"),
            status=doc["status"],
            opened_at=doc["opened_at"],
            deadline=date.fromisoformat(deadline) if isinstance(deadline, str) else deadline,
            overdue=doc["status"] == "open" and doc["overdue_at"] <= now,
            escalated=bool(doc.get("escalated")),
            escalated_to_role=doc.get("escalated_to_role"),
            resolution=Resolution.model_validate(doc["resolution"]) if doc.get("resolution") else None,
            correction_applied=bool(doc.get("correction_applied")),
            history=[HistoryEntry.model_validate(h) for h in doc.get("history", [])],
            affected_dossiers=[AffectedDossier.model_validate(a) for a in affected] if affected is not None else None,
        )


class DisputePage(BaseModel):
    total: int
    items: list[DisputeView]


class DocumentDisputes(BaseModel):
    """Whether the owner may dispute a document of their vault now, and its disputes so far."""

    document_id: str
    disputable: bool
    refusal: str | None = None
    open_dispute_id: str | None = None
    disputes: list[DisputeView]


class AgencyStats(BaseModel):
    agency_code: str
    opened: int
    resolved: int
    corrected: int
    rejected: int
    still_open: int
    escalated: int
    resolved_within_deadline: int
    mean_resolution_hours: float | None
    median_resolution_hours: float | None
    max_resolution_hours: float | None


class DisputeReport(BaseModel):
    period_from: date
    period_to: date
    agencies: list[AgencyStats]
