"""The dispute of an electronic result: its states, what may be disputed, the history entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from kho_contracts.common import DisputeReason, StoreKind


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Outcome(StrEnum):
    CORRECTED = "corrected"  # the agency re-issued a corrected, signed file
    REJECTED = "rejected"  # the agency checked and found nothing wrong; it explains why


class Action(StrEnum):
    OPENED = "opened"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CORRECTION_APPLIED = "correction_applied"


REASON_TEXT_VI = {
    DisputeReason.WRONG_CITIZEN_INFO: "Tệp tin kết quả điện tử bị sai lệch thông tin công dân",
    DisputeReason.NOT_OWNERS_RESULT: "Tệp tin kết quả điện tử không phải là kết quả của công dân",
    DisputeReason.NOT_GOVERNMENT_SIGNED: "Tệp tin kết quả chưa được ký bằng chứng thư số do Ban Cơ yếu Chính phủ cấp",
}


def parse_reason(value: str) -> DisputeReason | None:
    try:
        return DisputeReason(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class KnownDocument:
    """What the feedback service knows of a vault document (from the vault's events)."""

    document_id: str
    owner_id: str
    store_kind: StoreKind
    version: int
    visible: bool
    name: str | None = None
    document_code: str | None = None
    issuing_agency_code: str | None = None
    issuing_agency_name: str | None = None

    @property
    def agency_issued(self) -> bool:
        return self.store_kind == StoreKind.AGENCY_ISSUED


class Refusal(StrEnum):
    NOT_FOUND = "not_found"
    OWN_UPLOAD = "own_upload"
    NO_ISSUING_AGENCY = "no_issuing_agency"


def refusal_to_dispute(document: KnownDocument | None, caller_owner_ids: frozenset[str]) -> Refusal | None:
    """Why the caller may not dispute this document, or None when they may.

    A document that is unknown, belongs to somebody else or is still hidden (issued but not yet returned)
    is "not found": the caller must not learn that it exists. The owner's own uploads are refused with a
    reason, since only agency-issued results go to an agency."""
    if document is None or document.owner_id not in caller_owner_ids or not document.visible:
        return Refusal.NOT_FOUND
    if not document.agency_issued:
        return Refusal.OWN_UPLOAD
    if not document.issuing_agency_code:
        return Refusal.NO_ISSUING_AGENCY
    return None


def history_entry(
    action: Action, *, at: datetime, by: str, actor: str, name: str | None = None, **detail: Any
) -> dict[str, Any]:
    """One audit entry kept inside the dispute: who did what, when."""
    entry: dict[str, Any] = {"at": at, "action": action.value, "by": by, "actor": actor}
    if name:
        entry["by_name"] = name
    if detail:
        entry["detail"] = {k: v for k, v in detail.items() if v is not None}
    return entry


def open_key(owner_id: str, document_id: str) -> str:
    """The value of the unique `open_key` while a dispute is open: one open dispute per document and owner."""
    return f"{owner_id}:{document_id}"


def closed_key(dispute_id: str) -> str:
    """The value of `open_key` once the dispute is closed (unique, so that it never collides)."""
    return f"closed:{dispute_id}"
