"""What the API shows of a document: to its owner everything but storage internals; to an official the same
without the other agencies' dossiers and the owner's sharing list."""

from __future__ import annotations

from typing import Any

from kho_platform.auth import Principal

from kho_vault.domain.access import acts_as_owner, officer_agency
from kho_vault.domain.document import STORE_KIND_NAMES_VI, TYPE_NAMES_VI, Entry

_VERSION_FIELDS = ("version", "status", "stage", "sha256", "size", "pages", "content_type", "reason", "added_at")


def version_view(v: Entry) -> dict[str, Any]:
    view = {k: v.get(k) for k in _VERSION_FIELDS}
    verdict = v.get("verdict")
    view["verdict"] = _verdict(verdict) if verdict else None
    return view


def _verdict(verdict: dict[str, Any]) -> dict[str, Any]:
    return {
        k: verdict.get(k)
        for k in (
            "indication",
            "sub_indication",
            "message_vi",
            "message_en",
            "policy",
            "report_key",
            "source",
            "signers",
            "at",
        )
    }


def document_view(entry: Entry, principal: Principal) -> dict[str, Any]:
    owner = acts_as_owner(principal, entry["owner_id"])
    current = next(v for v in entry["versions"] if v["version"] == entry["current_version"])
    view: dict[str, Any] = {
        "document_id": entry["id"],
        "owner_id": entry["owner_id"],
        "owner_kind": entry.get("owner_kind"),
        "owner_name": entry.get("owner_name"),
        "document_code": entry.get("document_code"),
        "document_type": entry["document_type"],
        "document_type_name": TYPE_NAMES_VI.get(entry["document_type"], entry["document_type"]),  # type: ignore[call-overload]
        "store_kind": entry["store_kind"],
        "store_kind_name": STORE_KIND_NAMES_VI.get(entry["store_kind"], entry["store_kind"]),  # type: ignore[call-overload]
        "category_code": entry.get("category_code"),
        "category_name": entry.get("category_name"),
        "result_code": entry.get("result_code"),
        "name": entry["name"],
        "document_number": entry.get("document_number"),
        "decision_number": entry.get("decision_number"),
        "summary": entry.get("summary"),
        "issuing_agency_code": entry.get("issuing_agency_code"),
        "issuing_agency_name": entry.get("issuing_agency_name"),
        "issue_date": entry.get("issue_date"),
        "valid_until": entry.get("valid_until"),
        "procedure_code": entry.get("procedure_code"),
        "status": entry["status"],
        "status_reason_vi": entry.get("status_reason_vi"),
        "status_reason_en": entry.get("status_reason_en"),
        "verdict": _verdict(entry["verdict"]) if entry.get("verdict") else None,
        "policy": entry.get("policy"),
        "file": {k: current.get(k) for k in ("sha256", "size", "pages", "content_type")},
        "current_version": entry["current_version"],
        "pending_version": entry.get("pending_version"),
        "versions": [version_view(v) for v in entry["versions"]],
        "visible": entry.get("visible", True),
        "shared": entry.get("shared", False),
        "hidden_until_returned": bool(entry.get("hidden_until_returned")),
        "usage_count": entry.get("usage_count", 0),
        "dispute": entry.get("dispute"),
        "superseded_by": entry.get("superseded_by"),
        "supersedes": entry.get("supersedes"),
        "created_at": entry.get("created_at"),
        "updated_at": entry.get("updated_at"),
        "deleted_at": entry.get("deleted_at"),
        "restorable_until": entry.get("restorable_until"),
    }
    if owner:
        view["shared_with_agencies"] = entry.get("shared_with_agencies") or []
        view["used_in"] = entry.get("used_in") or []
    else:
        agency = officer_agency(principal)
        view["used_in"] = [u for u in entry.get("used_in") or [] if u.get("agency_code") == agency]
    return view


def candidate_view(entry: Entry, score: float, reasons: list[str]) -> dict[str, Any]:
    return {
        "document_id": entry["id"],
        "document_code": entry.get("document_code"),
        "name": entry["name"],
        "document_type": entry["document_type"],
        "category_code": entry.get("category_code"),
        "result_code": entry.get("result_code"),
        "issue_date": entry.get("issue_date"),
        "valid_until": entry.get("valid_until"),
        "store_kind": entry["store_kind"],
        "usage_count": entry.get("usage_count", 0),
        "score": score,
        "reasons": reasons,
    }
