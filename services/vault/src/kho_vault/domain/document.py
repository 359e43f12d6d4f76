"""A document of a vault as stored inside its owner's vault (a plain dict, the stored form), and the pure
rules that change it. The owner's vault (one stored document per owner) is the aggregate: every change of
any of its documents is one write of the vault, together with the events it causes (outbox)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from kho_contracts.common import DocumentType, ObjectRef, StoreKind

from kho_vault.domain.text import tokens

Entry = dict[str, Any]

PENDING = "pending_verification"
ACTIVE = "active"
REJECTED = "rejected"
DISPUTED = "disputed"
SUPERSEDED = "superseded"
DELETED = "deleted"
STATUSES = (PENDING, ACTIVE, REJECTED, DISPUTED, SUPERSEDED, DELETED)

TYPE_NAMES_VI = {
    DocumentType.ISSUED_RESULT: "Kết quả giải quyết",
    DocumentType.DIGITIZED_COMPONENT: "Thành phần hồ sơ số hóa",
    DocumentType.CERTIFIED_COPY: "Bản sao chứng thực điện tử",
    DocumentType.OWN_UPLOAD: "Giấy tờ do chủ sở hữu tải lên",
}
STORE_KIND_NAMES_VI = {
    StoreKind.OWNER: "Kho của tổ chức, cá nhân",
    StoreKind.AGENCY_ISSUED: "Kho cơ quan nhà nước, tổ chức",
}

SEARCH_FIELDS = ("name", "code", "decision_number", "owner_name", "identity_number", "summary")


def now() -> datetime:
    return datetime.now(UTC)


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def search_index(entry: Entry) -> dict[str, list[str]]:
    """The normalized token arrays of the six searchable fields."""
    return {
        "name": tokens(entry.get("name")),
        "code": tokens(entry.get("document_code"), whole=True) + tokens(entry.get("document_number"), whole=True),
        "decision_number": tokens(entry.get("decision_number"), whole=True),
        "owner_name": tokens(entry.get("owner_name")),
        "identity_number": tokens(entry.get("owner_id"), whole=True),
        "summary": tokens(entry.get("summary")),
    }


def file_record(ref: ObjectRef, *, version: int, pages: int, stage: str, reason: str, by: str) -> Entry:
    return {
        "version": version,
        "bucket": ref.bucket,
        "key": ref.key,
        "sha256": ref.sha256,
        "size": ref.size,
        "content_type": ref.content_type,
        "pages": pages,
        "stage": stage,  # quarantine | stored | rejected
        "status": PENDING if stage == "quarantine" else ACTIVE,
        "reason": reason,
        "added_by": by,
        "added_at": now(),
        "verdict": None,
    }


def object_ref(version: Entry) -> ObjectRef:
    return ObjectRef(
        bucket=version["bucket"],
        key=version["key"],
        sha256=version["sha256"],
        size=version["size"],
        content_type=version.get("content_type") or "application/pdf",
    )


def version_of(entry: Entry, number: int) -> Entry | None:
    for v in entry.get("versions") or []:
        if v["version"] == number:
            found: Entry = v
            return found
    return None


def current_version(entry: Entry) -> Entry:
    found = version_of(entry, entry["current_version"])
    assert found is not None, "a document always has its current version"
    return found


def latest_version_number(entry: Entry) -> int:
    return max((v["version"] for v in entry.get("versions") or []), default=0)


def is_valid_on(entry: Entry, day: date) -> bool:
    """Valid on a day: issued on or before it and not expired (no expiry date = valid forever)."""
    issued = entry.get("issue_date")
    until = entry.get("valid_until")
    if issued and issued > day.isoformat():
        return False
    return not (until and until < day.isoformat())


def hidden_from_owner(entry: Entry) -> bool:
    """A result issued "hidden until returned" stays out of its owner's sight until the result is returned."""
    return bool(entry.get("hidden_until_returned"))


def mark_deleted(entry: Entry, *, restore_days: int, by: str) -> None:
    at = now()
    entry["status_before_delete"] = entry["status"]
    entry["status"] = DELETED
    entry["deleted_at"] = at
    entry["deleted_by"] = by
    entry["restorable_until"] = at + timedelta(days=restore_days)
    entry["updated_at"] = at


def restore(entry: Entry) -> None:
    entry["status"] = entry.pop("status_before_delete", None) or ACTIVE
    for field in ("deleted_at", "deleted_by", "restorable_until"):
        entry.pop(field, None)
    entry["updated_at"] = now()


def touch(entry: Entry) -> None:
    entry["updated_at"] = now()
    entry["search"] = search_index(entry)
