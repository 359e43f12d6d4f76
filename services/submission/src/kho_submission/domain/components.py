"""What each component of a dossier holds, decided from the owner's vault: exactly one fitting document is
attached automatically, several are offered as suggestions ("Lấy từ kho"), none means an upload. Before
submitting, each component shows as reused, uploaded, missing, expired or disputed; the flags the national
portal counts (digitized, reused, from the personal vault, digitization state 0-3) follow from the source."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from kho_contracts.common import DigitizationState, DocumentType
from kho_contracts.events import SubmittedComponent
from pydantic import BaseModel, ConfigDict

from kho_submission.domain.catalogue import ComponentSpec


class Source(StrEnum):
    AUTO_ATTACHED = "auto_attached"  # the only fitting document of the vault, attached by the system
    PICKED = "picked"  # chosen among suggestions (Lấy từ kho), by the citizen or the front desk
    UPLOADED = "uploaded"  # a new file, uploaded into the owner's vault
    DIGITIZED = "digitized"  # a paper component scanned by the front desk into the owner's vault
    MISSING = "missing"


REUSED_SOURCES = frozenset({Source.AUTO_ATTACHED, Source.PICKED})


class Review(StrEnum):
    REUSED = "reused"
    UPLOADED = "uploaded"
    MISSING = "missing"
    EXPIRED = "expired"
    DISPUTED = "disputed"
    CHOOSE = "choose"  # several suggestions, none picked yet


REVIEW_VI = {
    Review.REUSED: "Lấy từ kho dữ liệu",
    Review.UPLOADED: "Tải lên mới",
    Review.MISSING: "Chưa có tệp tin",
    Review.EXPIRED: "Giấy tờ đã hết hiệu lực",
    Review.DISPUTED: "Giấy tờ đang bị phản ánh",
    Review.CHOOSE: "Có nhiều giấy tờ phù hợp, vui lòng chọn (Lấy từ kho)",
}


class Candidate(BaseModel):
    """A document of the owner's vault that fits a component, as the vault reports it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    document_id: str
    document_code: str | None = None
    name: str = ""
    document_type: str | None = None
    category_code: str | None = None
    result_code: str | None = None
    issue_date: date | None = None
    valid_until: date | None = None
    store_kind: str | None = None
    score: float = 0.0
    reasons: tuple[str, ...] = ()

    def usable(self, on: date, disputed: Collection[str]) -> bool:
        return self.document_id not in disputed and (self.valid_until is None or self.valid_until >= on)


def resolve(
    spec: ComponentSpec, candidates: Iterable[Candidate], on: date, disputed: Collection[str]
) -> dict[str, Any]:
    """The stored state of one component right after the vault was asked: attached, suggestions or upload."""
    usable = sorted((c for c in candidates if c.usable(on, disputed)), key=lambda c: -c.score)
    state: dict[str, Any] = {
        "code": spec.code,
        "name": spec.name,
        "mandatory": spec.mandatory,
        "candidates": [c.model_dump(mode="json") for c in usable],
        "source": Source.MISSING.value,
        "document": None,
    }
    if len(usable) == 1:
        state["source"] = Source.AUTO_ATTACHED.value
        state["document"] = attached(usable[0])
    return state


def attached(candidate: Candidate) -> dict[str, Any]:
    return {
        "document_id": candidate.document_id,
        "document_code": candidate.document_code,
        "name": candidate.name,
        "document_type": candidate.document_type,
        "store_kind": candidate.store_kind,
        "category_code": candidate.category_code,
        "result_code": candidate.result_code,
        "valid_until": candidate.valid_until.isoformat() if candidate.valid_until else None,
    }


def review(component: dict[str, Any], on: date, disputed: Collection[str]) -> Review:
    document = component.get("document")
    if not document:
        return Review.CHOOSE if len(component.get("candidates") or []) > 1 else Review.MISSING
    if document["document_id"] in disputed:
        return Review.DISPUTED
    valid_until = document.get("valid_until")
    if valid_until and date.fromisoformat(valid_until) < on:
        return Review.EXPIRED
    return Review.REUSED if component["source"] in REUSED_SOURCES else Review.UPLOADED


BLOCKING = frozenset({Review.EXPIRED, Review.DISPUTED})


def blocking_problems(
    components: Iterable[dict[str, Any]], on: date, disputed: Collection[str]
) -> list[dict[str, str]]:
    """Why the dossier cannot be submitted yet (empty when it can)."""
    problems = []
    for component in components:
        state = review(component, on, disputed)
        if state in BLOCKING or (component.get("mandatory") and state in (Review.MISSING, Review.CHOOSE)):
            problems.append({"component_code": component["code"], "state": state.value, "message_vi": REVIEW_VI[state]})
    return problems


def digitization_state(component: dict[str, Any]) -> DigitizationState:
    source = Source(component["source"])
    if source in REUSED_SOURCES:
        document_type = (component.get("document") or {}).get("document_type")
        results = (DocumentType.ISSUED_RESULT.value, DocumentType.CERTIFIED_COPY.value)
        return (
            DigitizationState.REUSED_FROM_RESULT
            if document_type in results
            else DigitizationState.REUSED_FROM_COMPONENT
        )
    if source in (Source.UPLOADED, Source.DIGITIZED):
        return DigitizationState.DIGITIZED
    return DigitizationState.NOT_DIGITIZED


def flags(component: dict[str, Any]) -> dict[str, Any]:
    """The national portal's flags of one component, as stored with the dossier and sent in its events."""
    source = Source(component["source"])
    state = digitization_state(component)
    return {
        "digitized": state != DigitizationState.NOT_DIGITIZED,
        "reused": source in REUSED_SOURCES,
        "from_personal_vault": source in REUSED_SOURCES,
        "digitization_state": int(state),
    }


def missed_reuse(component: dict[str, Any]) -> bool:
    """A valid fitting document was in the vault when the dossier was submitted, yet a new file was used."""
    return component["source"] in (Source.UPLOADED.value, Source.DIGITIZED.value) and bool(
        component.get("candidates_at_submit")
    )


def submitted_component(component: dict[str, Any], f: dict[str, Any]) -> SubmittedComponent:
    """The component as DossierSubmitted carries it, with its `flags` (as stored with the dossier)."""
    return SubmittedComponent(
        component_code=component["code"],
        name=component["name"],
        document_id=(component.get("document") or {}).get("document_id"),
        digitized=f["digitized"],
        reused=f["reused"],
        from_personal_vault=f["from_personal_vault"],
        digitization_state=DigitizationState(f["digitization_state"]),
        source=component["source"] if component["source"] != Source.DIGITIZED.value else "uploaded",
    )
