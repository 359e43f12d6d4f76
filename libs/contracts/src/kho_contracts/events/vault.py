"""Events of the vault service (topic kho.vault.documents, key: document id)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kho_contracts.base import Event, register
from kho_contracts.common import DocumentType, IdentityNumber, ObjectRef, StoreKind
from kho_contracts.topics import VAULT_DOCUMENTS


@register
class DocumentUploaded(Event):
    """A file was added to a vault and waits in quarantine for its signature verdict."""

    TYPE = "vn.gov.kho.vault.document.uploaded.v1"
    TOPIC = VAULT_DOCUMENTS
    KEY_FIELD = "document_id"
    PRODUCER = "vault"
    CONSUMERS = ("signature",)

    document_id: str
    version: int = Field(ge=1)
    owner_id: IdentityNumber
    document_type: DocumentType
    category_code: str | None = None
    file: ObjectRef
    policy: str = Field(description="signature policy the file must pass, e.g. government-result")


@register
class DocumentStored(Event):
    """A document became active in its owner's vault (its signature passed, or an agency issued it)."""

    TYPE = "vn.gov.kho.vault.document.stored.v1"
    TOPIC = VAULT_DOCUMENTS
    KEY_FIELD = "document_id"
    PRODUCER = "vault"
    CONSUMERS = ("notify", "feedback", "submission")

    document_id: str
    version: int = Field(ge=1)
    owner_id: IdentityNumber
    owner_name: str | None = None
    document_code: str
    document_type: DocumentType
    store_kind: StoreKind
    category_code: str | None = None
    result_code: str | None = None
    name: str
    issuing_agency_code: str | None = None
    issuing_agency_name: str | None = None
    file: ObjectRef
    hidden: bool = False


@register
class DocumentRejected(Event):
    """A file added to a vault was refused (its signature did not pass the policy); the reason is given."""

    TYPE = "vn.gov.kho.vault.document.rejected.v1"
    TOPIC = VAULT_DOCUMENTS
    KEY_FIELD = "document_id"
    PRODUCER = "vault"
    CONSUMERS = ("notify",)

    document_id: str
    version: int = Field(ge=1)
    owner_id: IdentityNumber
    name: str
    indication: str
    sub_indication: str | None = None
    reason_vi: str
    reason_en: str


@register
class DocumentReplaced(Event):
    """A document's file was replaced by a new version (wrong file fixed, or a disputed result corrected);
    the old version stays readable in the history."""

    TYPE = "vn.gov.kho.vault.document.replaced.v1"
    TOPIC = VAULT_DOCUMENTS
    KEY_FIELD = "document_id"
    PRODUCER = "vault"
    CONSUMERS = ("notify", "submission", "feedback")

    document_id: str
    owner_id: IdentityNumber
    version: int = Field(ge=2)
    previous_version: int = Field(ge=1)
    file: ObjectRef
    reason: str


@register
class DocumentUsed(Event):
    """A document of the vault was reused in a submitted dossier; its usage count went up by one."""

    TYPE = "vn.gov.kho.vault.document.used.v1"
    TOPIC = VAULT_DOCUMENTS
    KEY_FIELD = "document_id"
    PRODUCER = "vault"
    CONSUMERS = ()

    document_id: str
    owner_id: IdentityNumber
    dossier_id: str
    dossier_code: str
    usage_count: int = Field(ge=1)
    used_at: datetime
