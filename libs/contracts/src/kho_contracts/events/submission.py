"""Events of the submission service: dossiers (key: dossier id) and issued documents (key: result id)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from kho_contracts.base import Event, register
from kho_contracts.common import DigitizationState, IdentityNumber, ObjectRef, OwnerKind
from kho_contracts.topics import SUBMISSION_DOSSIERS, SUBMISSION_ISSUANCE


class SubmittedComponent(BaseModel):
    """One component (thành phần hồ sơ) of a submitted dossier, with the flags the national portal counts."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    component_code: str
    name: str
    document_id: str | None = None
    digitized: bool
    reused: bool
    from_personal_vault: bool
    digitization_state: DigitizationState
    source: str = Field(description="auto_attached, picked, uploaded or missing")


class _DossierEvent(Event):
    TOPIC = SUBMISSION_DOSSIERS
    KEY_FIELD = "dossier_id"
    PRODUCER = "submission"

    dossier_id: str
    dossier_code: str
    procedure_code: str
    agency_code: str
    owner_id: IdentityNumber
    applicant_id: IdentityNumber


@register
class DossierSubmitted(_DossierEvent):
    """A dossier was submitted online; it lists, per component, the document used and whether it was
    digitized, reused or taken from the owner's vault."""

    TYPE = "vn.gov.kho.submission.dossier.submitted.v1"
    CONSUMERS = ("vault", "notify", "feedback")

    procedure_name: str
    owner_kind: OwnerKind
    submitted_at: datetime
    components: list[SubmittedComponent]
    result_delivery: str = Field(description="online, post or front_desk")


@register
class DossierAccepted(_DossierEvent):
    """The front desk accepted a dossier for processing."""

    TYPE = "vn.gov.kho.submission.dossier.accepted.v1"
    CONSUMERS = ("notify",)

    officer_id: str
    accepted_at: datetime
    due_date: date | None = None


@register
class SupplementRequested(_DossierEvent):
    """The agency asked the applicant to supplement a dossier."""

    TYPE = "vn.gov.kho.submission.dossier.supplement_requested.v1"
    CONSUMERS = ("notify",)

    officer_id: str
    reason: str
    items: list[str] = Field(default_factory=list)
    requested_at: datetime


@register
class DossierRejected(_DossierEvent):
    """The agency rejected a dossier, with a reason."""

    TYPE = "vn.gov.kho.submission.dossier.rejected.v1"
    CONSUMERS = ("notify", "feedback")

    officer_id: str
    reason: str
    rejected_at: datetime


@register
class ResultReturned(_DossierEvent):
    """The result of a dossier was returned to its owner: hidden results become visible in the vault."""

    TYPE = "vn.gov.kho.submission.dossier.result_returned.v1"
    CONSUMERS = ("vault", "notify", "feedback")

    result_ids: list[str]
    returned_at: datetime


class _IssuedDocument(Event):
    TOPIC = SUBMISSION_ISSUANCE
    KEY_FIELD = "result_id"
    PRODUCER = "submission"

    result_id: str = Field(description="id of the issued document; the vault stores it under this id")
    owner_id: IdentityNumber
    owner_kind: OwnerKind
    owner_name: str
    agency_code: str
    agency_name: str
    name: str
    category_code: str | None = None
    document_number: str
    issue_date: date
    valid_until: date | None = None
    file: ObjectRef
    pages: int = Field(ge=1)
    dossier_id: str | None = None
    dossier_code: str | None = None
    procedure_code: str | None = None


@register
class ResultIssued(_IssuedDocument):
    """An agency issued a signed electronic result into its owner's vault (hidden until it is returned).
    A correction of a disputed result names the document it supersedes."""

    TYPE = "vn.gov.kho.submission.result.issued.v1"
    CONSUMERS = ("vault", "notify")

    result_code: str
    decision_number: str | None = None
    summary: str | None = None
    hidden_until_returned: bool = True
    supersedes_document_id: str | None = None


@register
class CertifiedCopyIssued(_IssuedDocument):
    """A certifying officer issued an electronically certified copy into its owner's vault."""

    TYPE = "vn.gov.kho.submission.certified_copy.issued.v1"
    CONSUMERS = ("vault", "notify")

    certification_number: int = Field(ge=1)
    book_code: str
    book_year: int
    source_document_code: str | None = None
    fee_vnd: int = Field(ge=0)
